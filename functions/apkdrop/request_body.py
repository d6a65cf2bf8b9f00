"""Every request body is bounded before anything reads it: by its declared length, and as it
streams when it declares none (chunked).

A body over its limit is refused (413) after at most limit + 1 bytes, and then reads as ended.
After the answer the body reads as ended too: functions-framework reads whatever is left of
every request (`read_request`) into memory; the server discards the rest instead.
"""

import io
from dataclasses import dataclass
from typing import IO

import flask

from apkdrop.errors import PayloadTooLarge
from apkdrop.settings import BodyLimitSettings

MULTIPART = "multipart/form-data"
# Parsers read 64 KiB at a time; gunicorn's body reader copies what it read ahead (up to 1 MiB)
# on every read, so each read asks it for this much instead (3x faster for a 30 MiB upload).
READ_BYTES = 1024 * 1024
FORM_TYPES = {MULTIPART, "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    detail: str


def body_limit(
    request: flask.Request, settings: BodyLimitSettings, upload: BodyLimit | None
) -> BodyLimit:
    """`upload` for a multipart body where the endpoint takes a file; a form's limit for any
    other form; the JSON limit for everything else, whatever it claims to be."""
    if request.mimetype == MULTIPART and upload is not None:
        return upload
    if request.mimetype in FORM_TYPES:
        size = settings.max_form_body_bytes
        return BodyLimit(size, f"A form body may have at most {size} bytes")
    size = settings.max_json_body_bytes
    return BodyLimit(size, f"A request body may have at most {size} bytes")


def bound(request: flask.Request, limit: BodyLimit) -> None:
    """Refuses a body that declares more than the limit; otherwise every reader of the request
    (`get_data`, `form`, a form parser given `request.stream`) reads through the limit."""
    declared = request.content_length
    if declared is not None and declared > limit.max_bytes:
        raise PayloadTooLarge(limit.detail)
    if declared is None and not request.environ.get("wsgi.input_terminated"):
        # As werkzeug does: without a length, only a server that ends the stream is safe.
        declared = 0
    # werkzeug's cached_property takes an assignment as the new cached value (its stub says no).
    bounded = BoundedBody(request.input_stream, declared, limit)
    request.stream = io.BufferedReader(bounded, READ_BYTES)  # pyright: ignore[reportAttributeAccessIssue]


def leave_unread(request: flask.Request) -> None:
    """After the answer, nothing reads the rest of the body into memory."""
    request.stream = io.BytesIO()  # pyright: ignore[reportAttributeAccessIssue]  # as in bound()


class BoundedBody(io.RawIOBase):
    """Reads the declared length at most, and refuses the byte after `limit.max_bytes`."""

    def __init__(self, raw: IO[bytes], declared: int | None, limit: BodyLimit) -> None:
        self._raw = raw
        self._left = declared
        self._limit = limit
        self._read = 0
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._limit.max_bytes + 1 - self._read)
        if self._left is not None:
            wanted = min(wanted, self._left)
        if self._ended or wanted <= 0:
            return 0
        chunk = self._raw.read(wanted)
        if not chunk:  # the client stopped early: what it sent is the body
            self._ended = True
            return 0
        self._read += len(chunk)
        if self._left is not None:
            self._left -= len(chunk)
        if self._read > self._limit.max_bytes:
            self._ended = True
            raise PayloadTooLarge(self._limit.detail)
        buffer[: len(chunk)] = chunk
        return len(chunk)
