"""Insights through the gateway: two real versions of one app, the signer policy, and builds
across contexts."""

import io

import httpx
import pytest

from apkdrop.apk.inspection import inspect_apk
from tests.fixtures.apk_builder import build_apk, generated_signer
from tests.integration.flows import upload_build
from tests.integration.test_application_upload import upload, uploaded
from tests.npm_apks import NEWER, OLDER, api_demos

pytestmark = pytest.mark.integration
POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
RELEASE, OTHER = generated_signer("Release"), generated_signer("Someone Else")


@pytest.fixture(scope="module")
def real_pair() -> tuple[bytes, bytes]:
    return api_demos(OLDER).read_bytes(), api_demos(NEWER).read_bytes()


def fingerprints(client: httpx.Client, app_id: str) -> list[str]:
    detail = client.get(f"/v1/application/{app_id}").json()["data"]
    return [v["apkInfo"]["signing"]["signerSha256"] for v in detail["versions"]]


def test_two_real_versions_of_an_app(client, real_pair) -> None:
    older, newer = real_pair
    first = uploaded(upload(client, older))
    assert first["insights"] is None

    response = upload(client, newer)

    second = uploaded(response)
    insights = second["insights"]
    before, after = fingerprints(client, first["id"])[::-1]
    assert before != after  # the two releases were signed with different debug keys
    assert insights["comparedTo"] == {"version": "1.0", "channel": "default"}
    assert insights["signer"] == {"changed": True, "before": before, "after": after}
    assert {"name": POST_NOTIFICATIONS, "dangerous": True} in insights["permissions"]["added"]
    assert insights["permissions"]["removed"] == []
    assert insights["sdk"]["targetSdkVersion"] == {"before": 31, "after": 33, "changed": True}
    assert insights["sdk"]["minSdkVersion"]["changed"] is False
    assert insights["versionCode"] == {"before": 24, "after": 25, "increased": True}
    assert insights["abis"] == {"added": [], "removed": []}
    size = insights["size"]
    assert size["file"] == {
        "before": len(older),
        "after": len(newer),
        "delta": len(newer) - len(older),
    }
    assert size["dex"]["uncompressed"]["delta"] > 0  # 5.0.0 carries more code
    components = ("dex", "resources", "native", "assets", "other")
    for kind in ("compressed", "uncompressed"):
        assert sum(size[c][kind]["delta"] for c in components) == size["total"][kind]["delta"]
    # Beside the insights' warnings, the Play-readiness checks' (API Demos targets SDK 33).
    warnings = response.json()["warnings"]
    assert [w for w in warnings if not w.startswith("Play-readiness check ")] == insights[
        "warnings"
    ]
    assert (
        "Play-readiness check target_sdk failed: targetSdkVersion 33, below Play's minimum of 35"
        in warnings
    )
    assert len(insights["warnings"]) == 1 and after in insights["warnings"][0]
    # GET /v1/application/{id} keeps them with the version.
    detail = client.get(f"/v1/application/{first['id']}").json()["data"]
    assert [v["insights"] for v in detail["versions"]] == [insights, None]
    assert detail["signerPolicy"] == "warn"


def test_a_real_signer_change_under_reject_is_refused_and_nothing_is_stored(
    client, real_pair
) -> None:
    older, newer = real_pair
    app_id = uploaded(upload(client, older, signerPolicy="reject"))["id"]
    (before,) = fingerprints(client, app_id)

    response = upload(client, newer)

    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert before in detail and "signerPolicy is reject" in detail
    after = inspect_apk(io.BytesIO(newer)).info.signing
    assert after is not None and after.signerSha256 is not None
    assert after.signerSha256 in detail
    assert [
        v["version"] for v in client.get(f"/v1/application/{app_id}").json()["data"]["versions"]
    ] == ["1.0"]


def test_an_owner_switches_the_policy_with_patch(client) -> None:
    app_id = uploaded(upload(client, build_apk("com.example.policy", "1", 1, signer=RELEASE)))["id"]
    other = build_apk("com.example.policy", "2", 2, signer=OTHER)

    patched = client.patch(f"/v1/application/{app_id}", json={"signerPolicy": "reject"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["signerPolicy"] == "reject"
    refused = upload(client, other)
    assert refused.status_code == 409, refused.text
    assert RELEASE.sha256 in refused.json()["detail"] and OTHER.sha256 in refused.json()["detail"]

    # An upload cannot loosen it; the owner can.
    assert upload(client, other, signerPolicy="warn").status_code == 409
    client.patch(f"/v1/application/{app_id}", json={"signerPolicy": "warn"}).raise_for_status()
    accepted = upload(client, other)
    assert uploaded(accepted)["insights"]["signer"]["changed"] is True
    assert accepted.json()["warnings"][0].startswith("The signer changed since 1.0")


def test_a_version_code_that_did_not_increase_is_a_warning(client) -> None:
    ready = {"signer": RELEASE, "target_sdk": 35, "schemes": ["v2", "v3"]}  # no check's warning
    uploaded(upload(client, build_apk("com.example.downgrade", "2", 20, **ready)))
    response = upload(client, build_apk("com.example.downgrade", "1", 10, **ready))
    assert uploaded(response)["insights"]["versionCode"]["increased"] is False
    assert response.json()["warnings"] == [
        "versionCode 10 is not higher than 20 of 1.0: testers cannot install it as an update"
    ]


def test_builds_compare_with_the_previous_context(client) -> None:
    project = "insights-app"
    first = upload_build(
        client, project, build_apk("com.example.builds", "1", 1, signer=RELEASE), buildType="APK"
    )
    assert first["uploadState"] == "FINISHED" and first["insights"] is None
    second = upload_build(
        client,
        project,
        build_apk(
            "com.example.builds",
            "2",
            2,
            signer=RELEASE,
            permissions=["android.permission.CAMERA"],
            native_abis=["arm64-v8a"],
        ),
        buildType="APK",
    )

    insights = second["insights"]
    assert insights["comparedTo"] == {"contextId": first["contextId"], "buildId": first["id"]}
    assert insights["permissions"]["added"] == [
        {"name": "android.permission.CAMERA", "dangerous": True}
    ]
    assert insights["abis"] == {"added": ["arm64-v8a"], "removed": []}
    assert insights["size"]["abis"]["arm64-v8a"]["compressed"]["before"] == 0
    assert insights["signer"]["changed"] is False and insights["warnings"] == []
    # An INSTRUMENTED_APK compares with INSTRUMENTED_APKs only: none came before.
    instrumented = upload_build(
        client,
        project,
        build_apk("com.example.builds", "2", 2, signer=RELEASE),
        buildType="INSTRUMENTED_APK",
    )
    assert instrumented["insights"] is None
