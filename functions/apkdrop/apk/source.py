"""Positional reads of the uploaded file: counted, capped, and in a few large ranges.

On Cloud Storage every read that misses the reader's buffer is an HTTP range request, so reads
are made in windows of at least READ_WINDOW_BYTES and every window is kept: the end records,
central directory and signing block usually share one, and small entries stored near each other
(manifest, icons, resource table) share another. Ranges known in advance (native libraries'
headers) are fetched in the background, all at once, while the rest is read.
"""

import io
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from apkdrop.apk.errors import ApkError
from apkdrop.apk.limits import MAX_READ_BYTES, MIB

# The smallest read: on Cloud Storage each is one HTTP range request, and inspection needs only
# a few.
READ_WINDOW_BYTES = 256 * 1024
# Background fetches at once: under requests' 10 pooled connections per host.
MAX_CONCURRENT_PREFETCHES = 8
# The most one merged background fetch reads: gaps between spans count, so this bounds them.
MAX_MERGED_BYTES = 4 * READ_WINDOW_BYTES


class SeekableReader(Protocol):
    """All that is read of the uploaded file (a ranged Cloud Storage reader, a local file)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


@runtime_checkable
class ConcurrentReader(Protocol):
    """A reader that also reads ranges by position, safely from several threads at once
    (Cloud Storage: one request each), so that RangedSource can fetch spans in parallel."""

    def read_ranges(self, ranges: Sequence[tuple[int, int]], /) -> list[bytes]:
        """The bytes of each (offset, length), in order; fewer where the file ends."""
        ...


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
        # Background fetches not read yet: (start, end, the fetch).
        self._pending: list[tuple[int, int, Future[list[bytes]]]] = []

    def read(self, offset: int, length: int) -> bytes:
        """Return ``length`` bytes at ``offset``, or fewer where the file ends."""
        end = min(offset + length, self.size)
        if offset < 0 or end <= offset:
            return b""
        held = self._held(offset, end)
        if held is None:
            self._collect_prefetch(offset, end)
            held = self._held(offset, end)
        if held is not None:
            return held
        window_start = offset
        window_end = min(self.size, max(end, offset + READ_WINDOW_BYTES))
        window = self._fetch(window_start, window_end - window_start)
        self._windows.append((window_start, window))
        return window[: end - offset]

    def prefetch(self, spans: Sequence[tuple[int, int]]) -> None:
        """Start fetching each (offset, length) no window holds yet, at once and in the
        background, when the source is a ConcurrentReader; a read there waits for its own span
        only. Spans less than a window apart go as one request. With another source, read()
        fetches each when it is needed."""
        if self._pending or not isinstance(self._source, ConcurrentReader):
            return
        wanted = []
        for offset, length in spans:
            end = min(self.size, offset + length)
            if 0 <= offset < end and self._held(offset, end) is None:
                wanted.append((offset, end))
        planned = _coalesced(wanted)
        if not planned:
            return
        self._count(sum(end - start for start, end in planned))
        source = self._source
        background = ThreadPoolExecutor(
            min(len(planned), MAX_CONCURRENT_PREFETCHES), thread_name_prefix="apk-prefetch"
        )
        for start, end in planned:
            fetch = background.submit(lambda span=(start, end - start): source.read_ranges([span]))
            self._pending.append((start, end, fetch))
        background.shutdown(wait=False)  # its threads end with the fetches

    def _collect_prefetch(self, offset: int, end: int) -> None:
        """Wait for the background fetch holding [offset, end), if any; what it raised (a
        storage outage) is raised here."""
        for planned in self._pending:
            start, planned_end, fetch = planned
            if start <= offset and end <= planned_end:
                self._pending.remove(planned)
                self._windows.append((start, fetch.result()[0]))
                return

    def _held(self, offset: int, end: int) -> bytes | None:
        for start, window in self._windows:
            if start <= offset and end <= start + len(window):
                return window[offset - start : end - start]
        return None

    def _count(self, length: int) -> None:
        """Count ``length`` more bytes read, refusing to go past MAX_READ_BYTES in total."""
        if self.bytes_read + length > MAX_READ_BYTES:
            raise ApkError(f"archive needs more than {MAX_READ_BYTES / MIB:g} MiB of reads")
        self.bytes_read += length

    def _fetch(self, offset: int, length: int) -> bytes:
        """Read from the source itself."""
        self._count(length)
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


def _coalesced(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (start, end) spans, those less than a window apart merged into requests of at most
    MAX_MERGED_BYTES: one request instead of several that would each cost a round trip for a
    few KiB, never one that reads a run of libraries whole."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if (
            merged
            and start <= merged[-1][1] + READ_WINDOW_BYTES
            and max(merged[-1][1], end) - merged[-1][0] <= MAX_MERGED_BYTES
        ):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
