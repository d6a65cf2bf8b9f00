"""An uploaded App Bundle's universal APK through the gateway: the stack's bundle-converter
(pybundletool's bundletool, the dev distribution keystore) builds it from the queued task, and
the install page's Download serves it, an APK apkdrop's own inspection reads as the bundle's."""

import base64
import hashlib
import io
import json
import time

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from apkdrop.apk_inspection import inspect_apk
from tests.fixtures.aab_builder import build_bundle
from tests.integration.test_application_upload import upload, uploaded

pytestmark = pytest.mark.integration
CONVERSION_WAIT_SECONDS = 90  # a cold converter instance on a loaded 2-core machine


def distribution_signer(stack) -> str:
    """The SHA-256 of the stack's dev distribution certificate, as inspection prints it."""
    secret = json.loads(stack.state["functionEnvs"]["bundle-converter"]["DISTRIBUTION_KEYSTORE"])
    _, certificate, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(secret["keystore"]), secret["password"].encode()
    )
    assert certificate is not None
    digest = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest().upper()
    return ":".join(digest[at : at + 2] for at in range(0, len(digest), 2))


def converted(client: httpx.Client, app_id: str) -> dict:
    """The version's conversion once it is no longer PENDING."""
    deadline = time.monotonic() + CONVERSION_WAIT_SECONDS
    while True:
        (version,) = client.get(f"/v1/application/{app_id}").json()["data"]["versions"]
        if version["conversion"]["state"] != "PENDING" or time.monotonic() > deadline:
            return version["conversion"]
        time.sleep(0.5)


def test_the_page_serves_a_universal_apk_signed_by_the_distribution_key(client, stack):
    bundle = build_bundle("com.example.universal", 9, "0.9", label="Universal", abis=["x86_64"])
    app = uploaded(upload(client, bundle))

    conversion = converted(client, app["id"])
    assert conversion["state"] == "DONE", conversion
    signer = distribution_signer(stack)
    assert conversion["universalApk"]["signerSha256"] == signer

    page = httpx.get(app["magicLink"]).text
    assert ">Download APK</a>" in page and signer in page
    assert 'id="bundle-download"' in page

    redirect = httpx.get(f"{app['magicLink']}/download")
    assert redirect.status_code == 302
    apk = httpx.get(redirect.headers["location"]).content
    assert hashlib.sha256(apk).hexdigest() == conversion["universalApk"]["sha256"]
    info = inspect_apk(io.BytesIO(apk)).info
    assert (info.fileType, info.packageName, info.versionCode, info.versionName) == (
        "APK",
        "com.example.universal",
        9,
        "0.9",
    )
    assert info.nativeAbis == ["x86_64"]
    assert info.signer == signer

    aab = httpx.get(f"{app['magicLink']}/download?file=aab")
    assert httpx.get(aab.headers["location"]).content == bundle
