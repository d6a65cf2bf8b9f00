"""The retention sweeper, on the local stack, deletes a large upload nobody published with its
file, and keeps one whose URL has not expired."""

import datetime
import urllib.parse

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded
from tests.integration.test_retention import sweep

pytestmark = pytest.mark.integration


def put_large(client: httpx.Client, content: bytes) -> tuple[str, str]:
    """A large upload with its file PUT: (uploadId, the object's URL on the emulator)."""
    started = client.post("/v1/application/uploads").json()
    spec = started["uploadSpec"]
    assert httpx.put(spec["url"], headers=spec["headers"], content=content).status_code == 200
    return started["uploadId"], spec["url"]


def object_exists(stack, signed_url: str) -> bool:
    name = urllib.parse.unquote(urllib.parse.urlsplit(signed_url).path).split("/", 2)[2]
    storage = stack.env["STORAGE_EMULATOR_HOST"]
    path = urllib.parse.quote(name, safe="")
    return httpx.get(f"{storage}/storage/v1/b/apkdrop-dev-uploads/o/{path}").status_code == 200


def test_the_sweeper_deletes_an_expired_unpublished_upload_and_its_file(stack, client, database):
    apk = build_apk("com.example.abandoned", "1.0", 1)
    expired, expired_url = put_large(client, apk)
    young, young_url = put_large(client, apk)
    long_ago = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)
    database.collection("applicationUploads").document(expired).update({"urlExpiresAt": long_ago})

    sweep(stack)

    assert not database.collection("applicationUploads").document(expired).get().exists
    assert not object_exists(stack, expired_url)
    assert object_exists(stack, young_url)
    gone = upload(client, uploadId=expired)
    assert gone.status_code == 404
    assert gone.json()["detail"] == f"Upload {expired} not found (or already used)"
    assert uploaded(upload(client, uploadId=young))["version"] == "1.0"
