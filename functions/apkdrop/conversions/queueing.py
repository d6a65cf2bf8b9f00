"""Queueing a bundle version's conversion, once it is published (the application API)."""

import logging

from apkdrop.applications.models import Application, Version
from apkdrop.conversions.models import Conversion, ConversionState, ConversionTask
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.settings import ConversionTaskSettings

log = logging.getLogger(__name__)
NOT_QUEUED = "the conversion could not be queued: upload the bundle again"


def conversion_task(app_id: str, version: Version) -> ConversionTask:
    if version.objectGeneration is None:
        raise ValueError("a version to convert records its object's generation")
    return ConversionTask(
        appId=app_id,
        versionNumber=version.versionNumber,
        generation=version.objectGeneration,
        objectName=version.objectName,
    )


def requeue_conversion(
    deps: Dependencies[ConversionTaskSettings], app_id: str, version: Version
) -> bool:
    """Queues the version's conversion once more, in a task of its own name (Cloud Tasks may
    keep the first one's for days), then restarts its wait; False if it is no longer PENDING."""
    task = conversion_task(app_id, version)
    now = deps.clock()
    url = str(deps.settings.bundle_converter_url)
    deps.conversion_queue.schedule(f"{task.task_id}-requeued", url, task.model_dump(), now)
    return deps.applications.requeue_conversion(app_id, task.versionNumber, task.generation, now)


def queue_conversion(
    deps: Dependencies[ConversionTaskSettings], app: Application, version: Version
) -> bool:
    """Enqueues the PENDING conversion of a bundle version (a retried enqueue is a no-op).
    False if the queue is down: the version then records FAILED, so its page never waits for
    a task that does not exist."""
    task = conversion_task(app.id, version)
    try:
        deps.conversion_queue.schedule(
            task.task_id, str(deps.settings.bundle_converter_url), task.model_dump(), deps.clock()
        )
    except BackendUnavailable as exc:
        log.error("could not queue %s: %s", task.task_id, exc.__cause__ or exc)
        failed = Conversion(state=ConversionState.FAILED, reason=NOT_QUEUED)
        # Best effort: a version left PENDING is what a Firestore outage too leaves.
        try:
            deps.applications.record_conversion(app.id, task.versionNumber, task.generation, failed)
        except BackendUnavailable:
            log.error("%s left PENDING", task.task_id)
        return False
    return True
