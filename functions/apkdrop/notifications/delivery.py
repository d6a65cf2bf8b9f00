"""Queueing an upload's email, and the worker that sends it (or a sign-in link) exactly once."""

import datetime
import logging
from collections.abc import Callable

from apkdrop.apk.insights import Insights
from apkdrop.applications.models import Application, Version
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, Misconfigured
from apkdrop.install_pages import sign_in
from apkdrop.install_pages.access import compared_number, insights_shown
from apkdrop.logs import log_fields
from apkdrop.notifications import render
from apkdrop.notifications.models import (
    EmailTask,
    Notification,
    NotificationState,
    RenderedEmail,
    SignInEmailTask,
    UploadNotificationTask,
)
from apkdrop.notifications.ports import Claim, MailRefused
from apkdrop.settings import EmailTaskSettings, PublicLinkSettings
from apkdrop.ttls import MESSAGE_ICON_URL_TTL

log = logging.getLogger(__name__)

# Long enough for one SendGrid call; a worker that dies mid-send frees the delivery after it.
SEND_LEASE = datetime.timedelta(seconds=60)


def queue_upload_email(
    deps: Dependencies[EmailTaskSettings], app: Application, version: Version
) -> bool:
    """Enqueues the version's email (a retried enqueue is a no-op); False if it could not."""
    task = UploadNotificationTask(appId=app.id, version=version.versionNumber)
    try:
        deps.email_queue.schedule(
            task.delivery_id, str(deps.settings.email_worker_url), task.model_dump(), deps.clock()
        )
    except BackendUnavailable as exc:
        log.warning("could not queue %s: %s", task.delivery_id, exc.__cause__ or exc)
        if version.notification is not None:  # a version to email always carries one
            _record(
                deps,
                task,
                version.notification,
                NotificationState.FAILED,
                "the email could not be queued",
            )
        return False
    return True


def deliver_email(deps: Dependencies[PublicLinkSettings], task: EmailTask) -> str:
    """Sends one task's email once; returns what happened (for the log and the answer).

    Raises BackendUnavailable when SendGrid or Firestore fail in a way a retry may fix, and
    Misconfigured when the worker has no SendGrid key.
    """
    if isinstance(task, SignInEmailTask):
        return _deliver_sign_in(deps, task)
    found = deps.applications.get_version(task.appId, task.version)
    notification = None if found is None else found[1].notification
    if found is None or notification is None:
        log.warning("no notification waits for this task", extra=log_fields(task=task.delivery_id))
        return "unknown"
    app, version = found

    def email() -> RenderedEmail:
        icon_url = None
        if version.iconObject:
            icon_url = deps.bucket.signed_get_url(version.iconObject, MESSAGE_ICON_URL_TTL)
        base_url = deps.settings.public_base_url
        recipients = notification.recipients
        insights = _insights_for(deps, app, version, recipients)
        return render.upload_email(app, version, recipients, base_url, icon_url, insights)

    def record(state: NotificationState, reason: str | None) -> None:
        _record(deps, task, notification, state, reason)

    unrecorded = notification.status is NotificationState.QUEUED
    return _send_once(deps, task.delivery_id, email, record, unrecorded)


def _insights_for(
    deps: Dependencies[object], app: Application, version: Version, recipients: list[str]
) -> Insights | None:
    """The version's insights, if every recipient may open the version they describe."""
    number = compared_number(version)
    found = None if number is None else deps.applications.get_version(app.id, number)
    return insights_shown(app, version, found[1] if found else None, recipients)


def _deliver_sign_in(deps: Dependencies[PublicLinkSettings], task: SignInEmailTask) -> str:
    """Decided here, at send time, so that a request costs the same whoever asks."""
    found = _version_to_open(deps, task)
    if found is None or not sign_in.deserves_link(*found, task.email):
        log.info("no sign-in link for this request", extra=log_fields(delivery=task.delivery_id))
        return "not sent"
    app, version = found

    def email() -> RenderedEmail:
        # Minted by the one worker that claimed the delivery; a retry replaces the token.
        label = None if task.version is None else version.version
        link = sign_in.issue_link(deps, task, label)
        return render.sign_in_email(task.email, app.display_name, link, sign_in.LINK_MINUTES)

    return _send_once(deps, task.delivery_id, email, None)


def _version_to_open(
    deps: Dependencies[object], task: SignInEmailTask
) -> tuple[Application, Version] | None:
    number = task.version
    if number is None and task.channel is not None:
        # The latest of the channel whose page asked, as that page shows it: one indexed read.
        newest, _ = deps.applications.newest_versions(task.appId, 1, task.channel)
        if not newest:
            return None
        number = newest[0].versionNumber
    if number is None:
        app = deps.applications.get_app(task.appId)
        if app is None:
            return None
        number = app.latest_application_version
    return deps.applications.get_version(task.appId, number)


def _send_once(
    deps: Dependencies[object],
    delivery_id: str,
    email: Callable[[], RenderedEmail],
    record: Callable[[NotificationState, str | None], None] | None,
    unrecorded: bool = False,
) -> str:
    """Claims the delivery, sends, and marks it done; a retryable failure frees the claim.

    `record` writes the outcome where users see it; `unrecorded` says it is not written yet.
    """
    fields = log_fields(delivery=delivery_id)
    claim = deps.deliveries.claim(delivery_id, SEND_LEASE)
    if claim is Claim.DONE:
        log.info("duplicate delivery: the email went out already", extra=fields)
        if record and unrecorded:
            status, reason = deps.deliveries.outcome(delivery_id)
            record(NotificationState(status), reason)
        return "duplicate"
    if claim is Claim.BUSY:
        raise BackendUnavailable("another worker is sending this email")
    try:
        if deps.mailer is None:
            raise Misconfigured("email is not configured (SENDGRID_API_KEY is unset)")
        message = email()
        deps.mailer.send(message)
    except (BackendUnavailable, Misconfigured):
        deps.deliveries.release(delivery_id)  # a later attempt may send, once it is fixed
        raise
    except MailRefused as exc:
        _finish(deps, delivery_id, NotificationState.FAILED, str(exc), record)
        log.error("SendGrid refused the email for good: %s", exc, extra=fields)
        return "failed"
    _finish(deps, delivery_id, NotificationState.SENT, None, record)
    log.info("email sent to %d recipient(s)", len(message.to), extra=fields)
    return "sent"


def _finish(
    deps: Dependencies[object],
    delivery_id: str,
    state: NotificationState,
    reason: str | None,
    record: Callable[[NotificationState, str | None], None] | None,
) -> None:
    # Done first: the email went out (or was refused) and must never go out again. If the
    # record then fails, the retry finds the delivery done and records it (see _send_once).
    deps.deliveries.finish(delivery_id, state, reason)
    if record:
        record(state, reason)


def _record(
    deps: Dependencies[object],
    task: UploadNotificationTask,
    notification: Notification,
    state: NotificationState,
    reason: str | None,
) -> None:
    now = deps.clock()
    changes = {"status": state, "failureReason": reason}
    changes["sentAt" if state is NotificationState.SENT else "failedAt"] = now
    updated = notification.model_copy(update=changes)
    deps.applications.set_notification(task.appId, task.version, updated)
