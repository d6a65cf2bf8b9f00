"""Events to hooks over the fakes: one named task per (hook, event), and the worker's
delivery: signed, at most once, retried on 429/5xx/timeouts, failed for good otherwise, and
refused when the hook's name resolves to a private address by then."""

import datetime
import json
import re
import time
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import deletion
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.ids import new_opaque_id
from apkdrop.task_attempts import RETRY_COUNT_HEADER
from apkdrop.ttls import MESSAGE_ICON_URL_TTL
from apkdrop.webhooks import events
from apkdrop.webhooks.models import Hook, HookKind
from apkdrop.webhooks.signature import hook_secret, signature_header
from tests.fakes import FakeWeb
from tests.unit.test_application_service import apk, upload
from tests.unit.test_notification_delivery import apk_with_icon

OWNER = Caller(id="acct-hooks", email="owner@example.com", keyPrefix="apkd_h", scope=KeyScope.ADMIN)
PUBLIC = "93.184.215.14"
HOOK_URL = "https://hooks.example.com/in"
README = Path(__file__).resolve().parents[2] / "README.md"
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, deps: Dependencies) -> FakeWeb:
    deps.webhook_sender.resolver.names["hooks.example.com"] = [PUBLIC]
    deps.clock.now = NOW
    web = FakeWeb()
    web.install(monkeypatch)
    return web


@pytest.fixture
def worker(load_task, web: FakeWeb) -> FlaskClient:
    return load_task("deliver_webhook")


def add_hook(deps: Dependencies, kind: HookKind = HookKind.JSON, **fields) -> Hook:
    values = {
        "events": ["version.created", "version.deleted"],
        "appId": None,
        "channel": None,
        **fields,
    }
    hook = Hook(
        id=new_opaque_id(), accountId=OWNER.id, url=HOOK_URL, kind=kind, createdAt=NOW, **values
    )
    assert deps.webhooks.add_hook(hook, 10)
    return hook


def answer_with(web: FakeWeb, *statuses: int) -> list[httpx.Request]:
    """The receiver answers these statuses in turn (the last one from then on)."""
    received: list[httpx.Request] = []
    queue = list(statuses)

    def answer(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(queue.pop(0) if len(queue) > 1 else queue[0])

    web.route(HOOK_URL, answer)
    return received


def tasks(deps: Dependencies) -> list[dict]:
    return [task.payload for task in deps.webhook_queue.tasks.values()]


def readme_verify():
    """The five lines the README gives receivers, run as they are written."""
    text = README.read_text()
    code = re.search(r"<!-- webhook-verify -->\n```python\n(.*?)```", text, re.S)
    assert code is not None
    assert len([line for line in code[1].splitlines() if line.strip()]) == 5
    namespace: dict = {}
    exec(code[1], namespace)  # our own README's example
    return namespace["verify"]


# --- emission -----------------------------------------------------------------------------------


def test_an_upload_queues_one_named_task_per_hook_that_receives_it(deps, web) -> None:
    everything = add_hook(deps)
    add_hook(deps, events=["version.deleted"])
    add_hook(deps, appId="Z" * 22)
    add_hook(deps, channel="beta")

    answer = upload(deps, OWNER, apk())

    (task,) = deps.webhook_queue.calls
    assert task.task_id == f"{everything.id}-{task.payload['event']['id']}"
    assert task.url == str(deps.settings.webhook_worker_url)
    event = task.payload["event"]
    assert event["type"] == "version.created"
    assert event["data"]["id"] == answer.data.id
    assert event["data"]["version"]["version"] == "1.0"
    assert event["data"]["version"]["channel"] == "default"
    assert event["data"]["version"]["versionedMagicLink"] == answer.data.versionedMagicLink
    assert "objectName" not in json.dumps(event)
    shown = event["data"]["version"]
    assert {"allowedUsers", "notificationEmails", "notification"} & set(shown) == set()
    assert shown["uploaderEmail"] == OWNER.email


def test_a_hook_narrowed_to_an_app_and_channel_receives_that_apps_events(deps, web) -> None:
    app_id = upload(deps, OWNER, apk()).data.id
    narrowed = add_hook(deps, appId=app_id, channel="default")
    other_channel = add_hook(deps, appId=app_id, channel="beta")

    upload(deps, OWNER, apk(code=2))

    hooks = [task["hookId"] for task in tasks(deps)]
    assert narrowed.id in hooks and other_channel.id not in hooks


def test_a_deleted_version_and_a_deleted_app_emit_version_deleted(deps, web) -> None:
    hook = add_hook(deps, events=["version.deleted"])
    app_id = upload(deps, OWNER, apk()).data.id
    upload(deps, OWNER, apk(code=2))
    upload(deps, OWNER, apk(code=3))

    deletion.delete_version(deps, OWNER, app_id, "3.0")
    deletion.delete_application(deps, OWNER, app_id)

    events = [task["event"] for task in tasks(deps) if task["hookId"] == hook.id]
    assert sorted(e["data"]["version"]["version"] for e in events) == ["1.0", "2.0", "3.0"]
    assert {e["type"] for e in events} == {"version.deleted"}
    assert len({e["id"] for e in events}) == 3


def storage_fails_once(deps: Dependencies, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bucket's next object deletion fails, after the deletion's tombstone committed."""
    real_delete = deps.bucket.delete_object
    outages = [BackendUnavailable("Cloud Storage is unavailable, retry later")]

    def flaky(name: str) -> None:
        if outages:
            raise outages.pop()
        real_delete(name)

    monkeypatch.setattr(deps.bucket, "delete_object", flaky)


def test_a_version_delete_that_failed_halfway_has_emitted_version_deleted(
    deps, web, monkeypatch
) -> None:
    hook = add_hook(deps, events=["version.deleted"])
    app_id = upload(deps, OWNER, apk()).data.id
    upload(deps, OWNER, apk(code=2))
    storage_fails_once(deps, monkeypatch)

    with pytest.raises(BackendUnavailable):  # a 503: the version is deleted, its files not yet
        deletion.delete_version(deps, OWNER, app_id, "2.0")
    deletion.delete_version(deps, OWNER, app_id, "2.0")  # the retry finishes it (204)

    events = [task["event"] for task in tasks(deps) if task["hookId"] == hook.id]
    assert [(e["type"], e["data"]["version"]["version"]) for e in events] == [
        ("version.deleted", "2.0")
    ]


def test_an_app_delete_that_failed_halfway_has_emitted_each_version_deleted(
    deps, web, monkeypatch
) -> None:
    hook = add_hook(deps, events=["version.deleted"])
    app_id = upload(deps, OWNER, apk()).data.id
    upload(deps, OWNER, apk(code=2))
    storage_fails_once(deps, monkeypatch)

    with pytest.raises(BackendUnavailable):
        deletion.delete_application(deps, OWNER, app_id)
    deletion.delete_application(deps, OWNER, app_id)

    events = [task["event"] for task in tasks(deps) if task["hookId"] == hook.id]
    assert sorted(e["data"]["version"]["version"] for e in events) == ["1.0", "2.0"]


def test_a_deleted_versions_event_shows_no_icon_it_took_with_it(deps, web) -> None:
    add_hook(deps, HookKind.SLACK, events=["version.deleted"])
    app_id = upload(deps, OWNER, apk_with_icon()).data.id
    assert deps.applications.get_version(app_id, 1)[1].iconObject is not None

    deletion.delete_application(deps, OWNER, app_id)

    (task,) = tasks(deps)
    assert task["event"]["type"] == "version.deleted"
    assert task["iconObject"] is None


def test_emitting_an_event_again_queues_nothing_new(deps, web) -> None:
    add_hook(deps)
    app, version = deps.applications.get_version(upload(deps, OWNER, apk()).data.id, 1)

    events.version_created(deps, app, version)

    assert len(deps.webhook_queue.calls) == 2
    assert len(deps.webhook_queue.tasks) == 1  # the same name: Cloud Tasks keeps the first


# --- the worker ---------------------------------------------------------------------------------


def queued(deps: Dependencies, kind: HookKind = HookKind.JSON) -> tuple[Hook, dict]:
    hook = add_hook(deps, kind)
    upload(deps, OWNER, apk(label="Hooked App"))
    return hook, deps.webhook_queue.calls[-1].payload


def test_a_json_delivery_is_signed_as_the_readme_verifies(deps, web, worker) -> None:
    hook, task = queued(deps)
    received = answer_with(web, 204)

    answer = worker.post("/", json=task)

    assert answer.json["outcome"] == "delivered"
    (request,) = received
    body = request.content
    assert json.loads(body) == task["event"]
    assert request.headers["X-Apkdrop-Event"] == "version.created"
    assert request.headers["X-Apkdrop-Delivery"] == task["event"]["id"]
    signature = request.headers["X-Apkdrop-Signature"]
    assert signature.startswith(f"t={int(NOW.timestamp())},v1=")
    verify = readme_verify()
    secret = hook_secret(deps.settings.webhook_signing_key, hook.id)
    # The README's tolerance is checked against the real time: sign "now" for it.
    fresh = signature_header(secret, int(time.time()), body)
    assert verify(secret, fresh, body)
    assert not verify(secret, fresh, body + b" ")
    assert not verify("whsec_other", fresh, body)
    assert not verify(secret, signature, body)  # NOW is long past: a replay is refused
    assert request.url.host == PUBLIC and request.headers["Host"] == "hooks.example.com"


def test_redelivered_tasks_deliver_exactly_once(deps, web, worker) -> None:
    _, task = queued(deps)
    received = answer_with(web, 200)

    outcomes = [worker.post("/", json=task).json["outcome"] for _ in range(3)]

    assert outcomes == ["delivered", "duplicate", "duplicate"]
    assert len(received) == 1


@pytest.mark.parametrize("status", [503, 500, 429])
def test_a_retryable_answer_is_a_503_then_delivered(deps, web, worker, status: int) -> None:
    hook, task = queued(deps)
    received = answer_with(web, status, 200)

    first = worker.post("/", json=task)
    second = worker.post("/", json=task)

    assert first.status_code == 503
    assert second.json["outcome"] == "delivered"
    assert len(received) == 2
    (record,) = deps.webhook_deliveries.deliveries(hook.id, 10, None)[0]
    assert (record.state, record.attempts, record.statusCode) == ("delivered", 2, 200)


@pytest.mark.parametrize("status", [400, 404, 410, 301])
def test_a_final_answer_is_recorded_failed_and_never_retried(deps, web, worker, status) -> None:
    hook, task = queued(deps)
    received = answer_with(web, status)

    first = worker.post("/", json=task)
    again = worker.post("/", json=task)

    assert (first.status_code, first.json["outcome"]) == (200, "failed")
    assert again.json["outcome"] == "duplicate"
    assert len(received) == 1
    (record,) = deps.webhook_deliveries.deliveries(hook.id, 10, None)[0]
    assert (record.state, record.attempts, record.lastError) == ("failed", 1, f"HTTP {status}")


@pytest.mark.parametrize(
    ("error", "detail"),
    [(httpx.ReadTimeout("slow"), "timed out"), (httpx.ConnectError("no"), "connection failed")],
)
def test_a_timeout_or_connection_failure_is_retried(deps, web, worker, error, detail) -> None:
    hook, task = queued(deps)

    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    web.route(HOOK_URL, fail)

    answer = worker.post("/", json=task)

    assert answer.status_code == 503
    (record,) = deps.webhook_deliveries.deliveries(hook.id, 10, None)[0]
    assert (record.state, record.lastError) == ("retrying", f"the receiver {detail}")


def test_a_name_that_resolves_private_by_delivery_time_is_refused(deps, web, worker) -> None:
    hook, task = queued(deps)  # registered (in the API's tests) while it was public
    received = answer_with(web, 200)
    deps.webhook_sender.resolver.names["hooks.example.com"] = ["10.1.2.3"]

    answer = worker.post("/", json=task)

    assert (answer.status_code, answer.json["outcome"]) == (200, "refused")
    assert received == []
    (record,) = deps.webhook_deliveries.deliveries(hook.id, 10, None)[0]
    assert (record.state, record.lastError) == (
        "failed",
        "url points to a private or reserved address",
    )


def test_a_deleted_hooks_task_is_acknowledged(deps, web, worker) -> None:
    hook, task = queued(deps)
    received = answer_with(web, 200)
    deps.webhooks.delete_hook(hook)

    assert worker.post("/", json=task).json["outcome"] == "hook deleted"
    assert received == []


def test_a_slack_hook_gets_a_block_kit_message(deps, web, worker) -> None:
    add_hook(deps, HookKind.SLACK)
    upload(deps, OWNER, apk_with_icon())
    deps.bucket.signed_gets.clear()  # the upload's answer signed the icon too
    task = deps.webhook_queue.calls[-1].payload
    received = answer_with(web, 200)

    assert worker.post("/", json=task).json["outcome"] == "delivered"

    (request,) = received
    assert "X-Apkdrop-Signature" not in request.headers
    message = json.loads(request.content)
    assert message["text"] == "Iconic 1.0 is ready to install"
    header, section, actions = message["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Iconic 1.0 is ready to install"},
    }
    assert section["type"] == "section"
    assert section["text"] == {"type": "mrkdwn", "text": "*Iconic* `com.example.icon`"}
    assert [f["text"] for f in section["fields"]] == [
        "*APK version*\n2.0 (20)",
        "*Platform version*\n1.0",
        "*Channel*\ndefault",
        "*Uploaded by*\nowner@example.com",
    ]
    icon_object = task["iconObject"]
    assert deps.bucket.signed_gets[-1] == (icon_object, MESSAGE_ICON_URL_TTL, None)
    assert section["accessory"] == {
        "type": "image",
        "image_url": deps.bucket.signed_get_url(icon_object, MESSAGE_ICON_URL_TTL)[:-1] + "1",
        "alt_text": "Iconic icon",
    }
    (button,) = actions["elements"]
    assert (actions["type"], button["type"], button["text"]["text"]) == (
        "actions",
        "button",
        "Open",
    )
    assert button["url"] == task["event"]["data"]["version"]["versionedMagicLink"]


def test_a_slack_message_shows_the_size_change_and_escapes_apk_text(deps, web, worker) -> None:
    add_hook(deps, HookKind.SLACK)
    upload(deps, OWNER, apk(label="<!here> & co"))
    upload(deps, OWNER, apk(code=2, label="<!here> & co"))
    received = answer_with(web, 200)

    worker.post("/", json=deps.webhook_queue.calls[-1].payload)

    message = json.loads(received[0].content)
    assert message["text"] == "&lt;!here&gt; &amp; co 2.0 is ready to install"
    mrkdwn = [block for block in message["blocks"] if block["type"] != "header"]  # plain text
    assert "<!here>" not in json.dumps(mrkdwn)
    assert message["blocks"][1]["text"]["text"].startswith("*&lt;!here&gt; &amp; co*")
    (context,) = [block for block in message["blocks"] if block["type"] == "context"]
    assert context["elements"][0]["text"].startswith("Size: ")
    assert context["elements"][0]["text"].endswith(" since 1.0")


@pytest.mark.parametrize("retries", ["7", "12"])
def test_the_queues_last_attempt_fails_the_delivery_for_good(deps, web, worker, retries) -> None:
    hook, task = queued(deps)
    answer_with(web, 503)
    assert deps.settings.webhook_max_attempts == 8

    answer = worker.post("/", json=task, headers={RETRY_COUNT_HEADER: retries})

    assert (answer.status_code, answer.json["outcome"]) == (200, "gave up")
    (record,) = deps.webhook_deliveries.deliveries(hook.id, 10, None)[0]
    attempts = int(retries) + 1
    assert (record.state, record.statusCode) == ("failed", 503)
    assert record.lastError == f"HTTP 503 (gave up after {attempts} attempts)"


@pytest.mark.parametrize("retries", ["6", "", "x", "-1", "9" * 5000])
def test_before_the_last_attempt_a_failure_is_retried(deps, web, worker, retries) -> None:
    hook, task = queued(deps)
    answer_with(web, 503)

    answer = worker.post("/", json=task, headers={RETRY_COUNT_HEADER: retries})

    assert answer.status_code == 503
    (record,) = deps.webhook_deliveries.deliveries(hook.id, 10, None)[0]
    assert record.state == "retrying"


@pytest.mark.parametrize(
    ("retries", "state", "status"), [("7", "failed", 200), ("6", "retrying", 503)]
)
def test_a_backend_failure_on_the_last_attempt_fails_the_delivery_for_good(
    deps, web, worker, monkeypatch, retries: str, state: str, status: int
) -> None:
    """A Slack message's icon is signed through IAM: signBlob down on the queue's last attempt
    must not leave the delivery retrying once Cloud Tasks drops the task."""
    hook = add_hook(deps, HookKind.SLACK)
    upload(deps, OWNER, apk_with_icon())
    received = answer_with(web, 200)

    def signing_down(*_: object, **__: object) -> str:
        raise BackendUnavailable("IAM signBlob is unavailable, retry later")

    monkeypatch.setattr(deps.bucket, "signed_get_url", signing_down)
    answer = worker.post("/", json=tasks(deps)[-1], headers={RETRY_COUNT_HEADER: retries})

    (record,) = deps.webhook_deliveries.deliveries(hook.id, 10, None)[0]
    assert (received, record.state, answer.status_code) == ([], state, status)
    if state == "failed":
        assert record.lastError == (
            "IAM signBlob is unavailable, retry later (gave up after 8 attempts)"
        )
