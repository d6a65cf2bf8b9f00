"""Insights: what changed from one APK to the next, computed from what was stored of each."""

import io

import pytest

from apkdrop.apk.components import COMPONENTS
from apkdrop.apk.insights import ComparedToVersion, StoredApk, compare_apks
from apkdrop.apk.inspection import inspect_apk
from apkdrop.apk.permissions import DANGEROUS_PERMISSIONS
from tests.fixtures.apk_builder import build_apk, generated_signer

SIGNER = generated_signer("Release")
CAMERA, INTERNET = "android.permission.CAMERA", "android.permission.INTERNET"
NFC, SMS = "android.permission.NFC", "android.permission.SEND_SMS"


def stored(**options: object) -> StoredApk:
    data = build_apk(**{"package": "com.example.app", "signer": SIGNER, **options})
    inspection = inspect_apk(io.BytesIO(data))
    return StoredApk(inspection.info, len(data), inspection.components)


SINCE = ComparedToVersion(version="1.0")


def test_permissions_added_and_removed_flag_the_runtime_ones() -> None:
    before = stored(version_code=1, permissions=[INTERNET, SMS, NFC])
    after = stored(version_code=2, permissions=[INTERNET, CAMERA, NFC, CAMERA])

    insights = compare_apks(SINCE, before, after)

    assert insights.permissions.model_dump() == {
        "added": [{"name": CAMERA, "dangerous": True}],
        "removed": [{"name": SMS, "dangerous": True}],
    }
    assert compare_apks(SINCE, after, before).permissions.model_dump() == {
        "added": [{"name": SMS, "dangerous": True}],
        "removed": [{"name": CAMERA, "dangerous": True}],
    }
    only_normal = compare_apks(SINCE, before, stored(version_code=2, permissions=[INTERNET, SMS]))
    assert only_normal.permissions.model_dump() == {
        "added": [],
        "removed": [{"name": NFC, "dangerous": False}],
    }
    assert insights.warnings == []  # permissions inform; they never stop an install


def test_the_runtime_permission_list_is_android_s() -> None:
    assert {CAMERA, SMS, "android.permission.POST_NOTIFICATIONS"} <= DANGEROUS_PERMISSIONS
    assert INTERNET not in DANGEROUS_PERMISSIONS and NFC not in DANGEROUS_PERMISSIONS


def test_sdk_abis_and_sizes() -> None:
    before = stored(version_code=1, min_sdk=21, target_sdk=33, native_abis=["armeabi-v7a"])
    after = stored(
        version_code=2,
        min_sdk=21,
        target_sdk=35,
        native_abis=["arm64-v8a"],
        files={"assets/big.bin": bytes(5000)},
    )

    insights = compare_apks(SINCE, before, after)

    assert insights.sdk.model_dump() == {
        "minSdkVersion": {"before": 21, "after": 21, "changed": False},
        "targetSdkVersion": {"before": 33, "after": 35, "changed": True},
    }
    assert insights.abis.model_dump() == {"added": ["arm64-v8a"], "removed": ["armeabi-v7a"]}
    size = insights.size
    assert size is not None
    assert size.file.model_dump() == {
        "before": before.file_size,
        "after": after.file_size,
        "delta": after.file_size - before.file_size,
    }
    assert size.assets.uncompressed.delta == 5000  # stored: as big in the zip as inflated
    assert size.assets.compressed.delta == 5000
    assert set(size.abis) == {"arm64-v8a", "armeabi-v7a"}
    assert size.abis["armeabi-v7a"].compressed.after == 0
    for part in ("total", *COMPONENTS):
        change = getattr(size, part).uncompressed
        assert change.delta == change.after - change.before
    assert insights.size_line is not None and insights.size_line.endswith(" since 1.0")


def test_no_component_sizes_on_the_earlier_one_means_no_size() -> None:
    before = stored(version_code=1)
    older = StoredApk(before.info, before.file_size, None)
    insights = compare_apks(SINCE, older, stored(version_code=2))
    assert insights.size is None and insights.size_line is None


@pytest.mark.parametrize("code", [1, 2])
def test_a_version_code_that_did_not_increase_is_a_warning(code: int) -> None:
    insights = compare_apks(SINCE, stored(version_code=2), stored(version_code=code))
    assert insights.versionCode.model_dump() == {"before": 2, "after": code, "increased": False}
    assert insights.warnings == [
        f"versionCode {code} is not higher than 2 of 1.0: testers cannot install it as an update"
    ]


def test_a_higher_version_code_is_no_warning() -> None:
    insights = compare_apks(SINCE, stored(version_code=2), stored(version_code=3))
    assert insights.versionCode.increased is True
    assert insights.warnings == []


def test_a_missing_version_code_compares_to_nothing() -> None:
    insights = compare_apks(SINCE, stored(version_code=None), stored(version_code=3))
    assert insights.versionCode.increased is None
    assert insights.warnings == []


def test_a_changed_signer_names_both_fingerprints() -> None:
    other = generated_signer("Someone Else")
    insights = compare_apks(SINCE, stored(version_code=1), stored(version_code=2, signer=other))

    assert insights.signer.model_dump() == {
        "changed": True,
        "before": SIGNER.sha256,
        "after": other.sha256,
    }
    assert insights.warnings == [
        f"The signer changed since 1.0 ({SIGNER.sha256} -> {other.sha256}): testers must "
        "uninstall it before installing this one"
    ]
    same = compare_apks(SINCE, stored(version_code=1), stored(version_code=2))
    assert same.signer.model_dump() == {
        "changed": False,
        "before": SIGNER.sha256,
        "after": SIGNER.sha256,
    }


def test_an_unsigned_apk_after_a_signed_one_is_a_signer_change() -> None:
    insights = compare_apks(SINCE, stored(version_code=1), stored(version_code=2, signer=None))
    assert insights.signer.model_dump() == {
        "changed": True,
        "before": SIGNER.sha256,
        "after": None,
    }
    assert "unsigned" in insights.warnings[0]
