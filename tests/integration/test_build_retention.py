"""Build projects' retention through the gateway: the policy's API, and the sweeper deleting
old upload contexts with their files, but not one whose build is still being uploaded.
Contexts are aged by writing their creation times."""

import datetime
import time
from collections.abc import Iterator

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from tests.fixtures.apk_builder import build_apk
from tests.integration.flows import (
    create_context,
    put_file,
    register_build,
    upload_build,
    wait_until_settled,
)
from tests.integration.test_build_delete import audit_targets, stored_object
from tests.integration.test_retention import sweep

pytestmark = pytest.mark.integration

PROJECT = "retained"
MONTH_AGO = datetime.timedelta(days=30)


@pytest.fixture
def db(stack) -> Iterator[firestore.Client]:
    client = firestore.Client(
        project=stack.env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials()
    )
    yield client
    client.close()


@pytest.fixture
def client(stack, api_keys) -> Iterator[httpx.Client]:
    key = api_keys(f"build-retention-{time.monotonic_ns()}@example.com")
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60) as c:
        yield c


def age(db: firestore.Client, context_id: int) -> None:
    created = datetime.datetime.now(datetime.UTC) - MONTH_AGO
    db.collection("buildUploads").document(str(context_id)).update({"dateCreated": created})


def context_of(client: httpx.Client, context_id: int) -> dict:
    return client.get(f"/api/v1/projects/{PROJECT}/build-uploads/{context_id}").json()


def test_a_policy_round_trips(client):
    url = f"/api/v1/projects/{PROJECT}/retention"
    assert client.get(url).json() == {"maxAgeDays": None}
    put = client.put(url, json={"maxAgeDays": 14})
    assert (put.status_code, put.json()) == (200, {"maxAgeDays": 14})
    assert client.get(url).json() == {"maxAgeDays": 14}
    assert client.put(url, json={"maxAgeDays": 0}).status_code == 400
    assert client.put(url, json={}).json() == {"maxAgeDays": None}
    assert client.get(url).json() == {"maxAgeDays": None}


def test_the_sweeper_deletes_old_contexts_with_their_files(stack, client, db):
    old = upload_build(client, PROJECT, build_apk("com.example.retained.old"))
    recent = upload_build(client, PROJECT, build_apk("com.example.retained.new"))
    assert (old["uploadState"], recent["uploadState"]) == ("FINISHED", "FINISHED")
    age(db, old["contextId"])
    put = client.put(f"/api/v1/projects/{PROJECT}/retention", json={"maxAgeDays": 7})
    assert put.status_code == 200, put.text
    sweep(stack)
    gone = context_of(client, old["contextId"])
    assert gone["dateDeleted"] and [b["uploadState"] for b in gone["builds"]] == ["DELETED"]
    assert stored_object(stack, old["id"]) is None
    kept = context_of(client, recent["contextId"])
    assert kept["dateDeleted"] is None and kept["builds"][0]["uploadState"] == "FINISHED"
    assert stored_object(stack, recent["id"]) is not None
    (event,) = audit_targets(db, f"/api/v1/projects/{PROJECT}/build-uploads/{old['contextId']}")
    assert event["actor"]["keyPrefix"] == "retention"
    assert event["details"] == {
        "buildIds": [old["id"]],
        "deletedBy": "retention",
        "rule": "maxAgeDays",
    }


def test_a_context_whose_build_is_uploading_waits_for_it(stack, client, db):
    context = create_context(client, PROJECT)
    registered = register_build(client, PROJECT, context["id"])
    age(db, context["id"])
    assert client.put(f"/api/v1/projects/{PROJECT}/retention", json={"maxAgeDays": 7}).is_success
    sweep(stack)
    assert context_of(client, context["id"])["dateDeleted"] is None
    put_file(registered["uploadSpec"], build_apk("com.example.retained.late"))
    build = wait_until_settled(client, PROJECT, registered["build"]["id"])
    assert build["uploadState"] == "FINISHED"  # the upload went on whole
    sweep(stack)
    assert context_of(client, context["id"])["dateDeleted"]
    assert stored_object(stack, build["id"]) is None
