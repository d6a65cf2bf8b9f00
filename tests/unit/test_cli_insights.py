"""The CLI's summary of a server's insights, and the step outputs size-delta, signer-changed."""

from apkdrop_cli.apps import upload_result
from apkdrop_cli.builds import _result
from apkdrop_cli.insights import insights_line, insights_outputs

FINGERPRINT_A, FINGERPRINT_B = "AA:" * 31 + "AA", "BB:" * 31 + "BB"


def insights(**changes: object) -> dict:
    level = {"before": 21, "after": 21, "changed": False}
    return {
        "comparedTo": {"version": "1.0"},
        "size": {"file": {"before": 4_000_000, "after": 5_310_720, "delta": 1_310_720}},
        "permissions": {
            "added": [{"name": "android.permission.CAMERA", "dangerous": True}],
            "removed": [{"name": "android.permission.NFC", "dangerous": False}],
        },
        "sdk": {
            "minSdkVersion": level,
            "targetSdkVersion": {"before": 33, "after": 35, "changed": True},
        },
        "abis": {"added": ["arm64-v8a"], "removed": []},
        "versionCode": {"before": 1, "after": 2, "increased": True},
        "signer": {"changed": False, "before": FINGERPRINT_A, "after": FINGERPRINT_A},
        "warnings": [],
        **changes,
    }


def test_one_line_says_what_changed() -> None:
    assert insights_line(insights()) == (
        "changes since 1.0: +1.2 MiB; permissions +CAMERA (runtime), -NFC; "
        "targetSdk 33 -> 35; ABIs +arm64-v8a"
    )


def test_a_changed_signer_shouts_and_a_build_names_what_it_compares_with() -> None:
    changed = insights(
        comparedTo={"contextId": 3, "buildId": 14},
        size=None,
        permissions={"added": [], "removed": []},
        sdk={},
        abis={"added": [], "removed": []},
        signer={"changed": True, "before": FINGERPRINT_A, "after": FINGERPRINT_B},
    )
    assert insights_line(changed) == "changes since build 14 (context 3): SIGNER CHANGED"
    assert insights_outputs(changed) == {"size-delta": "", "signer-changed": "true"}


def test_a_version_of_another_channel_than_the_default_is_named_with_it() -> None:
    beta = insights(comparedTo={"version": "3.0", "channel": "beta"})
    assert insights_line(beta).startswith("changes since 3.0 (beta): +1.2 MiB")
    default = insights(comparedTo={"version": "3.0", "channel": "default"})
    assert insights_line(default).startswith("changes since 3.0: +1.2 MiB")


def test_nothing_to_compare_with() -> None:
    assert insights_line(None) is None
    assert insights_outputs(None) == {"size-delta": "", "signer-changed": "false"}


def test_an_app_upload_shows_the_line_and_sets_the_outputs() -> None:
    answer = {
        "data": {
            "id": "app",
            "version": "2.0",
            "accessType": "public",
            "magicLink": "https://x.test/app/app",
            "versionedMagicLink": "https://x.test/app/app?version=2.0",
            "insights": insights(),
        },
        "warnings": [],
    }
    result = upload_result(answer, "direct")
    assert result.lines[-1].startswith("changes since 1.0: +1.2 MiB")
    assert result.outputs["size-delta"] == "1310720"
    assert result.outputs["signer-changed"] == "false"
    assert result.data["insights"] == insights()  # --json carries all of it


def test_a_build_upload_shows_each_build_s_line_and_its_warnings() -> None:
    changed = insights(
        comparedTo={"contextId": 3, "buildId": 14},
        signer={"changed": True, "before": FINGERPRINT_A, "after": FINGERPRINT_B},
        warnings=["The signer changed since build 14 (context 3) (...)"],
    )
    build = {
        "id": 15,
        "contextId": 4,
        "buildType": "APK",
        "buildFileName": "app.apk",
        "uploadState": "FINISHED",
        "apkInfo": {"packageName": "com.example", "versionName": "2", "versionCode": 2},
        "insights": changed,
    }
    result = _result("demo", 4, [build])
    assert result.lines[-1] == (
        "    changes since build 14 (context 3): +1.2 MiB; permissions +CAMERA (runtime), -NFC; "
        "targetSdk 33 -> 35; ABIs +arm64-v8a; SIGNER CHANGED"
    )
    assert result.warnings == ["build 15: The signer changed since build 14 (context 3) (...)"]
    assert result.outputs["size-delta"] == "1310720"
    assert result.outputs["signer-changed"] == "true"
