"""A new object written in one streamed request while the caller is still receiving its bytes.

One JSON API multipart request (ifGenerationMatch=0, so no existing object is replaced): the
object's metadata, then its bytes as they come, in a chunked body. This is the single-request
stream the Node.js client sends for a non-resumable write. The object exists only once the whole
body has arrived, so a request cut short creates nothing and leaves nothing to cancel; a body
cannot be replayed either, so a failed transfer fails the upload (503) instead of being retried.

Against a resumable session it is one request instead of two, and fake-gcs-server answers it
sooner: a resumable upload's last request it copies once more, hashes twice and reads back
before answering (176 against 124 ms for 30 MiB there, BENCHMARKS.md).

The request runs in a background thread taking the pieces from a bounded queue
(background_writes.py). An abandoned upload's request ends without its closing delimiter.
"""

import hashlib
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from typing import Protocol

import requests
from google.api_core import exceptions as api_exceptions
from google.cloud.storage.constants import _DEFAULT_TIMEOUT

from apkdrop.adapters.background_writes import BackgroundWrites
from apkdrop.adapters.errors import storage_failures_are_transient
from apkdrop.shared_models import StorageObject

# Writes are gathered into pieces of about this much before they are queued.
PIECE_BYTES = 1024 * 1024
NEW_OBJECT_ONLY = {"uploadType": "multipart", "ifGenerationMatch": "0"}


class ObjectUpload(Protocol):
    """Sends one new object's bytes; the object exists only once `send` returns."""

    def send(self, pieces: Iterator[bytes], /) -> StorageObject: ...


class MultipartUpload:
    """One new object in one multipart request: a metadata part, then a part of the bytes."""

    def __init__(
        self, http: requests.Session, endpoint: str, bucket: str, name: str, content_type: str
    ) -> None:
        self._http = http
        self._url = f"{endpoint}/upload/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o"
        self._metadata = {"name": name, "contentType": content_type}

    def send(self, pieces: Iterator[bytes], /) -> StorageObject:
        # Random per request, so no uploaded file can be made to contain the delimiter.
        boundary = secrets.token_hex(24)
        response = self._http.post(
            self._url,
            params=NEW_OBJECT_ONLY,
            data=self._body(boundary, pieces),
            headers={"Content-Type": f"multipart/related; boundary={boundary}"},
            timeout=_DEFAULT_TIMEOUT,
        )
        if response.status_code != 200:
            raise api_exceptions.from_http_response(response)
        return StorageObject.model_validate(response.json())

    def _body(self, boundary: str, pieces: Iterator[bytes]) -> Iterator[bytes]:
        metadata = json.dumps(self._metadata)
        yield (
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n"
            f"--{boundary}\r\nContent-Type: {self._metadata['contentType']}\r\n\r\n"
        ).encode()
        yield from pieces
        yield f"\r\n--{boundary}--\r\n".encode()


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

    def finish(self) -> StorageObject:
        """Completes the upload and returns the object, which exists from here on."""
        if self._held:
            self._put_held()
        with storage_failures_are_transient():
            self.stored = self._sender.close()
        return self.stored

    def abandon(self) -> None:
        """Ends an unfinished upload, which then creates no object."""
        self._sender.discard()
