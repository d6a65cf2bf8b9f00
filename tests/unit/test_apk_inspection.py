"""inspect_apk on real APKs, synthetic ones, and a corpus of hostile files.

Label and icon resolution are in test_apk_resources, signatures in test_apk_signing, and the
property-based fuzzing in test_apk_fuzz.
"""

import hashlib
import io
import logging
import random
import struct
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import pytest
from pyaxmlparser.core import APK

from apkdrop.apk import archive as zip_archive
from apkdrop.apk import inspection, limits, source
from apkdrop.apk_inspection import ApkError, ApkInfo, ApkInspection, inspect_apk
from apkdrop.errors import BackendUnavailable
from tests.fixtures.apk_builder import (
    ICON_ID,
    LABEL_ID,
    Qualifiers,
    build_apk,
    build_manifest,
    build_resources,
    build_zip,
    generated_signer,
    png,
    reference,
    write_apk,
)
from tests.paths import INSTRUMENTATION_APK, SETTINGS_APK, real_apk

SETTINGS_EXPECTED = {
    "packageName": "io.appium.settings",
    "versionName": "8.0.10",
    "versionCode": 192,
    "minSdkVersion": 26,
    "targetSdkVersion": 35,
    "hasInstrumentation": False,
    "instrumentationTargetPackage": None,
    "debuggable": True,
    "appLabel": "Appium Settings",
    "nativeAbis": [],
    "icon": {
        "path": "res/drawable-xxxhdpi-v4/ic_launcher.png",
        "mediaType": "image/png",
        "density": 640,
        "size": 23633,
    },
}
INSTRUMENTATION_EXPECTED = {
    "packageName": "io.appium.uiautomator2.server.test",
    "versionName": None,
    "versionCode": None,
    "minSdkVersion": 26,
    "targetSdkVersion": 34,
    "hasInstrumentation": True,
    "instrumentationTargetPackage": "io.appium.uiautomator2.server",
    "debuggable": True,
    "permissions": [],
    "appLabel": None,
    "nativeAbis": [],
    "icon": None,
}
BUNDLE_MANIFEST = "base/manifest/AndroidManifest.xml"
EOCD = struct.Struct("<4s4H2LH")


def inspect_bytes(data: bytes) -> ApkInspection:
    return inspect_apk(io.BytesIO(data))


def reason_for(data: bytes) -> str:
    """The ApkError reason inspect_apk gives for ``data``; fails on a result or other errors."""
    with pytest.raises(ApkError) as caught:
        inspect_bytes(data)
    return caught.value.reason


def central_record(apk: bytes, name: str) -> int:
    """Offset of ``name``'s central directory record (archives without a comment)."""
    directory = EOCD.unpack_from(apk, len(apk) - EOCD.size)[6]
    return apk.index(name.encode(), directory) - 46


def patch_entry(apk: bytes, name: str, *, flags: int = 0, method: int | None = None) -> bytes:
    """OR ``flags`` into, and optionally set the method of, both headers of one entry."""
    data = bytearray(apk)
    with zipfile.ZipFile(io.BytesIO(apk)) as archive:
        local = archive.getinfo(name).header_offset
    # Flags then method sit at 6/8 in the local header and 8/10 in the central record.
    for flags_at in (local + 6, central_record(apk, name) + 8):
        old_flags, old_method = struct.unpack_from("<HH", data, flags_at)
        new_method = old_method if method is None else method
        struct.pack_into("<HH", data, flags_at, old_flags | flags, new_method)
    return bytes(data)


def patch_central_sizes(apk: bytes, name: str, compressed: int, uncompressed: int) -> bytes:
    """Make the central directory lie about one entry's sizes."""
    data = bytearray(apk)
    struct.pack_into("<LL", data, central_record(apk, name) + 20, compressed, uncompressed)
    return bytes(data)


def patch_end_record(apk: bytes, **fields: int) -> bytes:
    """Rewrite fields (dir_size, dir_offset) of the end of central directory record."""
    data = bytearray(apk)
    at = len(apk) - EOCD.size
    record = list(EOCD.unpack_from(apk, at))
    positions = {"dir_size": 5, "dir_offset": 6}
    for field, value in fields.items():
        record[positions[field]] = value
    EOCD.pack_into(data, at, *record)
    return bytes(data)


def with_zip64_end(apk: bytes, *, dir_size: int | None = None) -> bytes:
    """End ``apk`` with ZIP64 end records, as zipfile writes them for huge archives."""
    eocd = len(apk) - EOCD.size
    _, _, _, here, total, size, offset, _ = EOCD.unpack_from(apk, eocd)
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, here, total, dir_size or size, offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd, 1)
    end = EOCD.pack(b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return apk[:eocd] + record + locator + end


# Real APKs


def test_real_settings_apk() -> None:
    path = real_apk(SETTINGS_APK)
    with path.open("rb") as file:
        inspection = inspect_apk(file)
    info = inspection.info.model_dump()
    # What the fixtures' README says, and what pyaxmlparser's whole-file APK class reads.
    oracle = APK(str(path))
    assert {key: info[key] for key in SETTINGS_EXPECTED} == SETTINGS_EXPECTED
    assert len(info["permissions"]) == 27
    assert set(info["permissions"]) == set(oracle.get_permissions())
    assert info["appLabel"] == oracle.get_app_name()
    assert info["icon"]["path"] == oracle.get_app_icon()
    assert inspection.icon == oracle.get_file(info["icon"]["path"])
    assert info["signing"]["schemes"] == ["v2"]
    (certificate,) = oracle.get_certificates_der_v2()
    assert info["signing"]["signerSha256"] == fingerprint(certificate)


def test_real_instrumentation_apk_has_no_version() -> None:
    with real_apk(INSTRUMENTATION_APK).open("rb") as file:
        inspection = inspect_apk(file)
    info = inspection.info.model_dump()
    assert {key: info[key] for key in INSTRUMENTATION_EXPECTED} == INSTRUMENTATION_EXPECTED
    assert info["signing"]["schemes"] == ["v1", "v2", "v3"]
    assert inspection.icon is None


def test_stored_apk_info_is_json_friendly() -> None:
    with real_apk(SETTINGS_APK).open("rb") as file:
        info = inspect_apk(file).info
    assert ApkInfo.model_validate_json(info.model_dump_json()) == info
    assert ApkInfo.model_validate(info.model_dump()) == info
    assert len(info.model_dump_json()) < 10_000  # icon bytes stay out of the stored record


def test_builds_stored_before_the_new_fields_still_read() -> None:
    old = dict.fromkeys(["versionName", "versionCode", "minSdkVersion", "targetSdkVersion"])
    info = ApkInfo.model_validate(
        {**old, "packageName": "com.example.app", "hasInstrumentation": False}
    )
    assert (info.permissions, info.nativeAbis, info.debuggable) == ([], [], False)
    assert (info.appLabel, info.icon, info.signing, info.instrumentationTargetPackage) == (
        None,
        None,
        None,
        None,
    )


def fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[at : at + 2] for at in range(0, 64, 2))


@pytest.mark.parametrize("path", [SETTINGS_APK, INSTRUMENTATION_APK], ids=["settings", "test"])
@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.999])
def test_cut_real_apk_is_truncated(path: Path, fraction: float) -> None:
    data = real_apk(path).read_bytes()
    assert reason_for(data[: int(len(data) * fraction)]) == "archive is truncated"


# Synthetic APKs


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ("com.example.app", "1.0", 1, 21, 34, False)),
        (
            {"package": "org.acme.tool_2", "version_name": "2.3.4-rc1", "version_code": 2_000_001},
            ("org.acme.tool_2", "2.3.4-rc1", 2_000_001, 21, 34, False),
        ),
        (
            {"min_sdk": 26, "target_sdk": 35, "instrumentation_target": "com.example.app"},
            ("com.example.app", "1.0", 1, 26, 35, True),
        ),
        (
            {"version_name": None, "version_code": None},
            ("com.example.app", None, None, 21, 34, False),
        ),
        ({"min_sdk": None, "target_sdk": None}, ("com.example.app", "1.0", 1, None, None, False)),
        ({"version_code": "0xC0"}, ("com.example.app", "1.0", 192, 21, 34, False)),
        (
            {"min_sdk": "S", "target_sdk": "Tiramisu"},
            ("com.example.app", "1.0", 1, None, None, False),
        ),
        ({"version_name": "", "label": "Ünïcødé 🚀"}, ("com.example.app", None, 1, 21, 34, False)),
    ],
)
def test_synthetic_apk_round_trips(options: dict, expected: tuple) -> None:
    info = inspect_bytes(build_apk(**options)).info
    assert isinstance(info, ApkInfo)
    assert (
        info.packageName,
        info.versionName,
        info.versionCode,
        info.minSdkVersion,
        info.targetSdkVersion,
        info.hasInstrumentation,
    ) == expected


def test_synthetic_apk_reports_every_field() -> None:
    signer = generated_signer()
    icon = png(4, 4)
    apk = build_apk(
        "com.example.shop",
        "2.5",
        25,
        min_sdk=24,
        target_sdk=35,
        instrumentation_target="com.example.target",
        label=reference(LABEL_ID),
        icon=reference(ICON_ID),
        permissions=["android.permission.INTERNET", "android.permission.CAMERA"],
        debuggable=True,
        native_abis=["x86_64", "arm64-v8a"],
        resources=build_resources(
            {Qualifiers(): "Shop"},
            {Qualifiers(density=480): "res/mipmap-xxhdpi-v4/ic_launcher.png"},
        ),
        files={"res/mipmap-xxhdpi-v4/ic_launcher.png": icon},
        signer=signer,
        schemes=["v1", "v2"],
    )
    inspection = inspect_bytes(apk)
    assert inspection.info.model_dump() == {
        "fileType": "APK",
        "packageName": "com.example.shop",
        "versionName": "2.5",
        "versionCode": 25,
        "minSdkVersion": 24,
        "targetSdkVersion": 35,
        "hasInstrumentation": True,
        "instrumentationTargetPackage": "com.example.target",
        "debuggable": True,
        "permissions": ["android.permission.INTERNET", "android.permission.CAMERA"],
        "nativeAbis": ["arm64-v8a", "x86_64"],
        "appLabel": "Shop",
        "icon": {
            "path": "res/mipmap-xxhdpi-v4/ic_launcher.png",
            "mediaType": "image/png",
            "density": 480,
            "size": len(icon),
        },
        "signing": {"schemes": ["v1", "v2"], "signerSha256": signer.sha256},
    }
    assert inspection.icon == icon


def test_defaults_of_a_bare_apk() -> None:
    info = inspect_bytes(build_apk()).info
    assert (info.permissions, info.nativeAbis, info.debuggable) == ([], [], False)
    assert (info.appLabel, info.icon, info.instrumentationTargetPackage) == ("Example", None, None)
    assert info.signing.model_dump() == {"schemes": [], "signerSha256": None}


def test_permissions_are_listed_once_in_manifest_order() -> None:
    names = ["b.permission.TWO", "a.permission.ONE", "b.permission.TWO"]
    assert inspect_bytes(build_apk(permissions=names)).info.permissions == names[:2]


@pytest.mark.parametrize(("debuggable", "expected"), [(True, True), (False, False), (None, False)])
def test_debuggable(debuggable: bool | None, expected: bool) -> None:
    assert inspect_bytes(build_apk(debuggable=debuggable)).info.debuggable is expected


def test_native_abis_are_the_known_ones_with_files() -> None:
    apk = build_apk(
        native_abis=["x86", "armeabi-v7a", "made-up"],
        files={"lib/arm64-v8a": b"", "lib/x86_64/sub/dir/libz.so": b""},
    )
    assert inspect_bytes(apk).info.nativeAbis == ["armeabi-v7a", "x86"]


def test_zip64_end_records_are_followed() -> None:
    info = inspect_bytes(with_zip64_end(build_apk(version_code=7))).info
    assert info.versionCode == 7


# Reads


class CountingReader(io.RawIOBase):
    """A seekable file that counts every byte read through it, like a ranged GCS reader would."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self.bytes_read = 0
        self.reads = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer) -> int:
        count = self._file.readinto(buffer)
        self.bytes_read += count
        self.reads += 1
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def test_large_apk_is_inspected_from_a_few_ranges(tmp_path: Path) -> None:
    path = write_apk(
        tmp_path / "big.apk",
        padding_bytes=64 * 1024 * 1024,
        version_code=42,
        label=reference(LABEL_ID),
        icon=reference(ICON_ID),
        resources=build_resources(icons={Qualifiers(density=160): "res/icon.png"}),
        files={"res/icon.png": png()},
        signer=generated_signer(),
        schemes=["v1", "v2"],
    )
    assert path.stat().st_size > 64 * 1024 * 1024
    tracemalloc.start()
    try:
        with CountingReader(path) as reader:
            info = inspect_apk(reader).info
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024
    assert (info.versionCode, info.appLabel, info.icon.path) == (42, "Example", "res/icon.png")
    assert info.signing.signerSha256 == generated_signer().sha256
    # The end of the file, then the start (manifest, resources, icon): two windows.
    assert reader.reads <= 4
    assert 0 < reader.bytes_read <= 2 * source.READ_WINDOW_BYTES


class FailingReader(io.BytesIO):
    """A reader whose reads fail like ObjectReader's when Cloud Storage is down."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        super().__init__(data)
        self.reads_left = fail_after

    def read(self, size: int | None = -1) -> bytes:
        if self.reads_left == 0:
            raise BackendUnavailable("Cloud Storage is unavailable, retry later")
        self.reads_left -= 1
        return super().read(size)


@pytest.mark.parametrize("fail_after", [0, 1])
def test_storage_outage_propagates_untouched(fail_after: int) -> None:
    apk = build_apk(padding_bytes=2 * source.READ_WINDOW_BYTES)  # manifest outside the tail
    with pytest.raises(BackendUnavailable):
        inspect_apk(FailingReader(apk, fail_after))


def test_total_reads_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_READ_BYTES", source.READ_WINDOW_BYTES)
    apk = build_apk(padding_bytes=2 * source.READ_WINDOW_BYTES)
    assert reason_for(apk) == "archive needs more than 0.25 MiB of reads"


def test_parsing_prints_and_logs_nothing(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    inspect_bytes(build_apk())
    # A bad header makes pyaxmlparser log an error unless it is silenced.
    bad_header = b"\x03\x00\x08\x00" + bytes(100)
    assert reason_for(build_zip({"AndroidManifest.xml": bad_header})) == (
        "manifest is not valid binary XML"
    )
    assert capsys.readouterr() == ("", "")
    assert [record for record in caplog.records if record.name.startswith("pyaxmlparser")] == []


# Hostile corpus


@pytest.mark.parametrize(
    "data",
    [b"", b"PK", b"hello, world\n", random.Random(1).randbytes(4096), b"%PDF-1.7\n" + bytes(500)],
    ids=["empty", "two-bytes", "text", "random", "pdf"],
)
def test_not_a_zip(data: bytes) -> None:
    assert reason_for(data) == "not a zip archive"


@pytest.mark.parametrize("cut", [4, 40, 0.25, 0.5, 0.75, -23, -1])
def test_cut_archive_is_truncated(cut: float) -> None:
    apk = build_apk(padding_bytes=20_000)
    end = int(len(apk) * cut) if isinstance(cut, float) else cut
    assert reason_for(apk[:end]) == "archive is truncated"


def test_directory_pointing_past_the_end_is_truncated() -> None:
    apk = build_apk()
    assert reason_for(patch_end_record(apk, dir_offset=len(apk) + 1000)) == "archive is truncated"


@pytest.mark.parametrize("zip64", [False, True])
def test_huge_directory_is_refused_before_it_is_read(zip64: bool) -> None:
    apk = build_apk()
    lying = with_zip64_end(apk, dir_size=2**40) if zip64 else patch_end_record(apk, dir_size=2**31)
    assert reason_for(lying) == "central directory is too large"


def test_too_many_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zip_archive, "MAX_ENTRIES", 1)
    assert reason_for(build_apk()) == "too many entries"


def test_missing_manifest() -> None:
    assert (
        reason_for(build_zip({"classes.dex": b"dex\n035\x00"})) == "AndroidManifest.xml is missing"
    )


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        (
            {"BundleConfig.pb": b"\n\x05\n\x031.0", BUNDLE_MANIFEST: b"\n\x08"},
            "bundle manifest is not a valid protobuf XmlNode",
        ),
        (
            {BUNDLE_MANIFEST: b"\n\x08", "base/dex/classes.dex": b"dex"},
            "bundle manifest is not a valid protobuf XmlNode",
        ),
        ({"BundleConfig.pb": b"\n\x05\n\x031.0"}, f"{BUNDLE_MANIFEST} is missing"),
    ],
    ids=["bundle", "manifest-only", "config-only"],
)
def test_broken_app_bundle(entries: dict[str, bytes], reason: str) -> None:
    """Bundles are inspected (test_aab_inspection.py); a broken one says what is broken."""
    assert reason_for(build_zip(entries)) == reason


@pytest.mark.parametrize(
    "manifest",
    [
        b"",
        b"garbage" * 100,
        b'<?xml version="1.0"?><manifest package="com.example.app"/>',
        random.Random(2).randbytes(2048),
        build_manifest()[:300],
        b"\x03\x00\x08\x00" + bytes(100),
    ],
    ids=["empty", "garbage", "plain-xml", "random", "cut-axml", "bad-header"],
)
def test_manifest_that_is_not_binary_xml(manifest: bytes) -> None:
    reason = reason_for(build_zip({"AndroidManifest.xml": manifest}))
    assert reason == "manifest is not valid binary XML"


def test_manifest_without_package() -> None:
    assert reason_for(build_apk(package=None)) == "manifest has no package name"


@pytest.mark.parametrize("package", ["../../etc/passwd", "nodots", "com.9lives", "com..app"])
def test_manifest_with_invalid_package(package: str) -> None:
    assert reason_for(build_apk(package=package)) == (
        "manifest package name is not a valid Android package name"
    )


def test_zip_bomb_is_refused_from_its_declared_sizes() -> None:
    bomb = build_zip({"AndroidManifest.xml": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    assert reason_for(bomb) == "entry expands beyond the limit"


@pytest.mark.parametrize(("compressed", "uncompressed"), [(100, 100), (40_000, 1000)])
def test_zip_bomb_with_lying_sizes_stays_small(compressed: int, uncompressed: int) -> None:
    bomb = build_zip({"AndroidManifest.xml": bytes(50 * 1024 * 1024)})
    lying = patch_central_sizes(bomb, "AndroidManifest.xml", compressed, uncompressed)
    tracemalloc.start()
    try:
        reason = reason_for(lying)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reason == "archive is corrupt"  # inflation stops at the declared size; the CRC differs
    assert peak < 1024 * 1024


def test_oversized_manifest() -> None:
    manifest = random.Random(3).randbytes(limits.MAX_MANIFEST_BYTES + 1)
    big = build_zip({"AndroidManifest.xml": manifest}, compression=zipfile.ZIP_STORED)
    assert reason_for(big) == "entry expands beyond the limit"


@pytest.mark.parametrize("method", [1, 12, 14, 93, 99])
def test_unsupported_compression_method(method: int) -> None:
    apk = patch_entry(build_apk(), "AndroidManifest.xml", method=method)
    assert reason_for(apk) == "entry uses an unsupported compression method"


@pytest.mark.parametrize("flags", [0x01, 0x41])
def test_encrypted_manifest(flags: int) -> None:
    apk = patch_entry(build_apk(), "AndroidManifest.xml", flags=flags)
    assert reason_for(apk) == "entry is encrypted"


def test_overlapping_entries() -> None:
    # A non-recursive zip bomb: a second record pointing at the first entry's data.
    apk = build_apk()
    data = bytearray(apk)
    struct.pack_into("<L", data, central_record(apk, "classes.dex") + 42, 0)
    assert reason_for(bytes(data)) == "entries overlap"


def test_entry_running_into_the_central_directory() -> None:
    apk = build_apk()
    with zipfile.ZipFile(io.BytesIO(apk)) as archive:
        dex = archive.getinfo("classes.dex")
    lying = patch_central_sizes(apk, "classes.dex", 10_000, dex.file_size)
    assert reason_for(lying) == "entries overlap the central directory"


def test_duplicate_entries() -> None:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns, then writes both
        archive.writestr("AndroidManifest.xml", build_manifest(package="com.first.app"))
        archive.writestr("AndroidManifest.xml", build_manifest(package="com.second.app"))
    assert reason_for(buffer.getvalue()) == "archive has duplicate entries"


def test_local_header_naming_another_file() -> None:
    apk = build_apk()
    renamed = apk.replace(b"AndroidManifest.xml", b"AndroidManifest.xmm", 1)  # local header
    assert reason_for(renamed) == "archive is corrupt"


def test_multi_disk_archive() -> None:
    data = bytearray(build_apk())
    struct.pack_into("<H", data, len(data) - EOCD.size + 4, 1)
    assert reason_for(bytes(data)) == "archive spans several disks"


def test_long_version_name() -> None:
    apk = build_apk(version_name="1" * (limits.MAX_TEXT_CHARS + 1))
    assert reason_for(apk) == "manifest versionName is longer than 1000 characters"


def test_long_label_is_cut_as_android_does() -> None:
    label = "x" * (limits.MAX_TEXT_CHARS + 50)
    assert inspect_bytes(build_apk(label=label)).info.appLabel == label[: limits.MAX_TEXT_CHARS]


def test_too_many_permissions(monkeypatch: pytest.MonkeyPatch) -> None:
    apk = build_apk(permissions=[f"com.example.P{index}" for index in range(4)])
    monkeypatch.setattr(inspection, "MAX_PERMISSIONS", 3)
    assert reason_for(apk) == "manifest requests more than 3 permissions"


def test_long_permission_name() -> None:
    apk = build_apk(permissions=["a." + "b" * limits.MAX_NAME_CHARS])
    assert reason_for(apk) == "manifest has a name longer than 255 characters"


def test_oversized_resource_table() -> None:
    table = build_resources() + bytes(limits.MAX_RESOURCES_BYTES)
    apk = build_apk(label=reference(LABEL_ID), resources=table)
    assert reason_for(apk) == "entry expands beyond the limit"


def test_resource_table_bomb() -> None:
    bomb = build_zip(
        {
            "AndroidManifest.xml": build_manifest(label=reference(LABEL_ID)),
            "resources.arsc": build_resources() + bytes(20 * 1024 * 1024),
        }
    )
    assert reason_for(bomb) == "entry expands beyond the limit"


def test_corrupt_compressed_manifest() -> None:
    apk = bytearray(build_apk())
    data_at = 30 + len("AndroidManifest.xml")  # first entry: local header, name, no extra
    apk[data_at : data_at + 8] = b"\xff" * 8
    assert reason_for(bytes(apk)) == "archive is corrupt"
