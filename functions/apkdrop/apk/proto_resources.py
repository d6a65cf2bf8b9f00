"""An App Bundle module's resources.pb (aapt.pb.ResourceTable), as a ValueTable.

The table and its packages are walked by hand (proto_wire) and each lookup parses, in C, only
the one type it needs, then keeps only what it found: memory stays near that type's own, never
the whole table's (see proto_wire). File paths are made the bundle's own entry names
(``base/res/...``), which is where the icon is read from.
"""

from typing import Any

from google.protobuf.message import DecodeError

from apkdrop.apk import aapt_proto
from apkdrop.apk.errors import ApkError
from apkdrop.apk.limits import MAX_PROTO_TABLE_FIELDS, MAX_PROTO_TYPE_BYTES
from apkdrop.apk.proto_manifest import item_value
from apkdrop.apk.proto_wire import fields, first_varint
from apkdrop.apk.resources import TYPE_STRING, Config, Value, resolve

_CORRUPT = "resources.pb is not a valid resource table"
_PLAIN = aapt_proto.Configuration
# Field numbers of aapt2's Resources.proto: ResourceTable.package, Package.package_id and
# Package.type, Type.type_id, and the id of PackageId and TypeId.
_PACKAGE, _PACKAGE_ID, _TYPE, _TYPE_ID, _ID = 2, 1, 3, 1, 1


class ProtoResourceTable:
    """Values of resource ids, from the bytes of one module's resources.pb."""

    def __init__(self, data: bytes, module: str) -> None:
        """Index the table's types; raise ApkError if it is not an aapt.pb.ResourceTable."""
        self._prefix = f"{module}/"
        self._types: dict[tuple[int, int], list[memoryview]] = {}
        for number, package in fields(data, _CORRUPT, MAX_PROTO_TABLE_FIELDS):
            if number == _PACKAGE:
                self._index_package(_message(package))

    def _index_package(self, package: memoryview) -> None:
        package_id, kinds = 0, []
        for number, value in fields(package, _CORRUPT, MAX_PROTO_TABLE_FIELDS):
            if number == _PACKAGE_ID:
                package_id = first_varint(_message(value), _ID, _CORRUPT)
            elif number == _TYPE:
                kinds.append(_message(value))
        for kind in kinds:
            if len(kind) > MAX_PROTO_TYPE_BYTES:
                continue  # its values stay unresolved rather than cost hundreds of MiB
            type_id = next(
                (
                    first_varint(_message(value), _ID, _CORRUPT)
                    for number, value in fields(kind, _CORRUPT, MAX_PROTO_TYPE_BYTES)
                    if number == _TYPE_ID
                ),
                0,
            )
            self._types.setdefault((package_id & 0xFF, type_id & 0xFF), []).append(kind)

    def values(self, resource_id: int) -> list[tuple[Config, Value]]:
        """Every configuration's simple value of ``resource_id`` (compound values left out)."""
        key = (resource_id >> 24, (resource_id >> 16) & 0xFF)
        found = []
        for config_value in self._type_entries(key, resource_id & 0xFFFF):
            value = config_value.value
            if value.WhichOneof("value") != "item":
                continue
            item = value.item
            found.append((_config(config_value.config), self._value(item)))
        return found

    def resolve(self, value: Value) -> Value | None:
        """As ResourceTable.resolve: the default configuration's value, else a fallback's."""
        return resolve(self, value)

    def _type_entries(self, key: tuple[int, int], entry_id: int) -> list[Any]:
        """The config values of one entry: its types parsed one at a time, nothing kept."""
        found: list[Any] = []
        for encoded in self._types.get(key, []):
            try:
                kind = aapt_proto.Type.FromString(encoded.tobytes())
            except (DecodeError, RecursionError) as exc:
                raise ApkError(_CORRUPT) from exc
            for entry in kind.entry:
                if entry.entry_id.id & 0xFFFF == entry_id:
                    found.extend(entry.config_value)
        return found

    def _value(self, item: Any) -> Value:
        value = item_value(item, None)
        if item.WhichOneof("value") == "file":
            return Value(TYPE_STRING, 0, self._prefix + item.file.path)
        return value


def _message(value: int | memoryview) -> memoryview:
    """A length-delimited field's bytes; a varint where a message belongs is not a table."""
    if isinstance(value, int):
        raise ApkError(_CORRUPT)
    return value


def _config(config: Any) -> Config:
    """A configuration: plain when it sets nothing but density and API level, as in
    resources.arsc (ByteSize counts the fields this subset does not name too)."""
    locale = config.locale
    language = locale[:2] if len(locale) >= 2 and locale[:2].isalpha() else ""
    plain = (
        config.ByteSize()
        == _PLAIN(density=config.density, sdk_version=config.sdk_version).ByteSize()
    )
    return Config(language=language.lower(), density=config.density, plain=plain)
