"""build.finished and build.failed: queued when a build settles (by its file or by expiry),
queued again by the retry a queue outage asks for, and shown in Slack with the reason."""

import json

import pytest

from apkdrop.builds import settlement
from apkdrop.builds.models import UploadState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.ids import new_opaque_id
from apkdrop.webhooks.models import Envelope, EventType, Hook, HookKind
from apkdrop.webhooks.payloads import slack_message
from tests.unit.test_build_deletion import caller, register, upload
from tests.unit.test_webhook_delivery import NOW

BUILD_EVENTS = ["build.finished", "build.failed"]


def add_hook(deps: Dependencies, account_id: str, **fields) -> Hook:
    hook = Hook(
        id=new_opaque_id(),
        accountId=account_id,
        url="https://hooks.example.com/in",
        kind=HookKind.JSON,
        createdAt=NOW,
        **{"events": BUILD_EVENTS, "appId": None, "channel": None, **fields},
    )
    assert deps.webhooks.add_hook(hook, 10)
    return hook


def queued_events(deps: Dependencies) -> list[dict]:
    return [task.payload["event"] for task in deps.webhook_queue.tasks.values()]


def test_a_settled_build_is_a_build_finished_event(deps) -> None:
    owner = caller(deps)
    hook = add_hook(deps, owner.id)
    add_hook(deps, owner.id, appId="A" * 22)  # narrowed to an app: no builds
    build = register(deps, owner)

    settled = settlement.settle_upload(deps, build.id, upload(deps, build))

    (event,) = queued_events(deps)
    assert event["type"] == "build.finished"
    assert event["data"] == json.loads(settled.public().model_dump_json())
    assert "objectName" not in event["data"] and "accountId" not in event["data"]
    assert [task.payload["hookId"] for task in deps.webhook_queue.calls] == [hook.id]


def test_an_expired_upload_is_a_build_failed_event(deps) -> None:
    owner = caller(deps)
    add_hook(deps, owner.id)
    build = register(deps, owner)

    settlement.expire_upload(deps, build.id)

    (event,) = queued_events(deps)
    assert (event["type"], event["data"]["failureReason"]) == (
        "build.failed",
        settlement.EXPIRED_REASON,
    )


def test_a_queue_outage_fails_the_handler_and_its_retry_queues_the_event(deps, monkeypatch) -> None:
    owner = caller(deps)
    add_hook(deps, owner.id)
    build = register(deps, owner)
    uploaded = upload(deps, build)

    def down(*args: object) -> None:
        raise BackendUnavailable("Cloud Tasks is unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(deps.webhook_queue, "schedule", down)
        with pytest.raises(BackendUnavailable):
            settlement.settle_upload(deps, build.id, uploaded)
    assert deps.builds.get_build(build.id).uploadState is UploadState.FINISHED

    settlement.settle_upload(deps, build.id, uploaded)  # the storage event's redelivery

    assert [event["type"] for event in queued_events(deps)] == ["build.finished"]


def test_a_failed_build_in_slack_shows_its_reason(deps) -> None:
    owner = caller(deps)
    add_hook(deps, owner.id)
    build = register(deps, owner)
    settlement.expire_upload(deps, build.id)
    (event,) = queued_events(deps)

    message = slack_message(Envelope.model_validate(event), None)

    header, section = message["blocks"]
    assert header["text"]["text"] == f"Build {build.id} (app.apk) FAILED"
    assert section["text"]["text"].endswith(f"Reason: {settlement.EXPIRED_REASON}")
    assert EventType(event["type"]) is EventType.BUILD_FAILED
