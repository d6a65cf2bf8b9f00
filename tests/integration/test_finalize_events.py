"""The finalize trigger is idempotent: duplicated and out-of-order events change nothing."""

import time
from urllib.parse import quote

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk
from tests.integration.flows import upload_build

pytestmark = pytest.mark.integration


def object_resource(stack, build: dict, project: str, client: httpx.Client) -> dict:
    """The object as the storage emulator describes it, which is what an event carries."""
    context = client.get(f"/api/v1/projects/{project}/build-uploads/{build['contextId']}").json()
    assert context["builds"]
    storage = stack.env["STORAGE_EMULATOR_HOST"]
    listing = httpx.get(
        f"{storage}/storage/v1/b/apkdrop-dev-uploads/o", params={"prefix": "builds/"}
    ).json()["items"]
    return next(item for item in listing if item["name"].endswith(f"/{build['id']}.apk"))


def deliver(stack, resource: dict, event_id: str) -> httpx.Response:
    """What Eventarc sends when it delivers (or redelivers) a finalize event."""
    return httpx.post(
        stack.function_url("build-finalized"),
        json=resource,
        headers={
            "ce-specversion": "1.0",
            "ce-id": event_id,
            "ce-type": "google.cloud.storage.object.v1.finalized",
            "ce-source": f"//storage.googleapis.com/projects/_/buckets/{resource['bucket']}",
            "ce-subject": f"objects/{quote(resource.get('name', 'unknown'))}",
            "ce-time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )


def test_duplicated_event_changes_nothing(stack, client):
    build = upload_build(client, "events", build_apk("com.example.events"))
    assert build["uploadState"] == "FINISHED"
    resource = object_resource(stack, build, "events", client)

    for _ in range(3):
        assert deliver(stack, resource, "duplicate-1").status_code == 200

    again = client.get(f"/api/v1/projects/events/builds/{build['id']}").json()
    assert again == build


def test_event_for_another_generation_changes_nothing(stack, client):
    build = upload_build(client, "events", b"garbage")
    assert build["uploadState"] == "FAILED"
    resource = object_resource(stack, build, "events", client)

    older = {**resource, "generation": str(int(resource["generation"]) - 1), "size": "5"}
    assert deliver(stack, older, "out-of-order-1").status_code == 200

    assert client.get(f"/api/v1/projects/events/builds/{build['id']}").json() == build


def test_malformed_and_foreign_events_are_acknowledged(stack, client):
    assert deliver(stack, {"bucket": "apkdrop-dev-uploads"}, "malformed-1").status_code == 200
    foreign = {
        "bucket": "apkdrop-dev-uploads",
        "name": "other/file.txt",
        "generation": "1",
        "size": "3",
        "metadata": {},
    }
    assert deliver(stack, foreign, "foreign-1").status_code == 200
