"""The zip layer: end records, central directory and entries, read as Android's installer would.

Only stored and deflated entries exist for Android, names are unique, entries do not overlap,
and no entry may inflate past a limit or a ratio: anything else is refused with an ApkError.
"""

import struct
import zlib
from dataclasses import dataclass

from apkdrop.apk.errors import ApkError
from apkdrop.apk.limits import MAX_COMPRESSION_RATIO, MAX_DIRECTORY_BYTES, MAX_ENTRIES
from apkdrop.apk.source import READ_WINDOW_BYTES, RangedSource

# The classic end record, the ZIP64 locator and record that may sit just before it, a central
# directory record and a local file header.
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
LOCAL_HEADER_BYTES = _LOCAL.size  # before the entry's name and extra field
_EOCD_MAGIC = b"PK\x05\x06"
_ZIP64_LOCATOR_MAGIC = b"PK\x06\x07"
_ZIP64_EOCD_MAGIC = b"PK\x06\x06"
_CENTRAL_MAGIC = b"PK\x01\x02"
_LOCAL_MAGIC = b"PK\x03\x04"
_ZIP64_EXTRA_ID = 0x0001
_ZIP64_MARK = 0xFFFFFFFF
_ENCRYPTED_FLAGS = 0x01 | 0x40  # traditional and strong encryption
STORED, DEFLATED = 0, 8
# Room for the local header's extra field in the same read as the data; zipalign's padding and
# alignment fields of a few bytes fit, a longer extra costs one more read.
_LOCAL_EXTRA_ALLOWANCE = 64


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """One central directory record."""

    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int


@dataclass(frozen=True)
class Archive:
    """An archive's entries by name, and where its central directory starts."""

    source: RangedSource
    entries: dict[str, ZipEntry]
    directory_offset: int

    def read(self, entry: ZipEntry, limit: int) -> bytes:
        """Return an entry's uncompressed bytes, refusing it if encrypted, exotic or too large.

        ``limit`` bounds the uncompressed size; MAX_COMPRESSION_RATIO bounds what it may inflate
        from its compressed size. Sizes that lie can never make us hold more than the limit.
        """
        check_readable(entry)
        ratio_limit = max(entry.compressed_size, 1) * MAX_COMPRESSION_RATIO
        if entry.size > min(limit, ratio_limit) or entry.compressed_size > limit:
            raise ApkError("entry expands beyond the limit")
        data = self._entry_data(entry)
        if entry.method == STORED:
            raw = data if entry.size == len(data) else None
        else:
            raw = _inflate(data, entry.size)
        if raw is None or zlib.crc32(raw) != entry.crc:
            raise ApkError("archive is corrupt")
        return raw

    def data_offset(self, entry: ZipEntry) -> int:
        """Where an entry's (compressed) data starts in the file, from its local header."""
        head = self.source.read(entry.header_offset, _LOCAL.size + len(entry.raw_name))
        return entry.header_offset + _local_data_start(entry, head)

    def _entry_data(self, entry: ZipEntry) -> bytes:
        """The compressed bytes of an entry, after checking its local header matches."""
        header_size = _LOCAL.size + len(entry.raw_name)
        head = self.source.read(
            entry.header_offset, header_size + _LOCAL_EXTRA_ALLOWANCE + entry.compressed_size
        )
        start = _local_data_start(entry, head)
        data = head[start : start + entry.compressed_size]
        if len(data) < entry.compressed_size:  # a long local extra field
            data += self.source.read(
                entry.header_offset + start + len(data), entry.compressed_size - len(data)
            )
        if len(data) < entry.compressed_size:
            raise ApkError("archive is truncated")
        return data


def check_readable(entry: ZipEntry) -> None:
    """Refuse an encrypted entry, or one neither stored nor deflated."""
    if entry.flags & _ENCRYPTED_FLAGS:
        raise ApkError("entry is encrypted")
    if entry.method not in (STORED, DEFLATED):
        raise ApkError("entry uses an unsupported compression method")


def _local_data_start(entry: ZipEntry, head: bytes) -> int:
    """Where the data starts after the local header at the start of ``head``, once that header
    is checked against the central directory's record."""
    name_length = len(entry.raw_name)
    header_size = _LOCAL.size + name_length
    if len(head) < _LOCAL.size:
        raise ApkError("archive is truncated")
    magic, *_, local_name_length, extra_length = _LOCAL.unpack_from(head)
    if magic != _LOCAL_MAGIC or local_name_length != name_length:
        raise ApkError("archive is corrupt")
    if head[_LOCAL.size : header_size] != entry.raw_name:
        raise ApkError("archive is corrupt")  # Android refuses names that differ too
    return header_size + extra_length


def open_archive(source: RangedSource) -> Archive:
    """Read the end records and central directory; refuse what Android would not install."""
    tail_start = max(0, source.size - READ_WINDOW_BYTES)
    tail = source.read(tail_start, source.size - tail_start)
    directory_offset, directory_size, count = _end_records(source, tail, tail_start)
    if count > MAX_ENTRIES:
        raise ApkError("too many entries")
    directory = source.read(directory_offset, directory_size)
    if len(directory) < directory_size:
        raise ApkError("archive is truncated")
    entries = _central_directory(directory, count)
    return Archive(source, entries, directory_offset)


def check_layout(archive: Archive, data_end: int) -> None:
    """Refuse entries whose data overlap each other or run past ``data_end``.

    Overlapping entries are how non-recursive zip bombs reuse one compressed stream many times,
    and how two parsers can be shown two different files. The central directory does not know
    the local extra field's length, so each entry's extent here is a lower bound.
    """
    extents = sorted(
        (
            entry.header_offset,
            entry.header_offset + _LOCAL.size + len(entry.raw_name) + entry.compressed_size,
        )
        for entry in archive.entries.values()
    )
    previous_end = 0
    for start, end in extents:
        if start < previous_end:
            raise ApkError("entries overlap")
        previous_end = end
    if previous_end > data_end:
        raise ApkError("entries overlap the central directory")


def _end_records(source: RangedSource, tail: bytes, tail_start: int) -> tuple[int, int, int]:
    """Find the central directory's offset, size and entry count from the end records."""
    at = _find_end_record(tail)
    if at < 0:
        # Entries but no end record: the upload stopped early.
        truncated = source.read(0, 4) == _LOCAL_MAGIC
        raise ApkError("archive is truncated" if truncated else "not a zip archive")
    _, disk, directory_disk, disk_count, count, size, offset, _ = _EOCD.unpack_from(tail, at)
    end_records = tail_start + at
    locator = at - _ZIP64_LOCATOR.size
    record = locator - _ZIP64_EOCD.size
    if (
        record >= 0
        and tail.startswith(_ZIP64_LOCATOR_MAGIC, locator)
        and tail.startswith(_ZIP64_EOCD_MAGIC, record)
    ):
        fields = _ZIP64_EOCD.unpack_from(tail, record)
        disk, directory_disk, disk_count, count, size, offset = fields[4:]
        end_records = tail_start + record
    if disk != 0 or directory_disk != 0 or disk_count != count:
        raise ApkError("archive spans several disks")
    if size > MAX_DIRECTORY_BYTES:
        raise ApkError("central directory is too large")
    if offset + size > end_records:
        raise ApkError("archive is truncated")
    return offset, size, count


def _find_end_record(tail: bytes) -> int:
    """Offset in ``tail`` of the last end record whose comment fits in the file, or -1."""
    search_end = len(tail) - _EOCD.size + len(_EOCD_MAGIC)
    while (at := tail.rfind(_EOCD_MAGIC, 0, search_end)) >= 0:
        comment_length = _EOCD.unpack_from(tail, at)[-1]
        if at + _EOCD.size + comment_length <= len(tail):
            return at
        search_end = at + len(_EOCD_MAGIC) - 1  # look further back
    return -1


def _central_directory(directory: bytes, count: int) -> dict[str, ZipEntry]:
    """Parse ``count`` central directory records into entries by name."""
    entries: dict[str, ZipEntry] = {}
    at = 0
    for _ in range(count):
        if at + _CENTRAL.size > len(directory):
            raise ApkError("central directory is corrupt")
        (
            magic,
            _made_by,
            _needed,
            flags,
            method,
            _time,
            _date,
            crc,
            compressed_size,
            size,
            name_length,
            extra_length,
            comment_length,
            _disk,
            _internal,
            _external,
            header_offset,
        ) = _CENTRAL.unpack_from(directory, at)
        if magic != _CENTRAL_MAGIC:
            raise ApkError("central directory is corrupt")
        name_at = at + _CENTRAL.size
        extra_at = name_at + name_length
        at = extra_at + extra_length + comment_length
        if at > len(directory):
            raise ApkError("central directory is corrupt")
        raw_name = directory[name_at:extra_at]
        if _ZIP64_MARK in (compressed_size, size, header_offset):
            size, compressed_size, header_offset = _zip64_fields(
                directory[extra_at : extra_at + extra_length], size, compressed_size, header_offset
            )
        # Android reads names as UTF-8 whatever the flag says; undecodable bytes are replaced
        # rather than refused, since only a few well-known names matter to us.
        name = raw_name.decode("utf-8", errors="replace")
        if name in entries:
            raise ApkError("archive has duplicate entries")
        entries[name] = ZipEntry(
            name, raw_name, flags, method, crc, compressed_size, size, header_offset
        )
    return entries


def _zip64_fields(extra: bytes, size: int, compressed_size: int, offset: int) -> tuple[int, ...]:
    """Replace the 32-bit fields marked 0xFFFFFFFF by their values in the ZIP64 extra field."""
    at = 0
    while at + 4 <= len(extra):
        field_id, field_length = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + field_length]
        at += 4 + field_length
        if field_id != _ZIP64_EXTRA_ID:
            continue
        values = [size, compressed_size, offset]
        read_at = 0
        for index, value in enumerate(values):
            if value == _ZIP64_MARK:
                if read_at + 8 > len(body):
                    raise ApkError("central directory is corrupt")
                values[index] = struct.unpack_from("<Q", body, read_at)[0]
                read_at += 8
        return tuple(values)
    raise ApkError("central directory is corrupt")


def _inflate(data: bytes, size: int) -> bytes | None:
    """Inflate raw deflate ``data`` that must yield exactly ``size`` bytes; None if it doesn't.

    Output is capped at ``size + 1`` bytes, so a stream that lies about its size cannot make us
    allocate more than the limit its entry was checked against.
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(data, size + 1)
    except zlib.error:
        return None
    return raw if len(raw) == size and inflater.eof else None
