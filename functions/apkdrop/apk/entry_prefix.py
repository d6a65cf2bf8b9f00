"""The first bytes of a zip entry as a seekable file, without reading or inflating the rest.

A stored entry is a window of the APK, read by ranges; a deflated one is inflated only as far
as it is read, and never past ``limit`` bytes, so a library's header costs its header alone.
"""

import io
import zlib

from apkdrop.apk.archive import LOCAL_HEADER_BYTES, STORED, Archive, ZipEntry, check_readable

# Compressed bytes fed to the inflater at a time; a library's header needs well under this.
_INFLATE_STEP = 16 * 1024
# Deflate adds at most 5 bytes per 64 KiB stored block; a stream needing more input than this
# per output byte (empty blocks, say) is not a real library's, and ends the prefix.
_INPUT_PER_OUTPUT = 2
# zipalign -P 16 pads a stored library's local extra field by up to 16 KiB to align its data.
_ALIGNMENT_PADDING = 16 * 1024


def prefix_span(entry: ZipEntry, limit: int) -> tuple[int, int]:
    """The (offset, length) of the file that reading ``entry``'s first ``limit`` bytes needs,
    its local header included, when its extra field is no longer than zipalign's padding."""
    header = LOCAL_HEADER_BYTES + len(entry.raw_name) + _ALIGNMENT_PADDING
    if entry.method == STORED:
        return entry.header_offset, header + min(limit, entry.size)
    return entry.header_offset, header + _input_limit(entry, min(limit, entry.size))


def _input_limit(entry: ZipEntry, end: int) -> int:
    """The compressed bytes inflated for the first ``end`` bytes, at most."""
    return min(entry.compressed_size, _INPUT_PER_OUTPUT * end + 1024)


class EntryPrefix:
    """Reads, seeks and tells within the first ``limit`` uncompressed bytes of ``entry``.

    Raises ApkError for an entry we cannot read (encrypted, exotic compression, a local header
    that does not match); a corrupt stream ends the prefix early, which readers see as a file
    that is shorter than they expected.
    """

    def __init__(self, archive: Archive, entry: ZipEntry, limit: int) -> None:
        check_readable(entry)
        self._archive = archive
        self._entry = entry
        self.data_offset = archive.data_offset(entry)
        self._end = min(limit, entry.size)
        self._position = 0
        self._inflated = b""
        self._consumed = 0
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)

    def read(self, size: int = -1, /) -> bytes:
        end = self._end if size < 0 else min(self._end, self._position + size)
        if end <= self._position:
            return b""
        if self._entry.method == STORED:
            data = self._archive.source.read(
                self.data_offset + self._position, end - self._position
            )
        else:
            self._inflate_to(end)
            data = self._inflated[self._position : end]
        self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._end}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def _inflate_to(self, end: int) -> None:
        """Inflate until ``end`` bytes are out, the stream ends, or its input runs out."""
        input_limit = _input_limit(self._entry, self._end)
        while len(self._inflated) < end and not self._inflater.eof:
            if self._inflater.unconsumed_tail:
                chunk = self._inflater.unconsumed_tail
            elif self._consumed < input_limit:
                length = min(_INFLATE_STEP, input_limit - self._consumed)
                chunk = self._archive.source.read(self.data_offset + self._consumed, length)
                self._consumed += len(chunk)
                if not chunk:
                    return
            else:
                return
            try:
                self._inflated += self._inflater.decompress(chunk, end - len(self._inflated))
            except zlib.error:
                return
