"""An App Bundle's manifest: aapt2's protobuf XmlNode, read into the same Manifest as an APK's.

Each attribute becomes the Value binary XML would hold: aapt2 keeps the compiled form beside the
text (``compiled_item``: a reference, a primitive, a string), so ``@string/app_name`` stays a
reference to resolve through resources.pb and ``versionCode`` is read from its primitive.
"""

from typing import Any

from google.protobuf.message import DecodeError

from apkdrop.apk import aapt_proto
from apkdrop.apk.errors import ApkError
from apkdrop.apk.manifest import ANDROID_NS, WANTED, Attributes, Manifest, manifest_of
from apkdrop.apk.resources import (
    TYPE_INT_BOOLEAN,
    TYPE_INT_DEC,
    TYPE_INT_HEX,
    TYPE_REFERENCE,
    TYPE_STRING,
    Value,
)

_INVALID = "bundle manifest is not a valid protobuf XmlNode"
_ANDROID = "android:"
_TEXT_ITEMS = ("str", "raw_str", "styled_str")


def parse_proto_manifest(raw: bytes) -> Manifest:
    """Decode base/manifest/AndroidManifest.xml; raise ApkError unless its root is <manifest>."""
    try:
        root = aapt_proto.XmlNode.FromString(raw)
    except (DecodeError, RecursionError) as exc:
        raise ApkError(_INVALID) from exc
    element = root.element if root.WhichOneof("node") == "element" else None
    if element is None or element.name != "manifest" or element.namespace_uri:
        raise ApkError(_INVALID)
    found: list[tuple[tuple[str, ...], Attributes]] = [(("manifest",), _attributes(element))]
    for child in element.child:
        if child.WhichOneof("node") != "element":
            continue
        path = ("manifest", child.element.name)
        if path in WANTED and not child.element.namespace_uri:
            found.append((path, _attributes(child.element)))
    return manifest_of(found)


def _attributes(element: Any) -> Attributes:
    """The element's attributes: android ones as ``android:name``, others by name."""
    attributes: Attributes = {}
    for attribute in element.attribute:
        prefix = _ANDROID if attribute.namespace_uri == ANDROID_NS else ""
        attributes.setdefault(
            prefix + attribute.name, item_value(attribute.compiled_item, attribute.value)
        )
    return attributes


def item_value(item: Any, text: str | None) -> Value:
    """The Value of an aapt.pb.Item; ``text`` (the attribute's source text) when it has none."""
    kind = item.WhichOneof("value")
    if kind == "ref":
        return Value(TYPE_REFERENCE, item.ref.id)
    if kind in _TEXT_ITEMS:
        return Value(TYPE_STRING, 0, getattr(item, kind).value)
    if kind == "file":
        return Value(TYPE_STRING, 0, item.file.path)
    if kind == "prim":
        primitive = item.prim.WhichOneof("oneof_value")
        if primitive == "int_decimal_value":
            return Value(TYPE_INT_DEC, item.prim.int_decimal_value & 0xFFFFFFFF)
        if primitive == "int_hexadecimal_value":
            return Value(TYPE_INT_HEX, item.prim.int_hexadecimal_value)
        if primitive == "boolean_value":
            return Value(TYPE_INT_BOOLEAN, int(item.prim.boolean_value))
    return Value(TYPE_STRING, 0, text)
