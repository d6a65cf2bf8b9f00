"""Protobuf's wire format walked by hand, for the outer layers of a resource table only.

The protobuf runtime builds every message it parses, at about 40 times the bytes it reads, so a
hostile table of millions of empty entries would take gigabytes: the table and its packages are
walked here, and the runtime parses one type at a time, only the types a lookup needs.
"""

from collections.abc import Iterator

from apkdrop.apk.errors import ApkError

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_MAX_VARINT_BYTES = 10


def fields(
    data: bytes | memoryview, corrupt: str, limit: int
) -> Iterator[tuple[int, int | memoryview]]:
    """Each (field number, value) of one message: an int for a varint, a view of the bytes for
    a length-delimited field; fixed-width fields are skipped. ApkError(`corrupt`) for bytes
    that are not a message, or for more than `limit` fields."""
    view = memoryview(data)
    position, count = 0, 0
    while position < len(view):
        count += 1
        if count > limit:
            raise ApkError(corrupt)
        tag, position = _varint(view, position, corrupt)
        number, wire = tag >> 3, tag & 7
        if wire == _VARINT:
            value, position = _varint(view, position, corrupt)
            yield number, value
        elif wire == _LENGTH:
            length, position = _varint(view, position, corrupt)
            end = position + length
            if end > len(view):
                raise ApkError(corrupt)
            yield number, view[position:end]
            position = end
        elif wire in (_FIXED64, _FIXED32):
            position += 8 if wire == _FIXED64 else 4
        else:
            raise ApkError(corrupt)
    if position != len(view):
        raise ApkError(corrupt)


def first_varint(data: memoryview, number: int, corrupt: str) -> int:
    """The first varint field `number` of a small message (an id message), else 0."""
    for found, value in fields(data, corrupt, limit=16):
        if found == number and isinstance(value, int):
            return value
    return 0


def _varint(view: memoryview, position: int, corrupt: str) -> tuple[int, int]:
    result, shift = 0, 0
    for index in range(position, min(position + _MAX_VARINT_BYTES, len(view))):
        byte = view[index]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, index + 1
        shift += 7
    raise ApkError(corrupt)
