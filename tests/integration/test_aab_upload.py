"""App Bundles through the gateway: the build API and the application API take real .aab files
(built by aapt2 and bundletool), and the install page serves the bundle with its notice."""

import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fixtures.aab_builder import build_bundle, malformed_bundle
from tests.integration.flows import upload_build
from tests.integration.test_application_upload import upload, uploaded

pytestmark = pytest.mark.integration


def test_the_build_api_takes_a_bundle(client):
    bundle = build_bundle("com.example.aab.build", 12, "1.2", abis=["arm64-v8a", "x86_64"])
    build = upload_build(client, "aab", bundle, buildFileName="app-release.aab")
    assert build["uploadState"] == "FINISHED", build
    assert (build["buildType"], build["fileType"]) == ("APK", "AAB")
    info = build["apkInfo"]
    assert (info["fileType"], info["packageName"], info["versionCode"]) == (
        "AAB",
        "com.example.aab.build",
        12,
    )
    assert info["nativeAbis"] == ["arm64-v8a", "x86_64"]


def test_the_build_api_fails_a_malformed_bundle_with_its_reason(client):
    build = upload_build(client, "aab", malformed_bundle(), buildFileName="broken.aab")
    assert build["uploadState"] == "FAILED"
    assert build["failureReason"] == "bundle manifest is not a valid protobuf XmlNode"
    assert build["fileType"] is None


def test_the_application_api_takes_a_bundle_and_the_page_serves_it(client):
    bundle = build_bundle("com.example.aab.app", 7, "0.7", label="Bundle App", target_sdk=35)
    app = uploaded(upload(client, bundle))

    detail = client.get(f"/v1/application/{app['id']}").json()["data"]
    (version,) = detail["versions"]
    assert version["fileType"] == "AAB"
    assert version["apkInfo"]["appLabel"] == "Bundle App"
    assert version["size"] == len(bundle)

    page = httpx.get(app["magicLink"])
    assert page.status_code == 200
    assert "App Bundle (.aab)" in page.text and 'id="bundle-notice"' in page.text

    # The .aab itself (Download serves its universal APK once built: test_bundle_conversion.py).
    redirect = httpx.get(f"{app['magicLink']}/download?file=aab")
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["response-content-disposition"] == ['attachment; filename="Bundle_App-0.7.aab"']
    # Not the APK type, which would hand a bundle to Android's package installer.
    assert query["response-content-type"] == ["application/octet-stream"]
    downloaded = httpx.get(location)
    assert hashlib.sha256(downloaded.content).digest() == hashlib.sha256(bundle).digest()
