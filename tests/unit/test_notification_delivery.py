"""Upload emails over the fakes: queued by a publish, then delivered once by the worker.

Uploads go through UploadSession as in test_application_service; deliveries take the payload
the publish queued, as Cloud Tasks would post it.
"""

import dataclasses
import datetime
import functools

import pytest
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications.form import read_upload_form
from apkdrop.applications.models import UploadAnswer, Version
from apkdrop.applications.service import UploadSession
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, Conflict, Misconfigured
from apkdrop.notifications import delivery
from apkdrop.notifications.models import NotificationState, UploadNotificationTask
from apkdrop.notifications.ports import MailRefused
from tests.fakes import (
    FakeDeliveries,
    FakeMailer,
    FakeScheduler,
    ScriptedMailer,
    fake_bucket,
)
from tests.fixtures.apk_builder import (
    ICON_ID,
    LABEL_ID,
    Qualifiers,
    build_apk,
    build_resources,
    play_ready,
    png,
    reference,
    webp,
)

ALICE = Caller(
    id="acct-alice", email="alice@example.com", keyPrefix="apkd_test", scope=KeyScope.UPLOAD
)
NO_VALID_EMAIL = "No valid notification email was given: no notification was sent"
NOT_QUEUED = "The notification email could not be queued"
SEVEN_DAYS = datetime.timedelta(days=7)


@functools.cache
def apk(package: str = "com.example.mail", code: int = 1) -> bytes:
    return build_apk(package, f"1.{code}", code, label="Mail App", **play_ready())


@functools.cache
def apk_with_icon(media: str = "png") -> bytes:
    path = f"res/mipmap-xxhdpi-v4/ic_launcher.{media}"
    return build_apk(
        "com.example.icon",
        "2.0",
        20,
        label=reference(LABEL_ID),
        icon=reference(ICON_ID),
        resources=build_resources({Qualifiers(): "Iconic"}, {Qualifiers(density=480): path}),
        files={path: icon_bytes(media)},
    )


def icon_bytes(media: str) -> bytes:
    return png(4, 4) if media == "png" else webp()


def queue(deps: Dependencies) -> FakeScheduler:
    assert isinstance(deps.email_queue, FakeScheduler)
    return deps.email_queue


def mailer(deps: Dependencies) -> FakeMailer:
    assert isinstance(deps.mailer, FakeMailer)
    return deps.mailer


def ledger(deps: Dependencies) -> FakeDeliveries:
    assert isinstance(deps.deliveries, FakeDeliveries)
    return deps.deliveries


def upload(deps: Dependencies, content: bytes | None = None, **fields: str) -> UploadAnswer:
    """One upload request by Alice: the file streamed in, then the fields read and published."""
    with UploadSession(deps, ALICE) as session:
        writer = session.file_writer()
        writer.write(content or apk())
        return session.publish(
            read_upload_form(MultiDict(fields), has_file=True, settings=deps.settings)
        )


def version_of(deps: Dependencies, app_id: str, number: int = 1) -> Version:
    found = deps.applications.get_version(app_id, number)
    assert found is not None
    return found[1]


def deliver(deps: Dependencies, app_id: str, number: int = 1) -> str:
    """What the worker does with the task of this version."""
    return delivery.deliver_email(deps, UploadNotificationTask(appId=app_id, version=number))


def with_mailer(deps: Dependencies, mail: FakeMailer | None) -> Dependencies:
    return dataclasses.replace(deps, mailer=mail)


# --- queueing at publish ----------------------------------------------------------------------


def test_publish_stores_the_notification_before_the_task_exists(deps: Dependencies) -> None:
    seen_at_schedule: list = []
    schedule = queue(deps).schedule

    def schedule_and_look(task_id: str, url: str, payload: dict, at: datetime.datetime) -> None:
        assert task_id not in queue(deps).tasks
        found = deps.applications.get_version(payload["appId"], payload["version"])
        seen_at_schedule.append(found and found[1].notification)
        schedule(task_id, url, payload, at)

    queue(deps).schedule = schedule_and_look  # type: ignore[method-assign]

    answer = upload(deps, sendNotification="true", notificationEmails="dev@example.com")

    (notification,) = seen_at_schedule
    assert notification is not None
    assert notification.status is NotificationState.QUEUED
    assert notification.recipients == ["dev@example.com"]
    assert notification.queuedAt is not None
    assert (notification.sentAt, notification.failedAt, notification.failureReason) == (
        None,
        None,
        None,
    )
    assert version_of(deps, answer.data.id).notification == notification


def test_publish_schedules_one_task_named_after_the_version(deps: Dependencies) -> None:
    app_id = upload(deps, sendNotification="true").data.id

    (task,) = queue(deps).calls
    assert task.task_id == f"upload-{app_id}-1"
    assert task.url == str(deps.settings.email_worker_url) == "https://email.example.test/send"
    assert (task.payload["appId"], task.payload["version"]) == (app_id, 1)
    assert set(task.payload) <= {"appId", "version", "kind"}
    assert UploadNotificationTask.model_validate(task.payload).delivery_id == task.task_id

    upload(deps, apk(code=2), sendNotification="true")
    assert [call.task_id for call in queue(deps).calls] == [
        f"upload-{app_id}-1",
        f"upload-{app_id}-2",
    ]
    assert queue(deps).calls[1].payload["version"] == 2


def test_named_recipients_get_the_email(deps: Dependencies) -> None:
    answer = upload(
        deps, sendNotification="true", notificationEmails="Dev@Example.com, qa@example.com"
    )
    assert answer.warnings == []
    assert version_of(deps, answer.data.id).notification.recipients == [
        "dev@example.com",
        "qa@example.com",
    ]


def test_invalid_recipients_are_dropped_with_a_warning(deps: Dependencies) -> None:
    answer = upload(deps, sendNotification="true", notificationEmails="dev@example.com, broken@")
    assert answer.warnings == ["Ignored invalid notification email: 'broken@'"]
    assert version_of(deps, answer.data.id).notification.recipients == ["dev@example.com"]
    assert len(queue(deps).calls) == 1


def test_without_named_recipients_the_uploader_gets_it(deps: Dependencies) -> None:
    answer = upload(deps, sendNotification="yes")
    assert answer.warnings == []
    assert version_of(deps, answer.data.id).notification.recipients == [ALICE.email]
    assert len(queue(deps).calls) == 1


def test_when_every_recipient_is_invalid_nothing_is_queued(deps: Dependencies) -> None:
    answer = upload(deps, sendNotification="true", notificationEmails="broken@, nope")
    assert NO_VALID_EMAIL in answer.warnings
    assert "Ignored invalid notification email: 'broken@'" in answer.warnings
    assert version_of(deps, answer.data.id).notification is None
    assert queue(deps).calls == []


@pytest.mark.parametrize(
    "fields",
    [{}, {"sendNotification": "false"}, {"sendNotification": "0", "notificationEmails": "a@b.co"}],
    ids=["absent", "false", "false-with-emails"],
)
def test_without_send_notification_nothing_is_queued(deps: Dependencies, fields: dict) -> None:
    answer = upload(deps, **fields)
    assert NO_VALID_EMAIL not in answer.warnings
    assert version_of(deps, answer.data.id).notification is None
    assert queue(deps).calls == []


def test_a_queue_outage_does_not_fail_the_upload(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Cloud Tasks is unavailable, retry later")

    monkeypatch.setattr(queue(deps), "schedule", unavailable)

    answer = upload(deps, sendNotification="true")

    assert answer.data.version == "1.0"
    assert answer.warnings == [NOT_QUEUED]
    version = version_of(deps, answer.data.id)
    assert fake_bucket(deps).find_object(version.objectName) is not None  # not undone
    notification = version.notification
    assert notification.status is NotificationState.FAILED
    assert notification.recipients == [ALICE.email]
    assert notification.failureReason == "the email could not be queued"
    assert notification.failedAt is not None and notification.sentAt is None


# --- delivery ---------------------------------------------------------------------------------


def test_the_email_is_sent_once(deps: Dependencies) -> None:
    app_id = upload(deps, sendNotification="true", notificationEmails="dev@example.com").data.id

    assert deliver(deps, app_id) == "sent"
    assert deliver(deps, app_id) == "duplicate"
    assert deliver(deps, app_id) == "duplicate"

    (email,) = mailer(deps).sent
    assert email.to == ["dev@example.com"]
    assert email.subject == "🚀 Mail App - Successfully Uploaded to apkdrop"
    assert f"https://apkdrop.example.test/app/{app_id}?version=1.0" in email.text
    notification = version_of(deps, app_id).notification
    assert notification.status is NotificationState.SENT
    assert notification.sentAt is not None and notification.sentAt >= notification.queuedAt
    assert (notification.failedAt, notification.failureReason) == (None, None)
    assert ledger(deps).deliveries[f"upload-{app_id}-1"]["status"] == "sent"


def test_each_version_is_its_own_delivery(deps: Dependencies) -> None:
    app_id = upload(deps, sendNotification="true").data.id
    upload(deps, apk(code=2), sendNotification="true")
    assert [deliver(deps, app_id, 1), deliver(deps, app_id, 2)] == ["sent", "sent"]
    assert len(mailer(deps).sent) == 2
    assert "version=2.0" in mailer(deps).sent[1].text


def test_a_delivery_another_worker_holds_is_retried_later(deps: Dependencies) -> None:
    app_id = upload(deps, sendNotification="true").data.id
    ledger(deps).claim(f"upload-{app_id}-1", delivery.SEND_LEASE)  # another worker sends

    with pytest.raises(BackendUnavailable):
        deliver(deps, app_id)

    assert mailer(deps).sent == []
    assert version_of(deps, app_id).notification.status is NotificationState.QUEUED


def test_a_lease_of_a_worker_that_died_expires(deps: Dependencies) -> None:
    app_id = upload(deps, sendNotification="true").data.id
    delivery_id = f"upload-{app_id}-1"
    ledger(deps).claim(delivery_id, delivery.SEND_LEASE)
    ledger(deps).deliveries[delivery_id]["leaseUntil"] -= 2 * delivery.SEND_LEASE

    assert deliver(deps, app_id) == "sent"
    assert len(mailer(deps).sent) == 1


def test_a_sendgrid_429_releases_the_delivery_for_a_retry(deps: Dependencies) -> None:
    scripted = ScriptedMailer(BackendUnavailable("SendGrid answered 429, retry later"))
    deps = with_mailer(deps, scripted)
    app_id = upload(deps, sendNotification="true").data.id

    with pytest.raises(BackendUnavailable, match="429"):
        deliver(deps, app_id)
    assert ledger(deps).deliveries[f"upload-{app_id}-1"]["status"] == "retry"
    assert version_of(deps, app_id).notification.status is NotificationState.QUEUED

    assert deliver(deps, app_id) == "sent"
    assert deliver(deps, app_id) == "duplicate"
    assert (len(scripted.attempts), len(scripted.sent)) == (2, 1)
    notification = version_of(deps, app_id).notification
    assert notification.status is NotificationState.SENT and notification.sentAt is not None


def test_a_refused_email_is_recorded_as_failed_and_not_retried(deps: Dependencies) -> None:
    refusal = MailRefused("SendGrid refused the message (400)")
    scripted = ScriptedMailer(refusal)
    deps = with_mailer(deps, scripted)
    app_id = upload(deps, sendNotification="true").data.id

    assert deliver(deps, app_id) == "failed"
    assert deliver(deps, app_id) == "duplicate"

    assert (len(scripted.attempts), scripted.sent) == (1, [])
    notification = version_of(deps, app_id).notification
    assert notification.status is NotificationState.FAILED
    assert notification.failureReason == "SendGrid refused the message (400)"
    assert notification.failedAt is not None and notification.sentAt is None
    assert ledger(deps).deliveries[f"upload-{app_id}-1"]["status"] == "failed"


@pytest.mark.parametrize(("app", "number"), [("no-such-app", 1), (None, 2)])
def test_a_task_for_no_known_version_is_acknowledged(
    deps: Dependencies, app: str | None, number: int
) -> None:
    app_id = upload(deps, sendNotification="true").data.id
    assert deliver(deps, app or app_id, number) == "unknown"
    assert mailer(deps).sent == [] and ledger(deps).deliveries == {}


def test_a_task_for_a_version_without_notification_is_acknowledged(deps: Dependencies) -> None:
    app_id = upload(deps).data.id
    assert deliver(deps, app_id) == "unknown"
    assert mailer(deps).sent == [] and ledger(deps).deliveries == {}


def test_without_a_mailer_the_delivery_is_released(deps: Dependencies) -> None:
    app_id = upload(deps, sendNotification="true").data.id

    with pytest.raises(Misconfigured, match="SENDGRID_API_KEY"):
        deliver(with_mailer(deps, None), app_id)
    assert ledger(deps).deliveries[f"upload-{app_id}-1"]["status"] == "retry"
    assert version_of(deps, app_id).notification.status is NotificationState.QUEUED

    assert deliver(deps, app_id) == "sent"  # once configured
    assert len(mailer(deps).sent) == 1


def test_a_status_that_could_not_be_recorded_is_recorded_on_the_retry(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = upload(deps, sendNotification="true").data.id
    store = deps.applications
    record = store.set_notification
    outages = [BackendUnavailable("Firestore is unavailable, retry later")]

    def flaky(*args: object) -> None:
        if outages:
            raise outages.pop()
        record(*args)

    monkeypatch.setattr(store, "set_notification", flaky)

    with pytest.raises(BackendUnavailable):
        deliver(deps, app_id)  # the email went out; its status could not be written
    deliver(deps, app_id)  # Cloud Tasks retries the 503

    assert len(mailer(deps).sent) == 1
    assert version_of(deps, app_id).notification.status is NotificationState.SENT


# --- the icon ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("media", "extension"), [("png", "png"), ("webp", "webp")])
def test_the_icon_is_stored_beside_the_apk_at_publish(
    deps: Dependencies, media: str, extension: str
) -> None:
    answer = upload(deps, apk_with_icon(media))

    version = version_of(deps, answer.data.id)
    key = version.objectName.rsplit("/", 1)[1].removesuffix(".apk")
    assert version.iconObject == f"icons/{ALICE.id}/{key}.{extension}"
    assert fake_bucket(deps).data(version.iconObject) == icon_bytes(media)
    assert fake_bucket(deps).content_types[version.iconObject] == f"image/{media}"


def test_an_apk_without_icon_stores_none(deps: Dependencies) -> None:
    version = version_of(deps, upload(deps).data.id)
    assert version.iconObject is None
    assert not any(name.startswith("icons/") for name in fake_bucket(deps).objects)


def test_the_icon_is_removed_when_the_publish_fails(deps: Dependencies) -> None:
    upload(deps, apk_with_icon())
    (kept,) = [name for name in fake_bucket(deps).objects if name.startswith("icons/")]

    with pytest.raises(Conflict):
        upload(deps, apk_with_icon(), versionAction="DO_NOTHING")

    assert [name for name in fake_bucket(deps).objects if name.startswith("icons/")] == [kept]
    (removed,) = [name for name in fake_bucket(deps).deleted if name.startswith("icons/")]
    assert removed != kept


def test_the_icon_is_removed_when_the_store_fails(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(deps.applications, "create_app", unavailable)
    with pytest.raises(BackendUnavailable):
        upload(deps, apk_with_icon(), sendNotification="true")

    assert fake_bucket(deps).objects == {}
    assert any(name.startswith("icons/") for name in fake_bucket(deps).deleted)
    assert queue(deps).calls == []


def test_the_email_shows_the_icon_through_a_week_long_signed_url(deps: Dependencies) -> None:
    app_id = upload(deps, apk_with_icon(), sendNotification="true").data.id
    icon = version_of(deps, app_id).iconObject
    fake_bucket(deps).signed_gets.clear()  # the upload's answer signed one too

    assert deliver(deps, app_id) == "sent"

    ((object_name, ttl, _),) = fake_bucket(deps).signed_gets
    assert (object_name, ttl) == (icon, SEVEN_DAYS)
    url = f"https://storage.example.test/{fake_bucket(deps).name}/{icon}?get=1"
    (email,) = mailer(deps).sent
    assert f'src="{url}"' in email.html


def test_without_an_icon_nothing_is_signed(deps: Dependencies) -> None:
    app_id = upload(deps, sendNotification="true").data.id
    assert deliver(deps, app_id) == "sent"
    assert fake_bucket(deps).signed_gets == []
    assert "<img" not in mailer(deps).sent[0].html


def test_a_signing_outage_releases_the_delivery(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = upload(deps, apk_with_icon(), sendNotification="true").data.id

    def unavailable(*args: object) -> str:
        raise BackendUnavailable("IAM signBlob is unavailable, retry later")

    monkeypatch.setattr(fake_bucket(deps), "signed_get_url", unavailable)
    with pytest.raises(BackendUnavailable):
        deliver(deps, app_id)
    assert mailer(deps).sent == []
    assert ledger(deps).deliveries[f"upload-{app_id}-1"]["status"] == "retry"
