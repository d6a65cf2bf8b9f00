"""Play-readiness checks through the gateway: an app upload's warnings and version, a build."""

import pytest

from tests.fixtures.apk_builder import build_apk, play_ready
from tests.fixtures.elf_builder import PAGE_4KB, elf_library
from tests.integration.flows import upload_build

pytestmark = pytest.mark.integration
LIBRARY = "lib/arm64-v8a/libold.so"
OLD_LIBRARY_REASON = f"{LIBRARY}: LOAD segments aligned to 4 KB, not 16 KB"
FILE_TYPE = "application/vnd.android.package-archive"


def test_an_upload_with_a_4kb_aligned_library_fails_the_check_and_warns(client):
    content = build_apk(
        "com.example.checks", libraries={LIBRARY: elf_library(alignment=PAGE_4KB)}, **play_ready()
    )

    response = client.post("/v1/application", files={"file": ("app.apk", content, FILE_TYPE)})

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["warnings"] == [
        f"Play-readiness check page_size_16kb failed: {OLD_LIBRARY_REASON}"
    ]
    detail = client.get(f"/v1/application/{answer['data']['id']}").json()["data"]
    (version,) = detail["versions"]
    assert version["checks"] == answer["data"]["checks"]
    assert [(c["id"], c["status"]) for c in version["checks"]] == [
        ("page_size_16kb", "fail"),
        ("target_sdk", "pass"),
        ("target_sdk_declared", "pass"),
        ("debuggable", "pass"),
        ("signing", "pass"),
    ]
    assert version["checks"][0]["reason"] == OLD_LIBRARY_REASON


def test_a_build_shows_its_checks(client):
    content = build_apk("com.example.checks", native_abis=["arm64-v8a"], debuggable=True)

    build = upload_build(client, "checks", content, buildType="APK", buildFileName="app.apk")

    assert build["uploadState"] == "FINISHED", build
    assert {check["id"]: check["status"] for check in build["checks"]} == {
        "page_size_16kb": "pass",
        "target_sdk": "fail",
        "target_sdk_declared": "pass",
        "debuggable": "fail",
        "signing": "fail",
    }
