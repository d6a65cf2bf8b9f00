"""DELETE of builds and upload contexts through the gateway, against the emulators."""

import time
from collections.abc import Iterator

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from apkdrop.accounts import KeyScope, issue_api_key
from apkdrop.adapters.firestore import AccountStore
from tests.fixtures.apk_builder import build_apk
from tests.integration.flows import create_context, put_file, register_build, upload_build

pytestmark = pytest.mark.integration

PROJECT = "deletions"
BUCKET = "apkdrop-dev-uploads"
GONE_TIMEOUT_SECONDS = 60
UPLOAD_ONLY = {"detail": "This API key may only upload; use an admin key"}


@pytest.fixture(scope="module")
def db(stack) -> Iterator[firestore.Client]:
    client = firestore.Client(
        project=stack.env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials()
    )
    yield client
    client.close()


@pytest.fixture
def email() -> str:
    return f"deleter-{time.monotonic_ns()}@example.com"


@pytest.fixture
def client(stack, api_keys, email) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": api_keys(email)}, timeout=60) as c:
        yield c


@pytest.fixture
def upload_only(stack, db, email) -> Iterator[httpx.Client]:
    """A CI key of the same account, which may upload but not delete."""
    key = issue_api_key(AccountStore(db), email, scope=KeyScope.UPLOAD)
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60) as c:
        yield c


def stored_object(stack, build_id: int) -> dict | None:
    """The build's object in the fake GCS, if it is there."""
    listing = httpx.get(
        f"{stack.env['STORAGE_EMULATOR_HOST']}/storage/v1/b/{BUCKET}/o",
        params={"prefix": "builds/"},
    )
    items = listing.json().get("items", [])
    return next((o for o in items if o["name"].endswith(f"/{build_id}.apk")), None)


def wait_until_gone(stack, build_id: int) -> dict | None:
    deadline = time.monotonic() + GONE_TIMEOUT_SECONDS
    while (found := stored_object(stack, build_id)) is not None and time.monotonic() < deadline:
        time.sleep(0.25)
    return found


def audit_targets(db: firestore.Client, target: str) -> list[dict]:
    """The deletions' events of `target` (registering the build recorded an upload too)."""
    query = db.collection("auditEvents").where(filter=firestore.FieldFilter("target", "==", target))
    return [event for doc in query.stream() if (event := doc.to_dict())["action"] == "delete"]


def test_a_deleted_build_reads_deleted_and_its_file_is_gone(stack, client, db):
    build = upload_build(client, PROJECT, build_apk("com.example.deleted"))
    assert build["uploadState"] == "FINISHED"
    assert stored_object(stack, build["id"]) is not None
    url = f"/api/v1/projects/{PROJECT}/builds/{build['id']}"

    deleted = client.delete(url)
    assert (deleted.status_code, deleted.content) == (204, b"")
    after = client.get(url).json()
    assert (after["uploadState"], after["apkInfo"]) == ("DELETED", build["apkInfo"])
    assert after["dateDeleted"]
    context = client.get(f"/api/v1/projects/{PROJECT}/build-uploads/{build['contextId']}").json()
    assert [b["uploadState"] for b in context["builds"]] == ["DELETED"]
    assert stored_object(stack, build["id"]) is None

    again = client.delete(url)
    assert (again.status_code, again.json()) == (404, {"detail": f"Build {build['id']} not found"})
    [event] = audit_targets(db, url)
    assert event["action"] == "delete"
    assert event["actor"]["scope"] == "admin"


def test_a_file_put_after_the_delete_is_deleted_by_the_trigger(stack, client):
    context = create_context(client, PROJECT)
    registered = register_build(client, PROJECT, context["id"])
    build_id = registered["build"]["id"]
    assert client.delete(f"/api/v1/projects/{PROJECT}/builds/{build_id}").status_code == 204

    put_file(registered["uploadSpec"], build_apk("com.example.late"))  # the URL is still valid
    assert wait_until_gone(stack, build_id) is None
    build = client.get(f"/api/v1/projects/{PROJECT}/builds/{build_id}").json()
    assert (build["uploadState"], build["apkInfo"]) == ("DELETED", None)


def test_deleting_a_context_deletes_its_builds(stack, client, db):
    context = create_context(client, PROJECT)["id"]
    first = register_build(client, PROJECT, context)
    second = register_build(client, PROJECT, context)
    put_file(first["uploadSpec"], build_apk("com.example.first"))
    url = f"/api/v1/projects/{PROJECT}/build-uploads/{context}"

    assert client.delete(url).status_code == 204
    listed = client.get(url).json()
    assert [b["uploadState"] for b in listed["builds"]] == ["DELETED", "DELETED"]
    assert wait_until_gone(stack, first["build"]["id"]) is None
    refused = client.post(
        f"/api/v1/projects/{PROJECT}/builds",
        json={"contextId": context, "buildType": "APK", "buildFileName": "app.apk"},
    )
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": f"Build upload context {context} was deleted"},
    )
    assert client.delete(url).status_code == 404
    [event] = audit_targets(db, url)
    assert event["details"] == {"buildIds": [first["build"]["id"], second["build"]["id"]]}


def test_an_upload_only_key_may_register_but_not_delete(client, upload_only):
    context = create_context(upload_only, PROJECT)["id"]
    build = register_build(upload_only, PROJECT, context)["build"]
    for path in (f"builds/{build['id']}", f"build-uploads/{context}"):
        response = upload_only.delete(f"/api/v1/projects/{PROJECT}/{path}")
        assert (response.status_code, response.json()) == (403, UPLOAD_ONLY)
    still = client.get(f"/api/v1/projects/{PROJECT}/builds/{build['id']}").json()
    assert still["uploadState"] == "UPLOADING"


def test_another_account_s_build_and_context_are_not_found(stack, client, api_keys):
    build = upload_build(client, PROJECT, build_apk("com.example.mine"))
    stranger_key = api_keys(f"stranger-{time.monotonic_ns()}@example.com")
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": stranger_key}) as stranger:
        for path in (f"builds/{build['id']}", f"build-uploads/{build['contextId']}"):
            response = stranger.delete(f"/api/v1/projects/{PROJECT}/{path}")
            assert response.status_code == 404, response.text
    mine = client.get(f"/api/v1/projects/{PROJECT}/builds/{build['id']}").json()
    assert mine["uploadState"] == "FINISHED"
    assert stored_object(stack, build["id"]) is not None
