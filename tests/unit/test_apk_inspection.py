"""inspect_apk on real APKs, synthetic ones, and a corpus of hostile files."""

import io
import logging
import random
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from apkdrop import apk_inspection
from apkdrop.apk_inspection import (
    MAX_MANIFEST_BYTES,
    ApkError,
    ApkInfo,
    inspect_apk,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fixtures.apk_builder import build_apk, build_manifest, build_zip, write_apk

REAL_APKS = Path(__file__).resolve().parents[2].parent / "shared/fixtures/apks"
REAL_EXPECTED = {
    "settings_apk-debug.apk": {
        "packageName": "io.appium.settings",
        "versionName": "8.0.10",
        "versionCode": 192,
        "minSdkVersion": 26,
        "targetSdkVersion": 35,
        "hasInstrumentation": False,
    },
    "appium-uiautomator2-server-debug-androidTest.apk": {
        "packageName": "io.appium.uiautomator2.server.test",
        "versionName": None,
        "versionCode": None,
        "minSdkVersion": 26,
        "targetSdkVersion": 34,
        "hasInstrumentation": True,
    },
}
AAB_REASON = "this is an Android App Bundle (.aab); upload an APK (bundle manifests are protobuf)"
EOCD = struct.Struct("<4s4H2LH")


def real_apk(name: str) -> Path:
    """Path of a real APK from the shared fixtures, skipping the test when the folder is absent."""
    path = REAL_APKS / name
    if not path.is_file():
        pytest.skip(f"real APK fixtures not found: expected {name} in ../shared/fixtures/apks")
    return path


def reason_for(data: bytes) -> str:
    """The ApkError reason inspect_apk gives for ``data``; fails on a result or other errors."""
    with pytest.raises(ApkError) as caught:
        inspect_apk(io.BytesIO(data))
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


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_apk_matches_what_its_readme_says(name: str) -> None:
    with real_apk(name).open("rb") as file:
        info = inspect_apk(file)
    assert info.model_dump() == REAL_EXPECTED[name]


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.999])
def test_cut_real_apk_is_truncated(name: str, fraction: float) -> None:
    data = real_apk(name).read_bytes()
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
    info = inspect_apk(io.BytesIO(build_apk(**options)))
    assert isinstance(info, ApkInfo)
    assert (
        info.packageName,
        info.versionName,
        info.versionCode,
        info.minSdkVersion,
        info.targetSdkVersion,
        info.hasInstrumentation,
    ) == expected


def test_zip64_end_records_are_followed() -> None:
    info = inspect_apk(io.BytesIO(with_zip64_end(build_apk(version_code=7))))
    assert info.versionCode == 7


class CountingReader(io.RawIOBase):
    """A seekable file that counts every byte read through it, like a ranged GCS reader would."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self.bytes_read = 0

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
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def test_large_apk_is_inspected_from_a_few_ranges(tmp_path: Path) -> None:
    path = write_apk(tmp_path / "big.apk", padding_bytes=64 * 1024 * 1024, version_code=42)
    assert path.stat().st_size > 64 * 1024 * 1024
    with CountingReader(path) as reader:
        info = inspect_apk(reader)
    assert info.versionCode == 42
    assert 0 < reader.bytes_read < 1024 * 1024


def test_parsing_prints_and_logs_nothing(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    inspect_apk(io.BytesIO(build_apk()))
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
    monkeypatch.setattr(apk_inspection, "MAX_ENTRIES", 1)
    assert reason_for(build_apk()) == "too many entries"


def test_missing_manifest() -> None:
    assert (
        reason_for(build_zip({"classes.dex": b"dex\n035\x00"})) == "AndroidManifest.xml is missing"
    )


@pytest.mark.parametrize(
    "entries",
    [
        {"BundleConfig.pb": b"\n\x05\n\x031.0", "base/manifest/AndroidManifest.xml": b"\n\x08"},
        {"base/manifest/AndroidManifest.xml": b"\n\x08", "base/dex/classes.dex": b"dex"},
        {"BundleConfig.pb": b"\n\x05\n\x031.0"},
    ],
    ids=["bundle", "manifest-only", "config-only"],
)
def test_app_bundle(entries: dict[str, bytes]) -> None:
    assert reason_for(build_zip(entries)) == AAB_REASON


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


@pytest.mark.parametrize(("compressed", "uncompressed"), [(100, 100), (60_000, 1000)])
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
    manifest = random.Random(3).randbytes(MAX_MANIFEST_BYTES + 1)
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


def test_corrupt_compressed_manifest() -> None:
    apk = bytearray(build_apk())
    data_at = 30 + len("AndroidManifest.xml")  # first entry: local header, name, no extra
    apk[data_at : data_at + 8] = b"\xff" * 8
    assert reason_for(bytes(apk)) == "archive is corrupt"


# Properties: whatever the bytes, inspect_apk returns ApkInfo or raises ApkError.


def _real_bytes() -> list[bytes]:
    """The real APKs' bytes, or nothing when the shared fixtures are absent."""
    return [
        (REAL_APKS / name).read_bytes() for name in REAL_EXPECTED if (REAL_APKS / name).is_file()
    ]


def read_manifest(apk: bytes) -> bytes:
    """The raw binary manifest of an APK."""
    with zipfile.ZipFile(io.BytesIO(apk)) as archive:
        return archive.read("AndroidManifest.xml")


REAL_APK_BYTES = _real_bytes()
APK_SAMPLES = [
    build_apk(),
    build_apk(version_name=None, version_code=None, instrumentation_target="com.example.app"),
    *[apk for apk in REAL_APK_BYTES if len(apk) < 1024 * 1024],
]
MANIFEST_SAMPLES = [
    build_manifest(),
    build_manifest(version_code="0x10", min_sdk="S", instrumentation_target="com.example.app"),
    *[read_manifest(apk) for apk in REAL_APK_BYTES],
]


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes], tail_bias: bool) -> bytes:
    """A sample with a few bytes flipped, overwritten, inserted or deleted, or its end cut off."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 6))):
        end = len(data)
        # Zip structure lives at the end of an archive, so aim there half the time.
        anywhere = st.integers(0, end)
        at = draw(
            st.one_of(anywhere, st.integers(max(0, end - 4096), end)) if tail_bias else anywhere
        )
        operation = draw(st.sampled_from(["flip", "word", "insert", "delete", "truncate"]))
        if operation == "flip" and at < end:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif operation == "word":
            # Sizes, offsets and counts are 16- or 32-bit fields: try their edge values.
            value = draw(st.sampled_from([0, 1, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]))
            data[at : at + 4] = value.to_bytes(4, "little")
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif operation == "truncate":
            del data[at:]
    return bytes(data)


def _only_apk_info_or_apk_error(data: bytes) -> None:
    """inspect_apk(data) must return ApkInfo or raise ApkError with a reason, nothing else."""
    try:
        info = inspect_apk(io.BytesIO(data))
    except ApkError as error:
        assert error.reason
        event(error.reason)
    else:
        assert isinstance(info, ApkInfo)
        event("ApkInfo")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(APK_SAMPLES, tail_bias=True))
def test_mutated_archives_only_raise_apk_error(data: bytes) -> None:
    _only_apk_info_or_apk_error(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(MANIFEST_SAMPLES, tail_bias=False))
def test_mutated_manifests_only_raise_apk_error(manifest: bytes) -> None:
    _only_apk_info_or_apk_error(build_zip({"AndroidManifest.xml": manifest}))
