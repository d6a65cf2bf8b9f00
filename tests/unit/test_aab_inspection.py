"""inspect_apk on real Android App Bundles, built by aapt2 and bundletool (tests/fixtures/
aab_builder.py): the same ApkInfo as an APK's, with fileType AAB, read by ranges."""

import io
import zipfile
from pathlib import Path

import pytest

from apkdrop.apk import source
from apkdrop.apk.components import Sizes
from apkdrop.apk.insights import ComparedToVersion, StoredApk, compare_apks
from apkdrop.apk_inspection import ApkError, ApkInspection, inspect_apk
from tests.fixtures.aab_builder import (
    build_bundle,
    keystore,
    malformed_bundle,
    universal_apk,
    write_bundle,
)
from tests.fixtures.apk_builder import build_apk, generated_signer, png
from tests.unit.test_apk_inspection import CountingReader

MIB = 1024 * 1024


def inspect_bytes(data: bytes, **options: int) -> ApkInspection:
    return inspect_apk(io.BytesIO(data), **options)


def with_entries(bundle: bytes, entries: dict[str, bytes]) -> bytes:
    """The bundle with more entries appended (another module's files, say)."""
    buffer = io.BytesIO(bundle)
    with zipfile.ZipFile(buffer, "a") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_bundle_with_label_and_icon_reports_every_field() -> None:
    signer = generated_signer("Upload key")
    bundle = build_bundle(
        "com.example.shop",
        42,
        "4.2.0",
        label="Shop",
        permissions=["android.permission.INTERNET", "android.permission.CAMERA"],
        min_sdk=26,
        target_sdk=35,
        signer=signer,
    )
    inspection = inspect_bytes(bundle)
    assert inspection.info.model_dump() == {
        "fileType": "AAB",
        "packageName": "com.example.shop",
        "versionName": "4.2.0",
        "versionCode": 42,
        "minSdkVersion": 26,
        "targetSdkVersion": 35,
        "hasInstrumentation": False,
        "instrumentationTargetPackage": None,
        "debuggable": False,
        "permissions": ["android.permission.INTERNET", "android.permission.CAMERA"],
        "nativeAbis": [],
        "appLabel": "Shop",
        "icon": {
            "path": "base/res/mipmap-xhdpi-v4/ic_launcher.png",
            "mediaType": "image/png",
            "density": 320,
            "size": len(png(96, 96)),
        },
        "signing": {"schemes": ["v1"], "signerSha256": signer.sha256},
    }
    assert inspection.icon == png(96, 96)


def test_label_is_the_default_configuration_value() -> None:
    bundle = build_bundle(label="Demo", qualified_labels={"fr": "Démo", "night": "Nuit"})
    assert inspect_bytes(bundle).info.appLabel == "Demo"


def test_bundle_without_label_or_icon() -> None:
    info = inspect_bytes(build_bundle(label=None, icon=False)).info
    assert (info.appLabel, info.icon) == (None, None)


def test_native_libraries_in_two_abis_and_another_module() -> None:
    bundle = with_entries(
        build_bundle(abis=["x86_64", "arm64-v8a"]),
        {"camera/lib/x86/libcamera.so": b"\x7fELF", "camera/dex/classes.dex": b"dex\n"},
    )
    inspection = inspect_bytes(bundle)
    assert inspection.info.nativeAbis == ["arm64-v8a", "x86_64", "x86"]
    components = inspection.components
    assert list(components.abis) == ["arm64-v8a", "x86_64", "x86"]
    assert list(components.modules) == ["base", "camera"]
    assert components.modules["camera"].uncompressed == len(b"\x7fELF") + len(b"dex\n")
    assert components.dex.uncompressed == 112 + len(b"dex\n")  # base's and camera's
    in_modules = sum(components.modules.values(), Sizes())
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        own = [
            i
            for i in archive.infolist()
            if "/" not in i.filename or i.filename.startswith("META-INF/")
        ]
    assert components.total.uncompressed == in_modules.uncompressed + sum(i.file_size for i in own)


def test_resource_table_counts_as_resources() -> None:
    components = inspect_bytes(build_bundle()).components
    with zipfile.ZipFile(io.BytesIO(build_bundle())) as archive:
        table = archive.getinfo("base/resources.pb").file_size
        icons = sum(i.file_size for i in archive.infolist() if i.filename.startswith("base/res/"))
    assert components.resources.uncompressed == table + icons


def test_play_checks_on_a_bundle() -> None:
    checks = {
        c.id: c for c in inspect_bytes(build_bundle(abis=["arm64-v8a"]), min_target_sdk=35).checks
    }
    assert checks["signing"].status == "pass"  # v1 is how an upload key signs a bundle
    assert checks["target_sdk"].status == "fail"
    assert checks["page_size_16kb"].status == "pass"
    assert checks["page_size_16kb"].reason == "1 64-bit native library is 16 KB-aligned"


def test_unsigned_bundle_fails_the_signing_check() -> None:
    unsigned = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(build_bundle())) as source,
        zipfile.ZipFile(unsigned, "w") as archive,
    ):
        for info in source.infolist():
            if not info.filename.startswith("META-INF/"):
                archive.writestr(info, source.read(info))
    inspection = inspect_bytes(unsigned.getvalue(), min_target_sdk=30)
    assert inspection.info.signing is not None and inspection.info.signing.schemes == []
    assert {c.id: c.status for c in inspection.checks}["signing"] == "fail"


def test_malformed_bundle_is_refused_with_a_reason() -> None:
    with pytest.raises(ApkError) as refused:
        inspect_bytes(malformed_bundle())
    assert refused.value.reason == "bundle manifest is not a valid protobuf XmlNode"


def test_corrupt_resource_table_is_refused() -> None:
    bundle = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(build_bundle())) as source,
        zipfile.ZipFile(bundle, "w") as archive,
    ):
        for info in source.infolist():
            data = source.read(info)
            archive.writestr(
                info, b"\x12\xff\xff\xff\x7f" if info.filename == "base/resources.pb" else data
            )
    with pytest.raises(ApkError) as refused:
        inspect_bytes(bundle.getvalue())
    assert refused.value.reason == "resources.pb is not a valid resource table"


def test_manifest_root_must_be_manifest() -> None:
    bundle = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(build_bundle())) as source,
        zipfile.ZipFile(bundle, "w") as archive,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "base/manifest/AndroidManifest.xml":
                data = b"\x0a\x06\x1a\x04html"  # XmlNode{element{name: "html"}}
            archive.writestr(info, data)
    with pytest.raises(ApkError) as refused:
        inspect_bytes(bundle.getvalue())
    assert refused.value.reason == "bundle manifest is not a valid protobuf XmlNode"


def test_reads_only_the_entries_it_needs(tmp_path: Path) -> None:
    """8 MiB of assets, and inspection reads two windows: the end (central directory,
    signature), and where the manifest, table and icon are."""
    path = write_bundle(tmp_path / "big.aab", padding=8 * MIB)
    assert path.stat().st_size > 8 * MIB
    with CountingReader(path) as reader:
        assert inspect_apk(reader, min_target_sdk=35).info.appLabel == "Bundle Demo"
    assert reader.reads <= 4
    assert 0 < reader.bytes_read <= 2 * source.READ_WINDOW_BYTES


def test_universal_apk_keeps_the_bundle_identity_and_the_distribution_signer(
    tmp_path: Path,
) -> None:
    bundle = build_bundle(
        "com.example.shop", 42, "4.2.0", label="Shop", abis=["arm64-v8a", "x86_64"]
    )
    distribution = keystore(tmp_path / "distribution.p12", "secret")
    apk = inspect_bytes(universal_apk(bundle, tmp_path / "distribution.p12", "secret")).info
    aab = inspect_bytes(bundle).info
    assert apk.fileType == "APK"
    assert (apk.packageName, apk.versionCode, apk.versionName) == ("com.example.shop", 42, "4.2.0")
    assert (apk.appLabel, apk.nativeAbis, apk.permissions) == (
        aab.appLabel,
        aab.nativeAbis,
        aab.permissions,
    )
    assert apk.signer == distribution.sha256
    assert apk.signer != aab.signer


def stored_bundle(bundle: bytes) -> StoredApk:
    inspection = inspect_bytes(bundle)
    return StoredApk(inspection.info, len(bundle), inspection.components)


def test_insights_of_two_bundles_compare_components_by_module() -> None:
    signer = generated_signer("Release")
    before = stored_bundle(build_bundle(version_code=1, signer=signer))
    after_bundle = with_entries(
        build_bundle(version_code=2, abis=["arm64-v8a"], signer=signer),
        {"camera/dex/classes.dex": bytes(1000)},
    )
    after = stored_bundle(after_bundle)
    insights = compare_apks(ComparedToVersion(version="1.0"), before, after)
    assert insights.size is not None
    modules = insights.size.modules
    assert list(modules) == ["base", "camera"]
    assert modules["camera"].uncompressed.model_dump() == {
        "before": 0,
        "after": 1000,
        "delta": 1000,
    }
    assert modules["base"].uncompressed.delta > 0  # base gained a native library
    assert insights.abis.added == ["arm64-v8a"]
    assert (insights.signer.changed, insights.versionCode.increased) == (False, True)


def test_insights_of_apks_have_no_modules() -> None:
    apk = inspect_bytes(build_apk())
    stored = StoredApk(apk.info, 1, apk.components)
    insights = compare_apks(ComparedToVersion(version="1.0"), stored, stored)
    assert insights.size is not None and insights.size.modules == {}
