"""Read what an APK says about itself from its binary manifest, touching as few bytes as possible.

Uploads are read straight from Cloud Storage, where every read is an HTTP range request, so this
reads only the zip's end records, its central directory and AndroidManifest.xml. Every byte is
treated as hostile: whatever goes wrong surfaces as ApkError with a reason meant for people.
"""

import io
import logging
import re
import struct
import zipfile
import zlib
from typing import BinaryIO

from pyaxmlparser.axmlprinter import AXMLPrinter
from pydantic import BaseModel, ConfigDict

MAX_ENTRIES = 100_000
"""Most entries an archive may list; large games ship tens of thousands of assets."""
MAX_DIRECTORY_BYTES = 32 * 1024 * 1024
"""Largest central directory we read; zipfile loads it whole, so it is bounded before that."""
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
"""Largest uncompressed manifest; real ones are well under 1 MiB."""
MAX_COMPRESSION_RATIO = 200
"""Most a manifest may inflate relative to its compressed size; text manifests compress ~5:1."""

MANIFEST = "AndroidManifest.xml"
_BUNDLE_MARKERS = {"BundleConfig.pb", "base/manifest/AndroidManifest.xml"}
_BUNDLE_REASON = (
    "this is an Android App Bundle (.aab); upload an APK (bundle manifests are protobuf)"
)
_ANDROID = "{http://schemas.android.com/apk/res/android}"
# Android's own rule for application ids: two or more dot-separated Java-like ASCII identifiers.
_PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")
# At most int32 digits: keeps values sane and int() clear of Python's digit limit.
_DECIMAL = re.compile(r"-?[0-9]{1,10}")
_HEX = re.compile(r"0[xX][0-9a-fA-F]{1,8}")
_ENCRYPTED_FLAGS = 0x01 | 0x40  # traditional and strong encryption
_READ_CHUNK_BYTES = 64 * 1024

# The classic end record, and the ZIP64 locator and record that may sit just before it.
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_TAIL_BYTES = _ZIP64_EOCD.size + _ZIP64_LOCATOR.size + _EOCD.size + 0xFFFF  # + longest comment

# pyaxmlparser logs every oddity of hostile input at WARNING and ERROR; ApkError says it instead.
logging.getLogger("pyaxmlparser").setLevel(logging.CRITICAL)


class ApkError(Exception):
    """The file is not an APK we can read; ``reason`` says why in words a person understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ApkInfo(BaseModel):
    """What an APK's manifest declares, named as the API reports it."""

    model_config = ConfigDict(frozen=True)

    packageName: str
    versionName: str | None
    versionCode: int | None
    minSdkVersion: int | None
    targetSdkVersion: int | None
    hasInstrumentation: bool


def inspect_apk(source: BinaryIO) -> ApkInfo:
    """Read package, version, SDK levels and instrumentation from an APK.

    ``source`` must be seekable. Only the zip's end records, central directory and manifest entry
    are read, so a ranged Cloud Storage reader costs a few requests whatever the APK's size.
    Raises ApkError for anything that is not a readable APK.
    """
    try:
        _check_end_records(source)
        archive = zipfile.ZipFile(source)
    except (EOFError, OSError) as exc:
        raise ApkError("archive is truncated") from exc
    except (zipfile.BadZipFile, NotImplementedError, ValueError, struct.error) as exc:
        raise ApkError("not a zip archive") from exc
    with archive:
        if len(archive.filelist) > MAX_ENTRIES:
            raise ApkError("too many entries")
        raw = _read_manifest(archive)
    return _parse_manifest(raw)


def _check_end_records(source: BinaryIO) -> None:
    """Find the end records where zipfile will; refuse a directory that is missing, cut or huge."""
    source.seek(0, io.SEEK_END)
    size = source.tell()
    tail_start = max(0, size - _TAIL_BYTES)
    source.seek(tail_start)
    tail = source.read(size - tail_start)
    # The last signature with a whole record after it, as zipfile picks it.
    at = tail.rfind(b"PK\x05\x06", 0, max(0, len(tail) - _EOCD.size + 4))
    if at < 0:
        source.seek(0)
        # Entries but no end record: the upload stopped early.
        truncated = source.read(4) == b"PK\x03\x04"
        raise ApkError("archive is truncated" if truncated else "not a zip archive")
    *_, dir_size, dir_offset, _ = _EOCD.unpack_from(tail, at)
    end_records = tail_start + at
    # Like zipfile, let a ZIP64 record just before its locator override the classic sizes.
    locator = at - _ZIP64_LOCATOR.size
    record = locator - _ZIP64_EOCD.size
    if (
        record >= 0
        and tail.startswith(b"PK\x06\x07", locator)
        and tail.startswith(b"PK\x06\x06", record)
    ):
        *_, dir_size, dir_offset = _ZIP64_EOCD.unpack_from(tail, record)
        end_records = tail_start + record
    if dir_size > MAX_DIRECTORY_BYTES:
        raise ApkError("central directory is too large")
    if dir_offset + dir_size > end_records:
        raise ApkError("archive is truncated")


def _read_manifest(archive: zipfile.ZipFile) -> bytes:
    """Return the manifest's bytes, refusing it if encrypted, exotic or inflating too far."""
    names = set(archive.namelist())
    if MANIFEST not in names:
        if names & _BUNDLE_MARKERS:
            raise ApkError(_BUNDLE_REASON)
        raise ApkError("AndroidManifest.xml is missing")
    info = archive.getinfo(MANIFEST)
    if info.flag_bits & _ENCRYPTED_FLAGS:
        raise ApkError("entry is encrypted")
    # Android installs only stored and deflated entries; zipfile would also run bzip2 and LZMA.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ApkError("entry uses an unsupported compression method")
    limit = min(MAX_MANIFEST_BYTES, max(info.compress_size, 1) * MAX_COMPRESSION_RATIO)
    if info.file_size > limit:
        raise ApkError("entry expands beyond the limit")
    raw = bytearray()
    try:
        with archive.open(info) as entry:
            # Inflate in small steps so sizes that lie can never make us hold more than the limit.
            while len(raw) <= limit and (chunk := entry.read(_READ_CHUNK_BYTES)):
                raw += chunk
    except NotImplementedError as exc:
        raise ApkError("entry uses an unsupported compression method") from exc
    except (EOFError, OSError) as exc:
        raise ApkError("archive is truncated") from exc
    except (zipfile.BadZipFile, zlib.error, ValueError, struct.error) as exc:
        raise ApkError("archive is corrupt") from exc
    if len(raw) > limit:
        raise ApkError("entry expands beyond the limit")
    return bytes(raw)


def _parse_manifest(raw: bytes) -> ApkInfo:
    """Decode a binary manifest into ApkInfo."""
    try:
        printer = AXMLPrinter(raw)
    except Exception as exc:
        # Hostile bytes break pyaxmlparser in open-ended ways (IndexError, AssertionError,
        # struct.error, lxml errors...): any of them means the manifest is unreadable.
        raise ApkError("manifest is not valid binary XML") from exc
    root = printer.get_xml_obj()
    if not printer.is_valid() or root is None or root.tag != "manifest":
        raise ApkError("manifest is not valid binary XML")
    package = root.get("package")
    if not package:
        raise ApkError("manifest has no package name")
    if not _PACKAGE_NAME.fullmatch(package):
        raise ApkError("manifest package name is not a valid Android package name")
    sdk = root.find("uses-sdk")
    sdk_attributes = {} if sdk is None else sdk.attrib
    return ApkInfo(
        packageName=package,
        versionName=root.get(_ANDROID + "versionName") or None,
        versionCode=_to_int(root.get(_ANDROID + "versionCode")),
        minSdkVersion=_to_int(sdk_attributes.get(_ANDROID + "minSdkVersion")),
        targetSdkVersion=_to_int(sdk_attributes.get(_ANDROID + "targetSdkVersion")),
        hasInstrumentation=root.find("instrumentation") is not None,
    )


def _to_int(value: str | None) -> int | None:
    """Read a decimal or 0x-hex attribute as pyaxmlparser renders ints; codenames read as None."""
    if value is None:
        return None
    if _DECIMAL.fullmatch(value):
        return int(value)
    if _HEX.fullmatch(value):
        return int(value, 16)
    return None
