"""Where the API is and which key to use: flags first, then the environment."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from apkdrop_cli.errors import UsageError

ENV_API_URL = "APKDROP_API_URL"
ENV_API_KEY = "APKDROP_API_KEY"
ENV_PROJECT = "APKDROP_PROJECT"
DEFAULT_TIMEOUT_SECONDS = 300.0
DEFAULT_RETRIES = 5


@dataclass(frozen=True)
class Config:
    api_url: str
    # Kept out of repr(), so no traceback or debug print shows it.
    api_key: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    retries: int = DEFAULT_RETRIES


def load_config(
    *,
    api_url: str | None,
    api_key: str | None,
    api_key_file: str | None,
    timeout: float,
    retries: int,
    environ: Mapping[str, str],
) -> Config:
    """Raises UsageError (exit 2) naming the flag and variable to set; never shows the key."""
    url = (api_url or environ.get(ENV_API_URL, "")).strip().rstrip("/")
    if not url:
        raise UsageError(f"No API URL: set {ENV_API_URL} or pass --api-url")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(
            f"The API URL must be an http(s) URL, like https://apkdrop.example.com, got {url!r}"
        )
    key = (api_key or _read_key_file(api_key_file) or environ.get(ENV_API_KEY, "")).strip()
    if not key:
        raise UsageError(f"No API key: set {ENV_API_KEY} (or pass --api-key-file)")
    if any(char.isspace() or not char.isprintable() for char in key):
        raise UsageError("The API key contains whitespace or control characters")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    if retries < 0:
        raise UsageError("--retries must be zero or more")
    return Config(api_url=url, api_key=key, timeout=timeout, retries=retries)


def _read_key_file(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(os.path.expanduser(path)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the API key file {path}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
