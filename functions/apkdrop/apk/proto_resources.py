"""An App Bundle module's resources.pb (aapt.pb.ResourceTable), as a ValueTable.

The protobuf runtime parses the table in C; entries are indexed per type on first lookup, so a
label and an icon cost two small dictionaries. File paths are made the bundle's own entry names
(``base/res/...``), which is where the icon is read from.
"""

from typing import Any

from google.protobuf.message import DecodeError

from apkdrop.apk import aapt_proto
from apkdrop.apk.errors import ApkError
from apkdrop.apk.proto_manifest import item_value
from apkdrop.apk.resources import TYPE_STRING, Config, Value, resolve

_CORRUPT = "resources.pb is not a valid resource table"
_PLAIN = aapt_proto.Configuration


class ProtoResourceTable:
    """Values of resource ids, from the bytes of one module's resources.pb."""

    def __init__(self, data: bytes, module: str) -> None:
        """Parse the table; raise ApkError if it is not an aapt.pb.ResourceTable."""
        try:
            table = aapt_proto.ResourceTable.FromString(data)
        except (DecodeError, RecursionError) as exc:
            raise ApkError(_CORRUPT) from exc
        self._prefix = f"{module}/"
        self._types: dict[tuple[int, int], list[Any]] = {}
        self._entries: dict[tuple[int, int], dict[int, list[Any]]] = {}
        for package in table.package:
            for kind in package.type:
                key = (package.package_id.id & 0xFF, kind.type_id.id & 0xFF)
                self._types.setdefault(key, []).append(kind)

    def values(self, resource_id: int) -> list[tuple[Config, Value]]:
        """Every configuration's simple value of ``resource_id`` (compound values left out)."""
        key = (resource_id >> 24, (resource_id >> 16) & 0xFF)
        found = []
        for config_value in self._type_entries(key).get(resource_id & 0xFFFF, []):
            value = config_value.value
            if value.WhichOneof("value") != "item":
                continue
            item = value.item
            found.append((_config(config_value.config), self._value(item)))
        return found

    def resolve(self, value: Value) -> Value | None:
        """As ResourceTable.resolve: the default configuration's value, else a fallback's."""
        return resolve(self, value)

    def _type_entries(self, key: tuple[int, int]) -> dict[int, list[Any]]:
        if key not in self._entries:
            entries: dict[int, list[Any]] = {}
            for kind in self._types.get(key, []):
                for entry in kind.entry:
                    entries.setdefault(entry.entry_id.id & 0xFFFF, []).extend(entry.config_value)
            self._entries[key] = entries
        return self._entries[key]

    def _value(self, item: Any) -> Value:
        value = item_value(item, None)
        if item.WhichOneof("value") == "file":
            return Value(TYPE_STRING, 0, self._prefix + item.file.path)
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
