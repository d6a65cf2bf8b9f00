"""Register a hook at the local receiver, upload, and see it delivered: signed, once; a 503
retried until delivered; a 400 failed and not retried. Through the gateway, on the emulators."""

import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded

pytestmark = pytest.mark.integration
DELIVERY_TIMEOUT_SECONDS = 45


def receiver_url(stack, name: str) -> str:
    return f"{stack.url}/_dev/webhooks/receive/{name}"


def received(stack, name: str) -> list[dict]:
    return httpx.get(f"{stack.url}/_dev/webhooks.json", params={"name": name}).json()


def wait_for(stack, name: str, count: int) -> list[dict]:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while len(found := received(stack, name)) < count:
        assert time.monotonic() < deadline, found
        time.sleep(0.25)
    return found


def register(client: httpx.Client, url: str, **fields) -> dict:
    body = {"url": url, "kind": "json", "events": ["version.created"], **fields}
    answer = client.post("/v1/webhooks", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def deliveries(client: httpx.Client, hook_id: str) -> list[dict]:
    answer = client.get(f"/v1/webhooks/{hook_id}/deliveries")
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def wait_for_state(client: httpx.Client, hook_id: str, state: str) -> dict:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while not (found := deliveries(client, hook_id)) or found[0]["state"] != state:
        assert time.monotonic() < deadline, found
        time.sleep(0.25)
    return found[0]


def behave(stack, name: str, status: int, count: int) -> None:
    answer = httpx.post(
        f"{stack.url}/_dev/webhooks/behaviour/{name}", json={"status": status, "count": count}
    )
    assert answer.status_code == 204


def test_an_upload_is_delivered_once_signed(stack, client):
    name = f"team-{uuid.uuid4().hex[:8]}"
    hook = register(client, receiver_url(stack, name))
    app = uploaded(upload(client, build_apk("com.example.hooked", "1.2", 12)))

    (delivery,) = wait_for(stack, name, 1)

    body = delivery["body"].encode()
    event = json.loads(body)
    assert (event["type"], event["data"]["id"]) == ("version.created", app["id"])
    assert event["data"]["version"]["versionedMagicLink"] == app["versionedMagicLink"]
    headers = {key.lower(): value for key, value in delivery["headers"].items()}
    assert headers["x-apkdrop-event"] == "version.created"
    assert headers["x-apkdrop-delivery"] == event["id"]
    fields = dict(part.split("=", 1) for part in headers["x-apkdrop-signature"].split(","))
    signed = f"{fields['t']}.".encode() + body
    expected = hmac.new(hook["secret"].encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])
    assert abs(time.time() - int(fields["t"])) < 120
    record = wait_for_state(client, hook["id"], "delivered")
    assert (record["attempts"], record["statusCode"], record["eventId"]) == (1, 200, event["id"])

    # The tasks emulator does not deduplicate; Cloud Tasks may deliver a task twice as well.
    task = {"hookId": hook["id"], "event": event}
    again = [httpx.post(stack.function_url("webhook-worker"), json=task) for _ in range(3)]

    assert [answer.json()["outcome"] for answer in again] == ["duplicate"] * 3
    time.sleep(1)
    assert len(received(stack, name)) == 1


def test_a_503_is_retried_until_delivered(stack, client):
    name = f"flaky-{uuid.uuid4().hex[:8]}"
    behave(stack, name, 503, 1)
    hook = register(client, receiver_url(stack, name))
    uploaded(upload(client, build_apk("com.example.flaky")))

    first, second = wait_for(stack, name, 2)

    assert (first["status"], second["status"]) == (503, 200)
    assert first["body"] == second["body"]
    record = wait_for_state(client, hook["id"], "delivered")
    assert (record["attempts"], record["statusCode"]) == (2, 200)


def test_a_400_is_recorded_failed_and_not_retried(stack, client):
    name = f"strict-{uuid.uuid4().hex[:8]}"
    behave(stack, name, 400, 5)
    hook = register(client, receiver_url(stack, name))
    uploaded(upload(client, build_apk("com.example.strict")))

    record = wait_for_state(client, hook["id"], "failed")

    assert (record["attempts"], record["statusCode"], record["lastError"]) == (1, 400, "HTTP 400")
    time.sleep(2)
    assert [d["status"] for d in received(stack, name)] == [400]


def test_the_local_stack_refuses_any_url_but_its_receiver(stack, client):
    for url in ("https://93.184.215.14/in", f"{stack.url}/v1/audit", receiver_url(stack, "a/b")):
        answer = client.post(
            "/v1/webhooks", json={"url": url, "kind": "json", "events": ["version.created"]}
        )
        assert answer.status_code == 400, url
        assert answer.json()["detail"].startswith("url may only be ")
