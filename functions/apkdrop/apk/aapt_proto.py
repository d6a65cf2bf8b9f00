"""The subset of aapt2's protobuf formats an App Bundle's manifest and resource table need.

Hand-written descriptors with the field numbers of aapt2's Resources.proto and Configuration.proto
(package aapt.pb); fields left out are kept as unknown fields and ignored. Parsing uses the PyPI
``protobuf`` runtime, which refuses malformed wire data with DecodeError.
"""

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_SCALARS = {
    "string": _F.TYPE_STRING,
    "bytes": _F.TYPE_BYTES,
    "uint32": _F.TYPE_UINT32,
    "int32": _F.TYPE_INT32,
    "bool": _F.TYPE_BOOL,
    "float": _F.TYPE_FLOAT,
}

# message -> (field name, number, type, repeated?, oneof index or None). Types not in _SCALARS
# are messages of this file.
_MESSAGES: dict[str, list[tuple[str, int, str, bool, int | None]]] = {
    # Resources.proto: the proto manifest (base/manifest/AndroidManifest.xml).
    "XmlNode": [("element", 1, "XmlElement", False, 0), ("text", 2, "string", False, 0)],
    "XmlElement": [
        ("namespace_uri", 2, "string", False, None),
        ("name", 3, "string", False, None),
        ("attribute", 4, "XmlAttribute", True, None),
        ("child", 5, "XmlNode", True, None),
    ],
    "XmlAttribute": [
        ("namespace_uri", 1, "string", False, None),
        ("name", 2, "string", False, None),
        ("value", 3, "string", False, None),
        ("resource_id", 5, "uint32", False, None),
        ("compiled_item", 6, "Item", False, None),
    ],
    # Resources.proto: the resource table (base/resources.pb).
    "ResourceTable": [("package", 2, "Package", True, None)],
    "Package": [
        ("package_id", 1, "PackageId", False, None),
        ("package_name", 2, "string", False, None),
        ("type", 3, "Type", True, None),
    ],
    "PackageId": [("id", 1, "uint32", False, None)],
    "Type": [
        ("type_id", 1, "TypeId", False, None),
        ("name", 2, "string", False, None),
        ("entry", 3, "Entry", True, None),
    ],
    "TypeId": [("id", 1, "uint32", False, None)],
    "Entry": [
        ("entry_id", 1, "EntryId", False, None),
        ("name", 2, "string", False, None),
        ("config_value", 6, "ConfigValue", True, None),
    ],
    "EntryId": [("id", 1, "uint32", False, None)],
    "ConfigValue": [
        ("config", 1, "Configuration", False, None),
        ("value", 2, "Value", False, None),
    ],
    "Value": [("item", 4, "Item", False, 0), ("compound_value", 5, "CompoundValue", False, 0)],
    "CompoundValue": [],
    "Item": [
        ("ref", 1, "Reference", False, 0),
        ("str", 2, "String", False, 0),
        ("raw_str", 3, "RawString", False, 0),
        ("styled_str", 4, "StyledString", False, 0),
        ("file", 5, "FileReference", False, 0),
        ("prim", 7, "Primitive", False, 0),
    ],
    "Reference": [("id", 2, "uint32", False, None), ("name", 3, "string", False, None)],
    "String": [("value", 1, "string", False, None)],
    "RawString": [("value", 1, "string", False, None)],
    "StyledString": [("value", 1, "string", False, None)],
    "FileReference": [("path", 1, "string", False, None)],
    "Primitive": [
        ("int_decimal_value", 6, "int32", False, 0),
        ("int_hexadecimal_value", 7, "uint32", False, 0),
        ("boolean_value", 8, "bool", False, 0),
    ],
    # Configuration.proto: only what choosing a value needs.
    "Configuration": [
        ("mcc", 1, "uint32", False, None),
        ("mnc", 2, "uint32", False, None),
        ("locale", 3, "string", False, None),
        ("density", 18, "uint32", False, None),
        ("sdk_version", 24, "uint32", False, None),
    ],
}
_ONEOFS = {"XmlNode": "node", "Value": "value", "Item": "value", "Primitive": "oneof_value"}


def _file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="apkdrop/aapt_subset.proto", package="aapt.pb", syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        message = file.message_type.add(name=name)
        if name in _ONEOFS:
            message.oneof_decl.add(name=_ONEOFS[name])
        for field_name, number, kind, repeated, oneof in fields:
            field = message.field.add(
                name=field_name, number=number, label=_REPEATED if repeated else _OPTIONAL
            )
            if kind in _SCALARS:
                field.type = _SCALARS[kind]
            else:
                field.type, field.type_name = _F.TYPE_MESSAGE, f".aapt.pb.{kind}"
            if oneof is not None:
                field.oneof_index = oneof
    return file


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())


def _message(name: str) -> Any:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"aapt.pb.{name}"))


XmlNode = _message("XmlNode")
ResourceTable = _message("ResourceTable")
Configuration = _message("Configuration")
Type = _message("Type")
