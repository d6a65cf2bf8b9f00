"""Structured logs: one JSON object per line on stdout, as Cloud Logging parses them."""

import json
import logging
import sys
import uuid
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")

_SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "ERROR": "ERROR", "DEBUG": "DEBUG"}


class JsonFormatter(logging.Formatter):
    """Formats a record as a JSON line with `severity`, `message` and `requestId`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "severity": _SEVERITY.get(record.levelname, "INFO"),
            "message": record.getMessage(),
            "requestId": request_id.get(),
            "logger": record.name,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    """Sends every logger's records to stdout as JSON; idempotent across re-imports."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries are chatty at INFO; their warnings still come through.
    for noisy in ("urllib3", "google", "grpc"):
        library = logging.getLogger(noisy)
        library.setLevel(logging.WARNING)
        # google-api-core cuts "google" off from the root logger when it finds it unconfigured.
        library.propagate = True


def bind_request_id(candidate: str | None) -> str:
    """Uses the caller's request id (or trace id) when given, else a new one."""
    value = (candidate or "").split("/")[0].strip()[:64] or uuid.uuid4().hex
    request_id.set(value)
    return value


def log_fields(**fields: object) -> dict[str, dict[str, object]]:
    """`extra=` for a log call whose fields become top-level JSON keys."""
    return {"fields": fields}
