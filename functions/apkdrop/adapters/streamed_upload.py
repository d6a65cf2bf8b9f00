"""A new object written in one streamed request while the caller is still receiving its bytes.

A resumable session (created with ifGenerationMatch=0, so no existing object is replaced), then
one PUT whose chunked body is the bytes as they come, with `Content-Range: bytes 0-*/*`: the
single-request streaming upload the Node.js client sends by default. Against the library's
`BlobWriter` this is one request instead of one per 8 MiB chunk, and no chunk is buffered. A
body cannot be replayed, so a failed transfer fails the upload (503) instead of being retried.

The PUT runs in a background thread taking the pieces from a bounded queue
(background_writes.py). An abandoned upload's PUT ends without its last chunk, so the object is
never created, and its session is cancelled.
"""

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Protocol, cast

import requests
from google.api_core import exceptions as api_exceptions
from google.cloud import storage
from google.cloud.storage.constants import _DEFAULT_TIMEOUT

from apkdrop.adapters.background_writes import BackgroundWrites
from apkdrop.adapters.errors import TRANSIENT, storage_failures_are_transient
from apkdrop.shared_models import StorageObject

# A streamed body of unknown length, sent whole in this one request.
WHOLE_STREAM = {"Content-Range": "bytes 0-*/*"}
# What a resumable session answers to a part when it expects more.
INCOMPLETE = 308
# Writes are gathered into pieces of about this much before they are queued.
PIECE_BYTES = 1024 * 1024


class ObjectUpload(Protocol):
    """Sends one new object's bytes, or cancels it; the object exists only once `send` returns."""

    def send(self, pieces: Iterator[bytes], /) -> StorageObject: ...
    def cancel(self) -> None: ...


class SessionUpload:
    """One new object through a resumable session, created for it with ifGenerationMatch=0."""

    def __init__(self, blob: storage.Blob, http: requests.Session, content_type: str) -> None:
        self._blob = blob
        self._http = http
        self._content_type = content_type
        self._session_url: str | None = None

    def send(self, pieces: Iterator[bytes], /) -> StorageObject:
        session_url = cast(  # inferred as optional; the library always returns the URL
            str,
            self._blob.create_resumable_upload_session(
                content_type=self._content_type, if_generation_match=0
            ),
        )
        self._session_url = session_url
        sent = 0

        def counted() -> Iterator[bytes]:
            nonlocal sent
            for piece in pieces:
                sent += len(piece)
                yield piece

        response = self._http.put(
            session_url, data=counted(), headers=WHOLE_STREAM, timeout=_DEFAULT_TIMEOUT
        )
        if response.status_code == INCOMPLETE:
            # Taken as a first part: the empty request naming the total finishes the object.
            finish = {"Content-Range": f"bytes */{sent}"}
            response = self._http.put(session_url, headers=finish, timeout=_DEFAULT_TIMEOUT)
        if response.status_code not in (200, 201):
            raise api_exceptions.from_http_response(response)
        return StorageObject.model_validate(response.json())

    def cancel(self) -> None:
        """Best effort: a session nobody finishes expires by itself within a week."""
        if self._session_url is not None:
            with contextlib.suppress(*TRANSIENT):
                self._http.delete(self._session_url, timeout=_DEFAULT_TIMEOUT)


class HashingWriter:
    """Streams bytes into a new object while hashing them; more than `limit` bytes is refused.

    The hashing and the upload run in a background thread, so the caller receives the next
    bytes meanwhile; memory stays at the queue's bound. Writes (a parser's or a download's
    reads, some KiB each) are gathered into pieces of PIECE_BYTES: each piece costs one queued
    write, one hash update and one chunk of the PUT. `stored` is the object once finished.
    """

    def __init__(self, upload: ObjectUpload, limit: int, too_large: Exception) -> None:
        self._upload = upload
        self._limit = limit
        self._too_large = too_large
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.stored: StorageObject | None = None
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._sender = BackgroundWrites(self._send)

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self._limit:
            raise self._too_large
        self._held.append(bytes(data))  # no copy of bytes: only of a reused buffer
        self._held_bytes += len(data)
        if self._held_bytes >= PIECE_BYTES:
            self._put_held()
        return len(data)

    def _put_held(self) -> None:
        piece = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held, self._held_bytes = [], 0
        with storage_failures_are_transient():
            self._sender.put(piece)

    def _send(self, pieces: Iterator[bytes]) -> StorageObject:
        """In the sender's thread."""
        return self._upload.send(self._hashed(pieces))

    def _hashed(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            self.sha256.update(piece)
            yield piece

    def seek(self, offset: int, whence: int = 0) -> int:
        """Form parsers rewind a finished part; there is nothing to rewind to here."""
        return 0

    def finish(self) -> None:
        """Completes the upload: the object exists from here on."""
        if self._held:
            self._put_held()
        with storage_failures_are_transient():
            self.stored = self._sender.close()

    def abandon(self) -> None:
        """Cancels an unfinished upload."""
        self._sender.discard()
        if self.stored is None:
            self._upload.cancel()
