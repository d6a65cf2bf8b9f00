"""The build-upload API end to end: gateway, signed URL, bucket, finalize trigger, expiry."""

import base64
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infra.routes import load_routes
from tests.fixtures.apk_builder import build_apk
from tests.integration.conftest import EXPIRY_GRACE_SECONDS, UPLOAD_URL_TTL_SECONDS
from tests.integration.flows import (
    create_context,
    put_file,
    register_build,
    upload_build,
    wait_until_settled,
)
from tests.paths import INSTRUMENTATION_APK, SETTINGS_APK, real_apk

pytestmark = pytest.mark.integration

ISSUE_FIELDS = (
    "packageName", "versionName", "versionCode", "minSdkVersion", "targetSdkVersion",
    "hasInstrumentation",
)  # fmt: skip


def test_healthz_reports_every_function_and_emulator(stack):
    response = httpx.get(stack.url + "/healthz")

    assert response.status_code == 200
    components = response.json()["components"]
    functions = set(load_routes().functions)
    assert set(components) == {"firestore", "pubsub", "storage", "tasks"} | functions
    assert set(components.values()) == {"ok"}


def test_real_apk_goes_through_all_three_steps(client):
    content = real_apk(SETTINGS_APK).read_bytes()
    context = create_context(client, "android-app")
    registered = register_build(
        client,
        "android-app",
        str(context["id"]),  # clients send the id as a string too
        name="Nightly",
        description="main branch",
        sourceControlId="6f1c2a9",
        sourceControlIsoTimestamp="2024-03-07T16:55:49.168Z",
    )
    assert registered["build"]["uploadState"] == "UPLOADING"
    assert registered["build"]["contextId"] == context["id"]
    assert registered["uploadSpec"]["method"] == "PUT"

    put_file(registered["uploadSpec"], content)
    build = wait_until_settled(client, "android-app", registered["build"]["id"])

    assert build["uploadState"] == "FINISHED", build
    info = build["apkInfo"]
    assert {name: info[name] for name in ISSUE_FIELDS} == {
        "packageName": "io.appium.settings",
        "versionName": "8.0.10",
        "versionCode": 192,
        "minSdkVersion": 26,
        "targetSdkVersion": 35,
        "hasInstrumentation": False,
    }
    assert info["appLabel"] == "Appium Settings"
    assert len(info["permissions"]) == 27
    assert info["icon"]["path"] == "res/drawable-xxxhdpi-v4/ic_launcher.png"
    assert build["fileSize"] == len(content)
    assert build["md5Hash"] == base64.b64encode(hashlib.md5(content).digest()).decode()
    assert build["crc32c"]
    assert build["name"] == "Nightly"
    assert build["sourceControlIsoTimestamp"] == "2024-03-07T16:55:49.168Z"

    listed = client.get(f"/api/v1/projects/android-app/build-uploads/{context['id']}").json()
    assert [b["id"] for b in listed["builds"]] == [build["id"]]
    assert listed["builds"][0]["uploadState"] == "FINISHED"


def test_instrumented_apk_without_a_version(client):
    content = real_apk(INSTRUMENTATION_APK).read_bytes()

    build = upload_build(
        client,
        "android-app",
        content,
        buildType="INSTRUMENTED_APK",
        buildFileName="app-androidTest.apk",
    )

    assert build["uploadState"] == "FINISHED", build
    assert build["buildType"] == "INSTRUMENTED_APK"
    assert build["apkInfo"]["packageName"] == "io.appium.uiautomator2.server.test"
    assert build["apkInfo"]["hasInstrumentation"] is True
    assert build["apkInfo"]["versionName"] is None
    assert build["apkInfo"]["versionCode"] is None
    assert build["apkInfo"]["targetSdkVersion"] == 34


def test_synthetic_apk_of_any_package_and_version(client):
    content = build_apk("com.example.synthetic", "3.1.4", 314, min_sdk=24, target_sdk=35)

    build = upload_build(client, "synthetic", content)

    assert build["uploadState"] == "FINISHED", build
    assert build["apkInfo"]["packageName"] == "com.example.synthetic"
    assert (build["apkInfo"]["versionName"], build["apkInfo"]["versionCode"]) == ("3.1.4", 314)


def test_garbage_upload_fails_with_a_reason(stack, client):
    build = upload_build(client, "android-app", b"this is not an apk" * 100)

    assert build["uploadState"] == "FAILED"
    assert build["failureReason"] == "not a zip archive"
    assert build["fileSize"] == 1800
    # Marked for the bucket's lifecycle rule that deletes failed uploads.
    storage = stack.env["STORAGE_EMULATOR_HOST"]
    listing = httpx.get(
        f"{storage}/storage/v1/b/apkdrop-dev-uploads/o", params={"prefix": "builds/"}
    )
    (stored,) = [o for o in listing.json()["items"] if o["name"].endswith(f"/{build['id']}.apk")]
    assert stored.get("customTime")


def test_real_app_registered_as_instrumented_apk_finishes(client):
    # The app built with performance instrumentation has no <instrumentation> element.
    content = real_apk(SETTINGS_APK).read_bytes()

    build = upload_build(client, "android-app", content, buildType="INSTRUMENTED_APK")

    assert build["uploadState"] == "FINISHED", build
    assert build["failureReason"] is None
    assert build["apkInfo"]["packageName"] == "io.appium.settings"
    assert build["apkInfo"]["hasInstrumentation"] is False


def test_upload_that_never_arrives_fails_after_expiry(client):
    context = create_context(client, "android-app")
    registered = register_build(client, "android-app", context["id"])
    build_id = registered["build"]["id"]

    time.sleep(UPLOAD_URL_TTL_SECONDS + EXPIRY_GRACE_SECONDS)
    build = wait_until_settled(client, "android-app", build_id)

    assert build["uploadState"] == "FAILED"
    assert build["failureReason"] == "upload URL expired"


def test_signed_url_signs_every_header_the_client_must_send(client):
    context = create_context(client, "android-app")
    registered = register_build(client, "android-app", context["id"])
    spec = registered["uploadSpec"]
    query = parse_qs(urlsplit(spec["url"]).query)

    assert spec["headers"] == {
        "Content-Type": "application/octet-stream",
        "X-Goog-Content-Length-Range": "0,1073741824",
        "x-goog-if-generation-match": "0",
        "x-goog-meta-build-id": str(registered["build"]["id"]),
    }
    signed = query["X-Goog-SignedHeaders"][0].split(";")
    assert {name.lower() for name in spec["headers"]} | {"host"} == set(signed)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == [str(UPLOAD_URL_TTL_SECONDS)]


def test_object_name_is_built_from_ids_only(client):
    context = create_context(client, "android-app")
    registered = register_build(
        client, "android-app", context["id"], buildFileName="my app ..%2F.apk", name="../../x"
    )
    path = urlsplit(registered["uploadSpec"]["url"]).path
    *_, context_part, object_file = path.split("/")

    assert context_part == str(context["id"])
    assert object_file == f"{registered['build']['id']}.apk"
    assert registered["build"]["buildFileName"] == "my app ..%2F.apk"


def test_concurrent_context_creations_get_distinct_ids(client):
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(
            pool.map(lambda _: client.post("/api/v1/projects/busy/build-uploads"), range(20))
        )

    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["id"] for r in responses}) == 20
