"""Emitting an event: one named Cloud Task per hook that receives it, so a repeated emission
(a retried handler) collapses into the task already queued."""

import datetime
import logging

from pydantic import JsonValue

from apkdrop.applications.models import Application, Version
from apkdrop.applications.queries import application_detail
from apkdrop.builds.models import StoredBuild, UploadState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.ids import derived_opaque_id
from apkdrop.logs import log_fields
from apkdrop.settings import (
    ApplicationApiSettings,
    PublicLinkSettings,
    RetentionSweeperSettings,
    WebhookTaskSettings,
)
from apkdrop.webhooks.models import Envelope, EventType, HookTask

log = logging.getLogger(__name__)
# The functions that delete versions: application-api (owners, keepLatest after an upload) and
# retention-sweeper.
VersionDeleters = ApplicationApiSettings | RetentionSweeperSettings
ADDRESS_FIELDS = {"allowedUsers", "notificationEmails", "notification"}
SETTLED_EVENTS = {
    UploadState.FINISHED: EventType.BUILD_FINISHED,
    UploadState.FAILED: EventType.BUILD_FAILED,
}


def event_id(event: EventType, *subject: object) -> str:
    """The same id for the same event however often it is emitted."""
    return derived_opaque_id(event.value, *subject)  # receivers dedupe on it


def version_created(
    deps: Dependencies[ApplicationApiSettings], app: Application, version: Version
) -> bool:
    return _version_event(deps, EventType.VERSION_CREATED, app, version, version.uploadTime)


def version_deleted(
    deps: Dependencies[VersionDeleters], app: Application, version: Version
) -> bool:
    return _version_event(deps, EventType.VERSION_DELETED, app, version, deps.clock())


def build_settled(deps: Dependencies[WebhookTaskSettings], build: StoredBuild) -> None:
    """build.finished or build.failed, for hooks not narrowed to an app. Raises
    BackendUnavailable when some could not be queued: the settling handler is retried, and
    emits again (the tasks already queued keep their names)."""
    kind = SETTLED_EVENTS.get(build.uploadState)
    if kind is None:
        return
    moment = build.dateSettled or deps.clock()
    data = build.public().model_dump(mode="json")
    event = Envelope(id=event_id(kind, build.id), type=kind, createdAt=moment, data=data)
    if not emit(deps, build.accountId, event, None, None):
        raise BackendUnavailable("the build's webhook events could not be queued")


def version_data(
    deps: Dependencies[PublicLinkSettings], app: Application, version: Version
) -> dict[str, JsonValue]:
    """The app's and the version's fields as `GET /v1/application/{id}` shows them, but for
    the testers' and recipients' addresses: a hook is a third party, and up to 1000 addresses
    would take an event past a task handler's body limit (MAX_JSON_BODY_BYTES)."""
    detail = application_detail(deps, app, [version])
    data = detail.model_dump(mode="json", exclude={"versions"})
    shown = detail.versions[0].model_dump(mode="json", exclude=ADDRESS_FIELDS)
    data["version"] = {**shown, "channel": version.channel}
    return data


def _version_event(
    deps: Dependencies[VersionDeleters],
    kind: EventType,
    app: Application,
    version: Version,
    moment: datetime.datetime,
) -> bool:
    event = Envelope(
        id=event_id(kind, app.id, version.versionNumber),
        type=kind,
        createdAt=moment,
        data=version_data(deps, app, version),
    )
    # A deleted version's icon is deleted with it: only a new one's is shown.
    icon = version.iconObject if kind is EventType.VERSION_CREATED else None
    return emit(deps, app.accountId, event, app.id, version.channel, icon)


def emit(
    deps: Dependencies[WebhookTaskSettings],
    account_id: str,
    event: Envelope,
    app_id: str | None,
    channel: str | None,
    icon_object: str | None = None,
) -> bool:
    """Queues the event for each of the account's hooks that receives it; False if some could
    not be queued (the action it reports stands: the caller warns, or logs)."""
    try:
        hooks = deps.webhooks.hooks_of_account(account_id)
    except BackendUnavailable as exc:
        log.warning("no hooks read for event %s: %s", event.id, exc.__cause__ or exc)
        return False
    queued = True
    for hook in hooks:
        if not hook.receives(event.type, app_id, channel):
            continue
        task = HookTask(hookId=hook.id, event=event, iconObject=icon_object)
        try:
            deps.webhook_queue.schedule(
                task.delivery_id,
                str(deps.settings.webhook_worker_url),
                task.model_dump(mode="json"),
                deps.clock(),
            )
        except BackendUnavailable as exc:
            log.warning(
                "could not queue a webhook delivery: %s",
                exc.__cause__ or exc,
                extra=log_fields(delivery=task.delivery_id),
            )
            queued = False
    return queued
