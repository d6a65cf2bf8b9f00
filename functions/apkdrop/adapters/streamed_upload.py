"""A new object written in one streamed request while the caller is still receiving its bytes.

One XML API PUT whose body is the bytes as they come (chunked transfer encoding, which that
API accepts in place of a Content-Length), to a URL signed for this one object with
`x-goog-if-generation-match: 0`, so no existing object is replaced. Against the library's
`BlobWriter` this is one request instead of one per 8 MiB chunk, no chunk is buffered, and
Cloud Storage hashes the object as it arrives. A body cannot be replayed, so a failed transfer
fails the upload (503) instead of being retried; an abandoned one ends without its last chunk,
and an unfinished PUT creates nothing.

The PUT runs in a background thread taking the pieces from a bounded queue
(background_writes.py).
"""

import hashlib
from collections.abc import Callable, Iterator
from typing import Protocol

import requests
from google.api_core import exceptions as api_exceptions
from google.cloud.storage.constants import _DEFAULT_TIMEOUT

from apkdrop.adapters.background_writes import BackgroundWrites
from apkdrop.adapters.errors import storage_failures_are_transient
from apkdrop.errors import BackendUnavailable
from apkdrop.shared_models import StorageObject


class ObjectUpload(Protocol):
    """Sends one new object's bytes; the object exists only once `send` returns."""

    def send(self, pieces: Iterator[bytes], /) -> StorageObject: ...


class SignedPut:
    """One new object in one PUT: `sign` gives the URL for exactly `headers`, and `stored`
    the object once written."""

    def __init__(
        self,
        sign: Callable[[], str],
        headers: dict[str, str],
        stored: Callable[[], StorageObject | None],
        http: requests.Session,
    ) -> None:
        self._sign = sign
        self._headers = headers
        self._stored = stored
        self._http = http

    def send(self, pieces: Iterator[bytes], /) -> StorageObject:
        response = self._http.put(
            self._sign(), data=pieces, headers=self._headers, timeout=_DEFAULT_TIMEOUT
        )
        if response.status_code != 200:
            raise api_exceptions.from_http_response(response)
        found = self._stored()
        if found is None:  # removed behind our back the moment it was written
            raise BackendUnavailable("Cloud Storage is unavailable, retry later")
        return found


class HashingWriter:
    """Streams bytes into a new object while hashing them; more than `limit` bytes is refused.

    The hashing and the upload run in a background thread, so the caller receives the next
    bytes meanwhile; memory stays at the queue's bound. `stored` is the object once finished.
    """

    def __init__(self, upload: ObjectUpload, limit: int, too_large: Exception) -> None:
        self._upload = upload
        self._limit = limit
        self._too_large = too_large
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.stored: StorageObject | None = None
        self._sender = BackgroundWrites(self._send)

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self._limit:
            raise self._too_large
        with storage_failures_are_transient():
            self._sender.put(bytes(data))  # no copy of bytes: only of a reused buffer
        return len(data)

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
        with storage_failures_are_transient():
            self.stored = self._sender.close()

    def abandon(self) -> None:
        """Cancels an unfinished upload: its PUT ends without its last chunk."""
        self._sender.discard()
