"""inspect_apk: what an APK or an App Bundle is, from the few byte ranges that say it.

Reads the end records, central directory and APK Signing Block (usually one range at the end of
the file), then AndroidManifest.xml, resources.arsc when the manifest refers to resources, the
launcher icon and, for v1-only APKs, the signature block file. Nothing else is touched, so a
1 GiB upload costs about as much as a 1 MiB one. A bundle (.aab) is read the same way, from its
base module's protobuf manifest and resources.pb (apk/bundle.py).
"""

import re
from collections.abc import Callable

from apkdrop.apk.archive import Archive, ZipEntry, check_layout, open_archive
from apkdrop.apk.bundle import (
    BASE_MODULE,
    BUNDLE_MANIFEST,
    BUNDLE_RESOURCES,
    FileType,
    is_bundle,
)
from apkdrop.apk.checks import library_header_spans, play_checks
from apkdrop.apk.components import component_sizes, native_abis
from apkdrop.apk.errors import ApkError
from apkdrop.apk.icon import Icon, read_icon
from apkdrop.apk.limits import (
    MAX_MANIFEST_BYTES,
    MAX_NAME_CHARS,
    MAX_PERMISSIONS,
    MAX_PROTO_MANIFEST_BYTES,
    MAX_RESOURCES_BYTES,
    MAX_TEXT_CHARS,
)
from apkdrop.apk.manifest import Manifest, parse_manifest
from apkdrop.apk.models import ApkIcon, ApkInfo, ApkInspection, ApkSigning
from apkdrop.apk.proto_manifest import parse_proto_manifest
from apkdrop.apk.proto_resources import ProtoResourceTable
from apkdrop.apk.resources import (
    TYPE_INT_BOOLEAN,
    TYPE_INT_DEC,
    TYPE_INT_HEX,
    ResourceTable,
    Value,
    ValueTable,
)
from apkdrop.apk.signing import SigningBlock, find_signing_block, read_signing
from apkdrop.apk.source import READ_WINDOW_BYTES, RangedSource, SeekableReader

MANIFEST = "AndroidManifest.xml"
RESOURCES = "resources.arsc"
# Android's own rule for application ids: two or more dot-separated Java-like ASCII identifiers.
_PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")
# At most int32 digits: keeps values sane and int() clear of Python's digit limit.
_DECIMAL = re.compile(r"-?[0-9]{1,10}")
_HEX = re.compile(r"0[xX][0-9a-fA-F]{1,8}")
_INTEGER_KINDS = (TYPE_INT_DEC, TYPE_INT_HEX)
_A = "android:"


def inspect_apk(source: SeekableReader, *, min_target_sdk: int | None = None) -> ApkInspection:
    """Describe the APK in ``source``, a seekable binary file (a ranged Cloud Storage reader, a
    local or spooled file), reading only the byte ranges that matter.

    With ``min_target_sdk`` (Play's minimum target SDK) the Play-readiness checks run too, on the
    same reads and central directory; without it (the benchmark's baseline) they are empty.

    Raises ApkError, with a reason for people, for anything that is not a readable APK; what the
    source itself raises (a storage outage) propagates untouched.
    """
    archive = open_archive(RangedSource(source))
    block = find_signing_block(archive.source, archive.directory_offset)
    check_layout(archive, block.start if block else archive.directory_offset)
    file_type: FileType = "AAB" if is_bundle(archive.entries) else "APK"
    try:
        return _inspect_entries(archive, block, file_type, min_target_sdk)
    except ApkError as exc:
        exc.file_type = file_type
        raise


def _inspect_entries(
    archive: Archive, block: SigningBlock | None, file_type: FileType, min_target_sdk: int | None
) -> ApkInspection:
    manifest_entry = _entry(archive, BUNDLE_MANIFEST if file_type == "AAB" else MANIFEST)
    if min_target_sdk is not None:
        # The manifest's first window with the libraries' headers: one round trip for all.
        window = (manifest_entry.header_offset, READ_WINDOW_BYTES)
        archive.source.prefetch([window, *library_header_spans(archive, file_type)])
    if file_type == "AAB":
        manifest = parse_proto_manifest(archive.read(manifest_entry, MAX_PROTO_MANIFEST_BYTES))
        table = _resource_table(archive, manifest, BUNDLE_RESOURCES, _base_resources)
    else:
        manifest = parse_manifest(archive.read(manifest_entry, MAX_MANIFEST_BYTES))
        table = _resource_table(archive, manifest, RESOURCES, ResourceTable)
    package = _text(manifest.root.get("package"), None)
    if not package:
        raise ApkError("manifest has no package name")
    if len(package) > MAX_NAME_CHARS or not _PACKAGE_NAME.fullmatch(package):
        raise ApkError("manifest package name is not a valid Android package name")
    application = manifest.application
    icon_value = application.get(_A + "icon")
    icon_id = icon_value.reference if icon_value else None
    icon = read_icon(archive, table, icon_id) if table and icon_id else None
    signing = read_signing(archive, block)
    instrumentation = manifest.instrumentation
    info = ApkInfo(
        fileType=file_type,
        packageName=package,
        versionName=_bounded(_text(manifest.root.get(_A + "versionName"), table), "versionName"),
        versionCode=_integer(manifest.root.get(_A + "versionCode"), table),
        minSdkVersion=_integer(manifest.uses_sdk.get(_A + "minSdkVersion"), table),
        targetSdkVersion=_integer(manifest.uses_sdk.get(_A + "targetSdkVersion"), table),
        hasInstrumentation=instrumentation is not None,
        instrumentationTargetPackage=_name(
            _text(instrumentation.get(_A + "targetPackage"), table) if instrumentation else None
        ),
        debuggable=_boolean(application.get(_A + "debuggable"), table),
        permissions=_permissions(manifest, table),
        nativeAbis=native_abis(archive.entries, file_type),
        appLabel=_label(application.get(_A + "label"), table),
        icon=_icon_info(icon),
        signing=ApkSigning(schemes=signing.schemes, signerSha256=signing.signer_sha256),
    )
    return ApkInspection(
        info=info,
        icon=icon.data if icon else None,
        components=component_sizes(archive.entries.values(), file_type),
        checks=[] if min_target_sdk is None else play_checks(archive, info, min_target_sdk),
    )


def _entry(archive: Archive, name: str) -> ZipEntry:
    """The manifest's entry, or ApkError when the zip has none."""
    entry = archive.entries.get(name)
    if entry is None:
        raise ApkError(f"{name} is missing")
    return entry


def _base_resources(data: bytes) -> ProtoResourceTable:
    return ProtoResourceTable(data, BASE_MODULE)


def _resource_table(
    archive: Archive, manifest: Manifest, name: str, parse: Callable[[bytes], ValueTable]
) -> ValueTable | None:
    """The resource table, read only when the manifest refers to a resource."""
    entry = archive.entries.get(name)
    values = [
        *manifest.root.values(),
        *manifest.uses_sdk.values(),
        *manifest.application.values(),
        *(manifest.instrumentation or {}).values(),
        *manifest.permissions,
    ]
    if entry is None or not any(value.reference for value in values):
        return None
    return parse(archive.read(entry, MAX_RESOURCES_BYTES))


def _resolved(value: Value | None, table: ValueTable | None) -> Value | None:
    """The value itself, or what its reference resolves to; None when that is unknown."""
    if value is None or value.reference is None:
        return value
    return table.resolve(value) if table else None


def _text(value: Value | None, table: ValueTable | None) -> str | None:
    """A string value, cut at a NUL as aapt does, with unpaired surrogates replaced."""
    value = _resolved(value, table)
    if value is None:
        return None
    if value.text is None:
        # aapt2 compiles some numeric-looking strings as integers.
        return str(_signed(value.data)) if value.kind in _INTEGER_KINDS else None
    text = value.text.split("\0", 1)[0]
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").strip() or None


def _label(value: Value | None, table: ValueTable | None) -> str | None:
    """The application label, cut to MAX_TEXT_CHARS characters as Android cuts labels."""
    text = _text(value, table)
    return text[:MAX_TEXT_CHARS] if text else None


def _integer(value: Value | None, table: ValueTable | None) -> int | None:
    """An integer, written as a number or as a decimal or 0x-hex string; codenames are None."""
    value = _resolved(value, table)
    if value is None:
        return None
    if value.kind in _INTEGER_KINDS:
        return _signed(value.data)
    if value.text is None:
        return None
    text = value.text.strip()
    if _DECIMAL.fullmatch(text):
        return int(text)
    if _HEX.fullmatch(text):
        return int(text, 16)
    return None


def _boolean(value: Value | None, table: ValueTable | None) -> bool:
    """A boolean attribute; anything but an explicit true is false, Android's default."""
    value = _resolved(value, table)
    if value is None:
        return False
    if value.kind == TYPE_INT_BOOLEAN:
        return value.data != 0
    return (value.text or "").strip().lower() == "true"


def _signed(data: int) -> int:
    """A 32-bit value as the signed int Android reads."""
    return data - (1 << 32) if data & 0x80000000 else data


def _bounded(text: str | None, what: str) -> str | None:
    """``text``, refused when longer than MAX_TEXT_CHARS (it is stored on the build)."""
    if text is not None and len(text) > MAX_TEXT_CHARS:
        raise ApkError(f"manifest {what} is longer than {MAX_TEXT_CHARS} characters")
    return text


def _name(text: str | None) -> str | None:
    """A package or permission name, refused when longer than MAX_NAME_CHARS."""
    if text is not None and len(text) > MAX_NAME_CHARS:
        raise ApkError(f"manifest has a name longer than {MAX_NAME_CHARS} characters")
    return text


def _permissions(manifest: Manifest, table: ValueTable | None) -> list[str]:
    """Requested permission names, each once, in manifest order."""
    names = dict.fromkeys(
        name for value in manifest.permissions if (name := _name(_text(value, table)))
    )
    if len(names) > MAX_PERMISSIONS:
        raise ApkError(f"manifest requests more than {MAX_PERMISSIONS} permissions")
    return list(names)


def _icon_info(icon: Icon | None) -> ApkIcon | None:
    """The icon's description for ApkInfo."""
    if icon is None:
        return None
    return ApkIcon(
        path=icon.entry.name,
        mediaType=icon.media_type,
        density=icon.density,
        size=len(icon.data),
    )
