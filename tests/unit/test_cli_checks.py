"""The CLI's one-line summary of Play-readiness checks, after an app upload and a build upload."""

from apkdrop_cli import builds
from apkdrop_cli.apps import upload_result
from apkdrop_cli.output import checks_line

CHECKS = [
    {"id": "page_size_16kb", "status": "fail", "reason": "lib/arm64-v8a/a.so: 4 KB"},
    {"id": "target_sdk", "status": "pass", "reason": "targetSdkVersion 35"},
    {"id": "debuggable", "status": "warn", "reason": "?"},
]
ANSWER = {
    "data": {
        "id": "app1",
        "version": "1.0",
        "accessType": "private",
        "magicLink": "https://x/app/app1",
        "versionedMagicLink": "https://x/app/app1?version=1.0",
        "checks": CHECKS,
    },
    "warnings": ["Play-readiness check page_size_16kb failed: lib/arm64-v8a/a.so: 4 KB"],
}
SUMMARY = "Play readiness: 1 pass, 1 warn, 1 fail (page_size_16kb fail, debuggable warn)"


def test_the_line_counts_statuses_and_names_what_did_not_pass() -> None:
    assert checks_line(CHECKS) == SUMMARY
    assert checks_line(CHECKS[1:2]) == "Play readiness: 1 pass, 0 warn, 0 fail"
    assert checks_line([]) is None


def test_an_app_upload_shows_the_line_and_its_json_carries_every_check() -> None:
    result = upload_result(ANSWER, "direct")

    assert result.lines[-1] == SUMMARY
    assert result.data["checks"] == CHECKS
    assert result.warnings == ANSWER["warnings"]


def test_an_answer_without_checks_adds_no_line() -> None:
    data = {key: value for key, value in ANSWER["data"].items() if key != "checks"}

    result = upload_result({"data": data}, "direct")

    assert not any(line.startswith("Play readiness") for line in result.lines)


def test_a_build_upload_shows_each_builds_line() -> None:
    build = {
        "id": 7,
        "buildType": "APK",
        "buildFileName": "app.apk",
        "uploadState": "FINISHED",
        "apkInfo": {"packageName": "com.example", "versionName": "1.0", "versionCode": 1},
        "checks": CHECKS,
    }

    result = builds._result("proj", 3, [build])

    assert result.lines[1:] == [
        "  build 7 APK app.apk: FINISHED - com.example 1.0 (1)",
        f"    {SUMMARY}",
    ]
    assert result.data["builds"][0]["checks"] == CHECKS
