"""Positional reads of the uploaded file: counted, capped, and in a few large ranges.

On Cloud Storage every read that misses the reader's buffer is an HTTP range request, so reads
are made in windows of at least READ_WINDOW_BYTES and every window is kept: the end records,
central directory and signing block usually share one, and small entries stored near each other
(manifest, icons, resource table) share another.
"""

import io
from typing import Protocol

from apkdrop.apk.errors import ApkError
from apkdrop.apk.limits import MAX_READ_BYTES, MIB

# The smallest read, and the storage adapter's chunk: each is one HTTP range request, and
# inspection needs only a few.
READ_WINDOW_BYTES = 256 * 1024


class SeekableReader(Protocol):
    """All that is read of the uploaded file (a ranged Cloud Storage reader, a local file)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


class RangedSource:
    """Reads byte ranges of a seekable binary file through its read, seek and tell only.

    Whatever the source raises (a storage outage, say) propagates untouched: it is not a
    property of the APK. A source that returns fewer bytes than asked has ended there.
    """

    def __init__(self, source: SeekableReader) -> None:
        self._source = source
        source.seek(0, io.SEEK_END)
        self.size = source.tell()
        self.bytes_read = 0
        self._windows: list[tuple[int, bytes]] = []

    def read(self, offset: int, length: int) -> bytes:
        """Return ``length`` bytes at ``offset``, or fewer where the file ends."""
        end = min(offset + length, self.size)
        if offset < 0 or end <= offset:
            return b""
        for start, window in self._windows:
            if start <= offset and end <= start + len(window):
                return window[offset - start : end - start]
        window_start = offset
        window_end = min(self.size, max(end, offset + READ_WINDOW_BYTES))
        window = self._fetch(window_start, window_end - window_start)
        self._windows.append((window_start, window))
        return window[: end - offset]

    def _fetch(self, offset: int, length: int) -> bytes:
        """Read from the source itself, refusing to go past MAX_READ_BYTES in total."""
        if self.bytes_read + length > MAX_READ_BYTES:
            raise ApkError(f"archive needs more than {MAX_READ_BYTES / MIB:g} MiB of reads")
        self.bytes_read += length
        self._source.seek(offset)
        parts = []
        remaining = length
        while remaining > 0:
            part = self._source.read(remaining)
            if not part:
                break
            parts.append(part)
            remaining -= len(part)
        return b"".join(parts)
