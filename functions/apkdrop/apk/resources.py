"""resources.arsc: the values a resource id takes in each configuration.

A lean reader of Android's resource table (frameworks/base/libs/androidfw/ResourceTypes.h): it
indexes the chunks once and decodes only the entries and strings asked for, so a table of tens
of MiB costs a few milliseconds and no more memory than its bytes. pyaxmlparser's ARSCParser
decodes every entry of every type up front, which is slower and far larger.
"""

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from apkdrop.apk.errors import ApkError
from apkdrop.apk.limits import MAX_REFERENCE_DEPTH

# Res_value data types (the same in binary XML).
TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_DYNAMIC_REFERENCE = 0x07
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12

_CHUNK = struct.Struct("<HHL")
_TABLE, _STRING_POOL, _PACKAGE, _TYPE = 0x0002, 0x0001, 0x0200, 0x0201
_STRING_POOL_HEADER = struct.Struct("<HHL5L")
_PACKAGE_ID_AT = 8
_TYPE_HEADER = struct.Struct("<HHLBBHLL")
_CONFIG_AT = _TYPE_HEADER.size
_ENTRY = struct.Struct("<HHL")
_VALUE = struct.Struct("<HBBL")
_UTF8_POOL = 0x100
_SPARSE, _OFFSET16 = 0x01, 0x02  # how a type chunk lists its entries
_COMPLEX, _COMPACT = 0x0001, 0x0008  # entry flags: a bag (style, array...), or value inline
_NO_ENTRY32, _NO_ENTRY16 = 0xFFFFFFFF, 0xFFFF
# ResTable_config bytes that say nothing about which value to prefer: its size, the density
# and the API level. A config with anything else set (locale, night mode...) is not "plain".
_NEUTRAL_CONFIG_BYTES = {*range(0, 4), 14, 15, *range(24, 28)}
_CORRUPT = "resources.arsc is not a valid resource table"


@dataclass(frozen=True, slots=True)
class Value:
    """A typed value, as binary XML attributes and resource table entries store it."""

    kind: int
    data: int
    text: str | None = None

    @property
    def reference(self) -> int | None:
        """The resource id this value points to, or None if it is a value itself."""
        is_reference = self.kind in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE)
        return self.data if is_reference and self.data else None


@dataclass(frozen=True, slots=True)
class Config:
    """What inspection needs of a value's configuration (ResTable_config)."""

    language: str
    density: int
    plain: bool
    """No qualifier but density and API level: the default configuration for our purposes."""


class ValueTable(Protocol):
    """Values of resource ids by configuration: resources.arsc's, or a bundle's resources.pb."""

    def values(self, resource_id: int) -> list[tuple[Config, Value]]: ...

    def resolve(self, value: Value) -> Value | None: ...


def resolve(table: ValueTable, value: Value) -> Value | None:
    """ValueTable.resolve: the default configuration's value, else English, else the first."""
    for _ in range(MAX_REFERENCE_DEPTH):
        if value.reference is None:
            return value
        candidates = table.values(value.reference)
        if not candidates:
            return None
        _, value = min(candidates, key=lambda candidate: _label_rank(candidate[0]))
    return None


class ResourceTable:
    """Values of resource ids, decoded on demand from the bytes of a resources.arsc."""

    def __init__(self, data: bytes) -> None:
        """Index the table's chunks; raise ApkError if it is not a resource table."""
        self._data = memoryview(data)
        self._strings = 0
        self._types: dict[tuple[int, int], list[int]] = {}
        try:
            self._index()
        except (struct.error, IndexError, ValueError) as exc:
            raise ApkError(_CORRUPT) from exc

    def values(self, resource_id: int) -> list[tuple[Config, Value]]:
        """Every configuration's value of ``resource_id`` (bags and missing entries left out)."""
        package, kind, entry = resource_id >> 24, (resource_id >> 16) & 0xFF, resource_id & 0xFFFF
        found = []
        try:
            for chunk in self._types.get((package, kind), []):
                value = self._entry(chunk, entry)
                if value is not None:
                    found.append((self._config(chunk), value))
        except (struct.error, IndexError, ValueError) as exc:
            raise ApkError(_CORRUPT) from exc
        return found

    def resolve(self, value: Value) -> Value | None:
        """Follow references to a value: the default configuration's, else a fallback's.

        The fallback is English, then the first configuration the table lists. None when a
        reference leads nowhere (a framework resource, a missing entry, a cycle).
        """
        return resolve(self, value)

    def _index(self) -> None:
        """Find the global string pool and every type chunk of every package."""
        kind, header_size, size = _CHUNK.unpack_from(self._data)
        if kind != _TABLE or size > len(self._data):
            raise ValueError("not a resource table")
        for chunk, chunk_kind, chunk_header in _chunks(self._data, header_size, size):
            if chunk_kind == _STRING_POOL and not self._strings:
                if chunk_header < _STRING_POOL_HEADER.size:
                    raise ValueError("string pool header too small")
                self._strings = chunk
            elif chunk_kind == _PACKAGE:
                package = struct.unpack_from("<L", self._data, chunk + _PACKAGE_ID_AT)[0]
                end = chunk + _CHUNK.unpack_from(self._data, chunk)[2]
                for child, child_kind, child_header in _chunks(
                    self._data, chunk + chunk_header, end
                ):
                    if child_kind == _TYPE:
                        if child_header < _TYPE_HEADER.size + 4:  # + the config's own size
                            raise ValueError("type chunk header too small")
                        type_id = self._data[child + _CHUNK.size]
                        self._types.setdefault((package & 0xFF, type_id), []).append(child)
        if not self._strings:
            raise ValueError("no string pool")

    def _entry(self, chunk: int, entry: int) -> Value | None:
        """The simple value of ``entry`` in one type chunk, or None if absent or a bag."""
        _, header_size, size, _, flags, _, count, entries_start = _TYPE_HEADER.unpack_from(
            self._data, chunk
        )
        end = chunk + size
        offsets = chunk + header_size
        if flags & _SPARSE:
            offset = _sparse_offset(self._data, offsets, count, entry, end)
        elif entry >= count:
            return None
        elif flags & _OFFSET16:
            offset = _bounded_unpack("<H", self._data, offsets + 2 * entry, end)
            offset = None if offset == _NO_ENTRY16 else offset * 4
        else:
            offset = _bounded_unpack("<L", self._data, offsets + 4 * entry, end)
            offset = None if offset == _NO_ENTRY32 else offset
        if offset is None:
            return None
        at = chunk + entries_start + offset
        entry_size, entry_flags, _ = _ENTRY.unpack_from(self._check(at, _ENTRY.size, end), at)
        if entry_flags & _COMPACT:
            kind, data = entry_flags >> 8, _bounded_unpack("<L", self._data, at + 4, end)
        elif entry_flags & _COMPLEX:
            return None
        else:
            value_at = at + entry_size
            self._check(value_at, _VALUE.size, end)
            _, _, kind, data = _VALUE.unpack_from(self._data, value_at)
        return Value(kind, data, self._string(data) if kind == TYPE_STRING else None)

    def _config(self, chunk: int) -> Config:
        """The configuration a type chunk holds values for."""
        header_size = _CHUNK.unpack_from(self._data, chunk)[1]
        size = struct.unpack_from("<L", self._data, chunk + _CONFIG_AT)[0]
        config = bytes(self._data[chunk + _CONFIG_AT : chunk + min(header_size, _CONFIG_AT + size)])
        config = config.ljust(28, b"\0")
        language = config[8:10]
        plain = not any(byte for at, byte in enumerate(config) if at not in _NEUTRAL_CONFIG_BYTES)
        return Config(
            language=language.decode("ascii") if language.isalpha() else "",
            density=struct.unpack_from("<H", config, 14)[0],
            plain=plain,
        )

    def _string(self, index: int) -> str:
        """String ``index`` of the global pool, decoded from UTF-8 or UTF-16."""
        pool = self._strings
        _, header_size, size, count, _, flags, strings_start, _ = _STRING_POOL_HEADER.unpack_from(
            self._data, pool
        )
        end = pool + size
        if index >= count:
            raise ValueError("string index out of range")
        at = (
            pool
            + strings_start
            + _bounded_unpack("<L", self._data, pool + header_size + 4 * index, end)
        )
        if flags & _UTF8_POOL:
            _, at = _utf8_length(self._data, at)  # in characters, then in bytes
            length, at = _utf8_length(self._data, at)
            return bytes(self._check(at, length, end)[at : at + length]).decode("utf-8", "replace")
        length = _bounded_unpack("<H", self._data, at, end)
        at += 2
        if length & 0x8000:
            length = ((length & 0x7FFF) << 16) | _bounded_unpack("<H", self._data, at, end)
            at += 2
        raw = self._check(at, 2 * length, end)[at : at + 2 * length]
        return bytes(raw).decode("utf-16-le", "replace")

    def _check(self, at: int, length: int, end: int) -> memoryview:
        """The table's bytes, once ``at`` .. ``at + length`` is known to lie before ``end``."""
        if at < 0 or at + length > min(end, len(self._data)):
            raise ValueError("value outside its chunk")
        return self._data


def _chunks(data: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """Yield (offset, type, header size) of the chunks laid end to end from start to end."""
    at = start
    while at + _CHUNK.size <= end:
        kind, header_size, size = _CHUNK.unpack_from(data, at)
        if header_size < _CHUNK.size or size < header_size or at + size > end:
            raise ValueError("chunk outside its parent")
        yield at, kind, header_size
        at += size


def _sparse_offset(data: memoryview, offsets: int, count: int, entry: int, end: int) -> int | None:
    """Offset of ``entry`` in a sparse type chunk: sorted (index, offset / 4) pairs."""
    if offsets + 4 * count > end:
        raise ValueError("sparse entries outside their chunk")
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        index, offset = struct.unpack_from("<HH", data, offsets + 4 * middle)
        if index == entry:
            return offset * 4
        if index < entry:
            low = middle + 1
        else:
            high = middle
    return None


def _utf8_length(data: memoryview, at: int) -> tuple[int, int]:
    """A UTF-8 pool length: one byte, or two when the first has its high bit set."""
    length = data[at]
    if length & 0x80:
        return ((length & 0x7F) << 8) | data[at + 1], at + 2
    return length, at + 1


def _bounded_unpack(fmt: str, data: memoryview, at: int, end: int) -> int:
    """One integer at ``at``, which must lie before ``end``."""
    if at < 0 or at + struct.calcsize(fmt) > end:
        raise ValueError("value outside its chunk")
    return struct.unpack_from(fmt, data, at)[0]


def _label_rank(config: Config) -> tuple[int, int]:
    """Order for picking one value: plain configs (fewest qualifiers first), then English."""
    if config.plain:
        return 0, config.density
    return (1 if config.language == "en" else 2), 0
