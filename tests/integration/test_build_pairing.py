"""A context's APK and INSTRUMENTED_APK, paired by the finalize trigger, read via the gateway."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk, generated_signer
from tests.integration.flows import (
    SETTLE_TIMEOUT_SECONDS,
    create_context,
    put_file,
    register_build,
    wait_until_settled,
)
from tests.paths import SETTINGS_APK, real_apk

pytestmark = pytest.mark.integration
PROJECT = "paired-app"


def upload_pair(client: httpx.Client, plain: bytes, instrumented: bytes) -> dict:
    """Both builds of one context, their files PUT at once; the context once it is paired."""
    context_id = create_context(client, PROJECT)["id"]
    registered = [
        register_build(client, PROJECT, context_id, buildType=kind, buildFileName=f"{kind}.apk")
        for kind in ("APK", "INSTRUMENTED_APK")
    ]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(put_file, [r["uploadSpec"] for r in registered], [plain, instrumented]))
    for entry in registered:
        build = wait_until_settled(client, PROJECT, entry["build"]["id"])
        assert build["uploadState"] == "FINISHED", build
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while True:
        response = client.get(f"/api/v1/projects/{PROJECT}/build-uploads/{context_id}")
        assert response.status_code == 200, response.text
        context = response.json()
        if context["pairing"] is not None or time.monotonic() > deadline:
            ids = [entry["build"]["id"] for entry in registered]
            assert context["pairing"] is not None, context
            assert [context["pairing"][f] for f in ("apkBuildId", "instrumentedBuildId")] == ids
            return context
        time.sleep(0.25)


def test_a_real_app_paired_with_itself_matches(client):
    content = real_apk(SETTINGS_APK).read_bytes()

    pairing = upload_pair(client, content, content)["pairing"]

    assert pairing["warnings"] == []
    assert (pairing["samePackageName"], pairing["sameVersion"], pairing["sameSigner"]) == (
        True,
        True,
        True,
    )
    size = pairing["size"]
    assert size["total"]["compressed"]["before"] == size["total"]["compressed"]["after"] > 0
    assert size["dex"]["uncompressed"]["after"] > 0
    for name in ("total", "dex", "resources", "native", "assets", "other"):
        assert size[name]["compressed"]["delta"] == size[name]["uncompressed"]["delta"] == 0


def test_a_mismatched_pair_is_paired_with_warnings(client):
    signer = generated_signer("Release")
    app = {"package": "com.example.paired", "version_name": "3.0", "signer": signer}
    plain = build_apk(version_code=30, **app)
    instrumented = build_apk(
        version_code=31,
        files={"classes2.dex": b"dex\n" + bytes(1000)},
        native_abis=["arm64-v8a"],
        **app,
    )

    context = upload_pair(client, plain, instrumented)

    assert {build["uploadState"] for build in context["builds"]} == {"FINISHED"}
    pairing = context["pairing"]
    assert pairing["warnings"] == ["versions differ: APK 3.0 (30), INSTRUMENTED_APK 3.0 (31)"]
    assert (pairing["samePackageName"], pairing["sameVersion"], pairing["sameSigner"]) == (
        True,
        False,
        True,
    )
    size = pairing["size"]
    assert size["dex"]["uncompressed"]["delta"] == 1004
    assert size["abis"]["arm64-v8a"]["compressed"]["before"] == 0
    assert size["abis"]["arm64-v8a"]["compressed"]["after"] > 0
