"""Closing a build: from the storage-finalize event, or from the expiry task when none came."""

import contextlib
import datetime
import logging

from pydantic import AwareDatetime, BaseModel

from apkdrop.apk_inspection import ApkError, inspect_apk
from apkdrop.builds.insights import build_insights
from apkdrop.builds.models import StoredBuild, UploadState
from apkdrop.builds.pairing import record_pairing
from apkdrop.builds.service import BUILD_ID_METADATA
from apkdrop.dependencies import Dependencies
from apkdrop.errors import ObjectGone
from apkdrop.ids import parse_id
from apkdrop.logs import log_fields
from apkdrop.settings import BuildFinalizedSettings, BuildUploadExpirySettings
from apkdrop.shared_models import StorageObject
from apkdrop.webhooks import events

log = logging.getLogger(__name__)

EXPIRED_REASON = "upload URL expired"
# Both functions that settle builds: they inspect and check the APK within the upload limit.
SettlingSettings = BuildFinalizedSettings | BuildUploadExpirySettings


class FinalizedEvent(BaseModel):
    """A `google.cloud.storage.object.v1.finalized` CloudEvent."""

    id: str
    time: AwareDatetime
    object: StorageObject


def handle_finalized(
    deps: Dependencies[BuildFinalizedSettings], event: FinalizedEvent
) -> StoredBuild | None:
    """Settles the build an uploaded object belongs to; anything else is acknowledged."""
    fields = log_fields(eventId=event.id, object=event.object.name)
    age = deps.clock() - event.time
    if age > datetime.timedelta(seconds=deps.settings.max_event_age_seconds):
        # Retrying an old event helps nobody; the build's expiry task reconciles it.
        log.warning("dropping a stale storage event (%s old)", age, extra=fields)
        return None
    build_id = parse_id(event.object.metadata.get(BUILD_ID_METADATA, ""))
    if event.object.bucket != deps.bucket.name or build_id is None:
        log.info("ignoring an object that is not a build upload", extra=fields)
        return None
    try:
        return settle_upload(deps, build_id, event.object)
    except ObjectGone:
        log.warning("object is gone; the expiry task will settle the build", extra=fields)
        return None


def settle_upload(
    deps: Dependencies[SettlingSettings], build_id: int, uploaded: StorageObject
) -> StoredBuild | None:
    """Inspects the uploaded APK and records FINISHED or FAILED, once per build."""
    build = deps.builds.get_build(build_id)
    if build is None or build.objectName != uploaded.name:
        log.warning(
            "no build %s waits for this object", build_id, extra=log_fields(object=uploaded.name)
        )
        return None
    if build.uploadState is UploadState.DELETED:
        _discard(deps, build, uploaded.name)
        return build
    if build.settled_by_object:
        record_pairing(deps, build)  # a retry after the pairing's write failed
        events.build_settled(deps, build)  # or after its events could not be queued
        return build
    outcome = _inspection_outcome(deps, build, uploaded)
    if outcome["uploadState"] == UploadState.FAILED.value:
        # Marked before the build is recorded, so a failure here is retried with the event;
        # the bucket's lifecycle deletes marked files after FAILED_UPLOAD_RETENTION days.
        deps.bucket.mark_failed(uploaded.name, uploaded.generation)

    def record(current: StoredBuild) -> dict | None:
        # Deleted while it was inspected: the deletion, which came after this object, deleted it.
        if current.settled_by_object or current.uploadState is UploadState.DELETED:
            return None
        return outcome

    settled = deps.builds.update_build(build_id, record)
    log.info(
        "build %s is %s",
        build_id,
        settled.uploadState if settled else "gone",
        extra=log_fields(buildId=build_id, failureReason=outcome.get("failureReason")),
    )
    if settled is not None:
        record_pairing(deps, settled)
        events.build_settled(deps, settled)
    return settled


def expire_upload(deps: Dependencies[SettlingSettings], build_id: int) -> StoredBuild | None:
    """Fails a build whose upload never arrived; settles it if the object did arrive.

    A DELETED build stays as it is; a file that arrived for it after the deletion, whose event
    was lost, is deleted (no upload can come later: its URL has expired).
    """
    build = deps.builds.get_build(build_id)
    if build is not None and build.uploadState is UploadState.DELETED:
        _discard(deps, build, build.objectName)
        return build
    if build is None:
        return None
    if build.uploadState is not UploadState.UPLOADING:
        events.build_settled(deps, build)  # again, if a failure kept them from being queued
        return build
    uploaded = deps.bucket.find_object(build.objectName)
    if uploaded is not None:
        with contextlib.suppress(ObjectGone):  # deleted since: it did not arrive after all
            return settle_upload(deps, build_id, uploaded)

    def fail(current: StoredBuild) -> dict | None:
        if current.uploadState is not UploadState.UPLOADING:
            return None
        return {
            "uploadState": UploadState.FAILED.value,
            "failureReason": EXPIRED_REASON,
            "dateSettled": deps.clock(),
        }

    failed = deps.builds.update_build(build_id, fail)
    if failed is not None:
        events.build_settled(deps, failed)
    return failed


def _discard(deps: Dependencies[object], build: StoredBuild, object_name: str) -> None:
    """A deleted build's file (arrived through a URL still valid after the deletion) goes too."""
    log.info("deleting a file of deleted build %s", build.id, extra=log_fields(object=object_name))
    deps.bucket.delete_object(object_name)


def _inspection_outcome(
    deps: Dependencies[SettlingSettings], build: StoredBuild, uploaded: StorageObject
) -> dict:
    recorded = {
        "fileSize": uploaded.size,
        "md5Hash": uploaded.md5Hash,
        "crc32c": uploaded.crc32c,
        "objectGeneration": uploaded.generation,
        "dateSettled": deps.clock(),
    }
    limit = deps.settings.max_upload_bytes
    if uploaded.size > limit:
        return _failed(recorded, f"file is larger than the limit of {limit} bytes")
    try:
        with deps.bucket.open_object(uploaded) as reader:
            inspection = inspect_apk(reader, min_target_sdk=deps.settings.play_min_target_sdk)
    except ApkError as exc:
        return _failed(recorded, exc.reason)
    insights = build_insights(deps, build, inspection, uploaded.size)
    return {
        **recorded,
        "uploadState": UploadState.FINISHED.value,
        "apkInfo": inspection.info.model_dump(),
        "componentSizes": inspection.components.model_dump(),
        "checks": [check.model_dump() for check in inspection.checks],
        "insights": insights.model_dump() if insights else None,
        "failureReason": None,
    }


def _failed(recorded: dict, reason: str) -> dict:
    return {**recorded, "uploadState": UploadState.FAILED.value, "failureReason": reason}
