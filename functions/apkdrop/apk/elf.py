"""The PT_LOAD alignments of a native library, from its ELF header and program headers alone.

Only the header (52 or 64 bytes) and the program header table, which linkers put right after
it, are read: never the sections or the code. ELF32 and ELF64, little- and big-endian.
"""

import struct

from apkdrop.apk.limits import MAX_ELF_HEADERS_BYTES
from apkdrop.apk.source import SeekableReader

_MAGIC = b"\x7fELF"
_IDENT_SIZE = 16
_CLASSES = {1: 32, 2: 64}
_BYTE_ORDERS = {1: "<", 2: ">"}
_CURRENT_VERSION = 1
PT_LOAD = 1
_EXTENDED_NUMBERING = 0xFFFF  # PN_XNUM: the count is in section 0, which Android's linker refuses
# After e_ident: type, machine, version, entry, phoff, shoff, flags, ehsize, phentsize, phnum.
_HEADER = {32: "HHLLLLLHHH", 64: "HHLQQQLHHH"}
# p_type first; then the field orders differ: ELF64 moved p_flags up, beside p_type.
_PROGRAM_HEADER = {32: "LLLLLLLL", 64: "LLQQQQQQ"}
_ALIGN_INDEX = 7


class ElfError(Exception):
    """The library is not an ELF file we can read; ``reason`` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_alignments(reader: SeekableReader) -> list[int]:
    """The ``p_align`` of each PT_LOAD segment, in table order; 0 and 1 mean unaligned.

    Raises ElfError for anything malformed; reads at most MAX_ELF_HEADERS_BYTES.
    """
    ident = _read(reader, 0, _IDENT_SIZE)
    if ident[:4] != _MAGIC:
        raise ElfError("not an ELF file")
    bits = _CLASSES.get(ident[4])
    order = _BYTE_ORDERS.get(ident[5])
    if bits is None:
        raise ElfError(f"unknown ELF class {ident[4]}")
    if order is None:
        raise ElfError(f"unknown ELF byte order {ident[5]}")
    if ident[6] != _CURRENT_VERSION:
        raise ElfError(f"unknown ELF version {ident[6]}")
    header = struct.Struct(order + _HEADER[bits])
    fields = header.unpack(_read(reader, _IDENT_SIZE, header.size))
    table_offset, entry_size, count = fields[4], fields[8], fields[9]
    program_header = struct.Struct(order + _PROGRAM_HEADER[bits])
    if count == _EXTENDED_NUMBERING:
        raise ElfError("ELF uses extended program header numbering")
    if count == 0:
        raise ElfError("ELF has no program headers")
    if entry_size != program_header.size:
        raise ElfError(f"ELF program header size is {entry_size}, not {program_header.size}")
    table_end = table_offset + count * entry_size
    if table_offset < _IDENT_SIZE + header.size or table_end > MAX_ELF_HEADERS_BYTES:
        raise ElfError(
            f"ELF program headers are not within the first {MAX_ELF_HEADERS_BYTES // 1024} KiB"
        )
    table = _read(reader, table_offset, table_end - table_offset)
    alignments = [
        fields[_ALIGN_INDEX] for fields in program_header.iter_unpack(table) if fields[0] == PT_LOAD
    ]
    if not alignments:
        raise ElfError("ELF has no loadable segments")
    for alignment in alignments:
        if alignment & (alignment - 1):
            raise ElfError(f"ELF segment alignment {alignment} is not a power of two")
    return alignments


def _read(reader: SeekableReader, offset: int, length: int) -> bytes:
    """Exactly ``length`` bytes at ``offset``; a shorter file is truncated."""
    reader.seek(offset)
    data = reader.read(length)
    if len(data) < length:
        raise ElfError("ELF header is truncated")
    return data
