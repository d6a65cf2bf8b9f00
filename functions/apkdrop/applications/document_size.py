"""Firestore's 1 MiB per document, checked before writing: a request too big to store is a 400.

Sizes follow Firestore's storage-size rules: a string is its UTF-8 bytes plus 1, a number or a
timestamp 8, a boolean or null 1, an array the sum of its values, a map the sum of its keys and
values; the document adds its name and 32 bytes.
"""

import datetime
from collections.abc import Mapping

from apkdrop.errors import InvalidRequest

MAX_DOCUMENT_BYTES = 1024 * 1024  # Firestore's limit
# The document's name (at most a package name of 255 characters, in UTF-8) and the 32 bytes
# Firestore adds, rounded up.
DOCUMENT_NAME_ALLOWANCE_BYTES = 2048


def encoded_size(value: object) -> int:
    """What `value` counts towards a Firestore document's size."""
    if isinstance(value, str):
        return len(value.encode()) + 1
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int | float | datetime.datetime):
        return 8
    if isinstance(value, Mapping):
        return sum(encoded_size(key) + encoded_size(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return sum(encoded_size(item) for item in value)
    raise TypeError(f"no Firestore size for {type(value).__name__}")


def ensure_fits(what: str, fields: Mapping[str, object]) -> None:
    """Raises InvalidRequest, naming the largest field, when `fields` exceed one document."""
    size = DOCUMENT_NAME_ALLOWANCE_BYTES + encoded_size(fields)
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidRequest(
            f"{what} is too large to store: {size} bytes, more than the {MAX_DOCUMENT_BYTES} "
            f"a Firestore document holds; most of it is {_largest_field(fields)}"
        )


def _largest_field(fields: Mapping[str, object]) -> str:
    """The path to the largest value, through nested maps (e.g. `apkInfo.permissions`)."""
    name = max(fields, key=lambda key: encoded_size(fields[key]))
    value = fields[name]
    if isinstance(value, Mapping) and value:
        return f"{name}.{_largest_field(value)}"
    return name
