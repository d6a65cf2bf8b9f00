"""PUTs a file straight to storage with exactly the headers the API signed, with progress."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import httpx

from apkdrop_cli.errors import Refused, UsageError
from apkdrop_cli.http import CONNECT_TIMEOUT_SECONDS, Retrier, check, public_url, send_bounded

CHUNK_BYTES = 1024 * 1024


class Progress(Protocol):
    def advance(self, size: int) -> None: ...

    def restart(self) -> None: ...


def file_size(path: Path, what: str = "file") -> int:
    """The size of a readable, non-empty regular file; UsageError (exit 2) otherwise."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise UsageError(f"No such {what}: {path}") from exc
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}") from exc
    if not path.is_file():
        raise UsageError(f"Not a file: {path}")
    if not os.access(path, os.R_OK):
        raise UsageError(f"Cannot read {path}: permission denied")
    if stat.st_size == 0:
        raise UsageError(f"The {what} is empty: {path}")
    return stat.st_size


def read_chunks(path: Path, progress: Progress) -> Iterator[bytes]:
    """The file from its start (again on every attempt), reporting progress as it is sent."""
    progress.restart()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk
            progress.advance(len(chunk))


class ProgressFile:
    """A file for httpx's multipart encoder that reports what is read; a rewind restarts."""

    def __init__(self, file: BinaryIO, progress: Progress) -> None:
        self._file = file
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._progress.advance(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._file.seek(offset, whence)
        if position == 0:
            self._progress.restart()
        return position

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()


class Storage:
    """Talks to the signed URLs only: it never has, so never sends, the API key."""

    def __init__(
        self,
        retrier: Retrier,
        timeout: float,
        *,
        log=None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._retrier = retrier
        self._log = log
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT_SECONDS), transport=transport
        )

    def __enter__(self) -> "Storage":
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def put(self, spec: dict, path: Path, progress: Progress, what: str) -> None:
        """One upload as the spec says: its method, URL and every header, exactly."""
        size = path.stat().st_size
        method = spec.get("method") or "PUT"
        headers = {**spec.get("headers", {}), "Content-Length": str(size)}

        def attempt_once(attempt: int) -> httpx.Response:
            content = read_chunks(path, progress)
            response = send_bounded(
                self._http, method, spec["url"], what, headers=headers, content=content
            )
            if self._log:
                self._log(f"{method} {public_url(spec['url'])} -> {response.status_code}")
            return response

        response = self._retrier.send(what, _first_write_wins(attempt_once), idempotent=True)
        try:
            check(response, what)
        except Refused as exc:
            raise Refused(
                f"{what}: storage refused the upload: {exc.status} {exc.detail}",
                exc.status,
                exc.detail,
            ) from exc


def _first_write_wins(attempt_once):
    """The URL may only create the object (`x-goog-if-generation-match: 0`): if a retry finds
    it exists (412), the earlier attempt did land, and the upload is done."""

    def attempt(number: int) -> httpx.Response:
        response = attempt_once(number)
        if number > 0 and response.status_code == 412:
            return httpx.Response(200, request=response.request)
        return response

    return attempt
