"""A large upload's SHA-256, computed after the answer by the hash worker (a Cloud Task).

Cloud Storage keeps an object's crc32c and md5 but no SHA-256, and reading a large object again
to hash it would make the uploader wait for a second transfer. So the version is published with
`sha256` None ("computing…"), and the worker hashes the exact generation the version points at
and records it only if the version still points at that generation and has no hash yet: what
is shown is always apkdrop's hash of the stored bytes. A failure raises, and the task is retried.
"""

import logging

from pydantic import BaseModel, PositiveInt

from apkdrop.applications.models import Application, Version
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.settings import HashTaskSettings

log = logging.getLogger(__name__)


class HashTask(BaseModel):
    """One version's object to hash: by name and generation, never "whatever is there now"."""

    appId: str
    versionNumber: PositiveInt
    objectName: str
    generation: PositiveInt

    @property
    def task_id(self) -> str:
        return f"sha256-{self.appId}-{self.versionNumber}"


def hash_task(app: Application, version: Version) -> HashTask:
    if version.objectGeneration is None:
        raise ValueError("a version to hash records its object's generation")
    return HashTask(
        appId=app.id,
        versionNumber=version.versionNumber,
        objectName=version.objectName,
        generation=version.objectGeneration,
    )


def queue_hash(deps: Dependencies[HashTaskSettings], app: Application, version: Version) -> bool:
    """Enqueues the version's hash (a retried enqueue is a no-op); if the queue is down, hashes
    it here instead, so no version waits for a task that does not exist. False if neither
    worked: the version is published, and stays "computing…"."""
    task = hash_task(app, version)
    try:
        deps.hash_queue.schedule(
            task.task_id, str(deps.settings.hash_worker_url), task.model_dump(), deps.clock()
        )
    except BackendUnavailable as exc:
        log.warning("could not queue %s, hashing now: %s", task.task_id, exc.__cause__ or exc)
        try:
            record_hash(deps, task)
        except BackendUnavailable as failure:
            log.error("%s neither queued nor computed: %s", task.task_id, failure)
            return False
    return True


def record_hash(deps: Dependencies, task: HashTask) -> str:
    """Hashes the task's object and records it on its version; returns what happened.

    Raises BackendUnavailable when Cloud Storage or Firestore fail (the task is retried).
    """
    found = deps.applications.get_version(task.appId, task.versionNumber)
    if found is None:
        return "gone"  # deleted since: nothing to show the hash on
    _, version = found
    if (version.objectName, version.objectGeneration) != (task.objectName, task.generation):
        return "replaced"
    if version.sha256 is not None:
        return "known"
    digest = deps.bucket.sha256_of(task.objectName, task.generation)
    recorded = deps.applications.record_sha256(
        task.appId, task.versionNumber, task.objectName, task.generation, digest
    )
    return "recorded" if recorded else "changed"  # deleted, replaced or hashed meanwhile
