"""The email worker as Cloud Tasks calls it: main.send_email, served by functions_framework.

The queue account's token is accepted by a patched `task_auth.verify_token`; the task bodies
are the payloads a publish queued.
"""

import dataclasses

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications.form import read_upload_form
from apkdrop.applications.service import UploadSession
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.notifications import delivery
from apkdrop.notifications.models import NotificationState
from apkdrop.notifications.ports import MailRefused
from tests.fakes import ScriptedMailer, fake_dependencies
from tests.fixtures.apk_builder import build_apk

ALICE = Caller(
    id="acct-alice", email="alice@example.com", keyPrefix="apkd_test", scope=KeyScope.UPLOAD
)
APK = build_apk("com.example.worker", "1.0", 1, label="Worker App")


@pytest.fixture
def mailer() -> ScriptedMailer:
    return ScriptedMailer()


@pytest.fixture
def deps(mailer: ScriptedMailer) -> Dependencies:
    return dataclasses.replace(fake_dependencies(), mailer=mailer)


@pytest.fixture
def worker(load_task) -> FlaskClient:
    """main.send_email over the fakes, called with the queue account's (patched) token."""
    return load_task("send_email")


def queued_task(deps: Dependencies, **fields: str) -> dict:
    """Publishes an upload with a notification and returns the payload its task carries."""
    with UploadSession(deps, ALICE) as session:
        session.file_writer().write(APK)
        form = {"sendNotification": "true", **fields}
        session.publish(read_upload_form(MultiDict(form), has_file=True, settings=deps.settings))
    return deps.email_queue.calls[-1].payload


def test_the_worker_sends_then_answers_duplicate(
    worker: FlaskClient, deps: Dependencies, mailer: ScriptedMailer
) -> None:
    payload = queued_task(deps, notificationEmails="dev@example.com")
    delivery_id = f"upload-{payload['appId']}-1"

    first = worker.post("/", json=payload)
    again = worker.post("/", json=payload)

    assert (first.status_code, first.json) == (200, {"delivery": delivery_id, "outcome": "sent"})
    assert (again.status_code, again.json) == (
        200,
        {"delivery": delivery_id, "outcome": "duplicate"},
    )
    (email,) = mailer.sent
    assert email.to == ["dev@example.com"]
    found = deps.applications.get_version(payload["appId"], 1)
    assert found[1].notification.status is NotificationState.SENT


def test_a_task_without_kind_is_an_upload_email(worker: FlaskClient, deps: Dependencies) -> None:
    payload = queued_task(deps)
    legacy = {"appId": payload["appId"], "version": payload["version"]}
    response = worker.post("/", json=legacy)
    assert (response.status_code, response.json["outcome"]) == (200, "sent")


def test_an_unknown_version_is_acknowledged(worker: FlaskClient, mailer: ScriptedMailer) -> None:
    response = worker.post("/", json={"appId": "gone", "version": 3})
    assert (response.status_code, response.json) == (
        200,
        {"delivery": "upload-gone-3", "outcome": "unknown"},
    )
    assert mailer.attempts == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"data": "not json", "content_type": "application/json"},
        {"json": []},
        {"json": "upload"},
        {"json": {}},
        {"json": {"appId": "x"}},
        {"json": {"version": 1}},
        {"json": {"appId": "", "version": 1}},
        {"json": {"appId": "x" * 65, "version": 1}},
        {"json": {"appId": "x", "version": 0}},
        {"json": {"appId": "x", "version": -1}},
        {"json": {"appId": "x", "version": "one"}},
        {"json": {"appId": "x", "version": 1.5}},
        {"json": {"appId": 7, "version": 1}},
    ],
)
def test_a_bad_body_is_acknowledged_unsent(
    worker: FlaskClient, mailer: ScriptedMailer, kwargs: dict
) -> None:
    """A 400 would be retried up to the queue's max_attempts, and the body never changes."""
    response = worker.post("/", **kwargs)
    assert response.status_code == 200
    assert isinstance(response.json["detail"], str) and response.json["detail"]
    assert mailer.attempts == []


def test_only_post_is_served(worker: FlaskClient) -> None:
    response = worker.get("/")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_a_sendgrid_429_is_a_503_that_cloud_tasks_retries(
    worker: FlaskClient, deps: Dependencies, mailer: ScriptedMailer
) -> None:
    payload = queued_task(deps)
    mailer.failures.append(BackendUnavailable("SendGrid answered 429, retry later"))

    refused = worker.post("/", json=payload)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.json["detail"] == "SendGrid answered 429, retry later"
    assert refused.json["requestId"] == refused.headers["X-Request-Id"]

    retried = worker.post("/", json=payload)
    assert (retried.status_code, retried.json["outcome"]) == (200, "sent")
    assert (len(mailer.attempts), len(mailer.sent)) == (2, 1)


def test_a_final_refusal_is_acknowledged_as_failed(
    worker: FlaskClient, deps: Dependencies, mailer: ScriptedMailer
) -> None:
    payload = queued_task(deps)
    mailer.failures.append(MailRefused("SendGrid refused the message (400)"))

    response = worker.post("/", json=payload)

    assert (response.status_code, response.json["outcome"]) == (200, "failed")
    assert worker.post("/", json=payload).json["outcome"] == "duplicate"
    found = deps.applications.get_version(payload["appId"], 1)
    assert found[1].notification.status is NotificationState.FAILED
    assert len(mailer.attempts) == 1


def test_a_busy_delivery_is_a_503(worker: FlaskClient, deps: Dependencies) -> None:
    payload = queued_task(deps)
    deps.deliveries.claim(f"upload-{payload['appId']}-1", delivery.SEND_LEASE)  # another worker
    response = worker.post("/", json=payload)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
