"""AndroidManifest.xml: the elements and attributes inspection reports, as typed values.

pyaxmlparser's streaming AXMLParser decodes the binary XML; values keep their binary type so a
resource reference (``@string/app_name``) is told apart from a literal string and can be
resolved through resources.arsc.
"""

import logging
from dataclasses import dataclass, field

import pyaxmlparser.constants as axml
from pyaxmlparser.axmlparser import AXMLParser

from apkdrop.apk.errors import ApkError
from apkdrop.apk.resources import TYPE_STRING, Value

ANDROID_NS = "http://schemas.android.com/apk/res/android"
_ANDROID = "android:"
# The elements we read, by their path from the root; anything else is skipped.
_ROOT = ("manifest",)
_USES_SDK = ("manifest", "uses-sdk")
_PERMISSION_TAGS = {("manifest", "uses-permission"), ("manifest", "uses-permission-sdk-23")}
_INSTRUMENTATION = ("manifest", "instrumentation")
_APPLICATION = ("manifest", "application")
WANTED = {_ROOT, _USES_SDK, _INSTRUMENTATION, _APPLICATION, *_PERMISSION_TAGS}

# pyaxmlparser logs every oddity of hostile input at WARNING and ERROR; ApkError says it instead.
logging.getLogger("pyaxmlparser").setLevel(logging.CRITICAL)

Attributes = dict[str, Value]


@dataclass(frozen=True)
class Manifest:
    """What the manifest declares; values that may be resource references stay Values."""

    root: Attributes
    uses_sdk: Attributes = field(default_factory=dict)
    application: Attributes = field(default_factory=dict)
    instrumentation: Attributes | None = None
    permissions: list[Value] = field(default_factory=list)


def parse_manifest(raw: bytes) -> Manifest:
    """Decode a binary manifest; raise ApkError unless it is well-formed with a <manifest> root."""
    try:
        found = _wanted_elements(raw)
    except Exception as exc:
        # Hostile bytes break pyaxmlparser in open-ended ways (IndexError, AssertionError,
        # struct.error, UnicodeDecodeError...): any of them means the manifest is unreadable.
        raise ApkError("manifest is not valid binary XML") from exc
    if found is None:
        raise ApkError("manifest is not valid binary XML")
    return manifest_of(found)


def manifest_of(found: list[tuple[tuple[str, ...], Attributes]]) -> Manifest:
    """The Manifest of the wanted elements (WANTED), found in document order from the root."""
    first: dict[tuple[str, ...], Attributes] = {}
    permissions = []
    for path, attributes in found:
        if path in _PERMISSION_TAGS:
            if name := attributes.get(_ANDROID + "name"):
                permissions.append(name)
        else:
            first.setdefault(path, attributes)  # Android reads the first of each
    return Manifest(
        root=first[_ROOT],
        uses_sdk=first.get(_USES_SDK, {}),
        application=first.get(_APPLICATION, {}),
        instrumentation=first.get(_INSTRUMENTATION),
        permissions=permissions,
    )


def _wanted_elements(raw: bytes) -> list[tuple[tuple[str, ...], Attributes]] | None:
    """The wanted elements in document order, or None if the document is not well-formed."""
    parser = AXMLParser(raw)
    path: list[str] = []
    found = []
    while parser.is_valid():
        event = next(parser)
        if event == axml.START_TAG:
            path.append(parser.name)
            if len(path) == 1 and (path[0] != "manifest" or parser.namespace):
                return None
            if tuple(path) in WANTED:
                found.append((tuple(path), _attributes(parser)))
        elif event == axml.END_TAG:
            if not path:
                return None
            path.pop()
            if not path:
                return found if parser.is_valid() else None  # what follows the root is ignored
        elif event == axml.END_DOCUMENT:
            return None  # the root was never closed: the manifest is cut short
    return None


def _attributes(parser: AXMLParser) -> Attributes:
    """The current element's attributes: android ones as ``android:name``, others by name."""
    attributes: Attributes = {}
    for index in range(parser.getAttributeCount()):
        name = parser.getAttributeName(index)
        # pyaxmlparser names attributes known only by resource id ``android:...`` itself.
        if parser.getAttributeNamespace(index) == ANDROID_NS and not name.startswith(_ANDROID):
            name = _ANDROID + name
        kind = parser.getAttributeValueType(index)
        text = parser.getAttributeValue(index) if kind == TYPE_STRING else None
        attributes.setdefault(name, Value(kind, parser.getAttributeValueData(index), text))
    return attributes
