"""A large upload's SHA-256, computed after the answer by the hash worker (a Cloud Task).

Cloud Storage keeps an object's crc32c and md5 but no SHA-256, and reading a large object again
to hash it would make the uploader wait for a second transfer. So the version is published with
`sha256` None ("computing…"), and the worker hashes the exact generation the version points at
and records it only if the version still points at that generation and has no hash yet: what
is shown is always apkdrop's hash of the stored bytes. A failure raises, and the task is retried
but on the hashes queue's last attempt (HASH_MAX_ATTEMPTS, task_attempts.py), which records the
hash FAILED ("could not be computed") for good; it never records a hash it did not compute.
The retention sweep queues once more a hash whose task went without an answer, then gives up
on it (retention/stale_work.py).
"""

import logging

from pydantic import BaseModel, PositiveInt

from apkdrop.applications.models import Application, Hashing, HashState, Version
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.logs import log_fields
from apkdrop.settings import HashRetrySettings, HashTaskSettings
from apkdrop.task_attempts import run_attempt

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

    @property
    def where(self) -> tuple[str, int, str, int]:
        """The version and the object generation its store records require."""
        return (self.appId, self.versionNumber, self.objectName, self.generation)


def hash_task(app_id: str, version: Version) -> HashTask:
    if version.objectGeneration is None:
        raise ValueError("a version to hash records its object's generation")
    return HashTask(
        appId=app_id,
        versionNumber=version.versionNumber,
        objectName=version.objectName,
        generation=version.objectGeneration,
    )


def queue_hash(deps: Dependencies[HashTaskSettings], app: Application, version: Version) -> bool:
    """Enqueues the version's hash (a retried enqueue is a no-op); if the queue is down, hashes
    it here instead, so no version waits for a task that does not exist. False if neither
    worked: the version is published, and stays "computing…"."""
    task = hash_task(app.id, version)
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


def requeue_hash(deps: Dependencies[HashTaskSettings], app_id: str, version: Version) -> bool:
    """Queues the version's hash once more, in a task of its own name (Cloud Tasks may keep
    the first one's for days), then restarts its wait; False if it is no longer waited for."""
    task = hash_task(app_id, version)
    now = deps.clock()
    url = str(deps.settings.hash_worker_url)
    deps.hash_queue.schedule(f"{task.task_id}-requeued", url, task.model_dump(), now)
    return deps.applications.requeue_hashing(*task.where, now)


def record_hash(deps: Dependencies, task: HashTask) -> str:
    """Hashes the task's object and records it on its version; returns what happened.

    Raises BackendUnavailable when Cloud Storage or Firestore fail (the task is retried).
    """
    version = _waiting_version(deps, task)
    return version if isinstance(version, str) else _hash(deps, task)


def hash_on_attempt(deps: Dependencies[HashRetrySettings], task: HashTask, attempt: int) -> str:
    """record_hash on the hashes queue's `attempt` (1 the first): raises for a retry, but on
    its last attempt, which records the hash FAILED instead."""
    version = _waiting_version(deps, task)
    if isinstance(version, str):
        return version

    # The store keeps the sweep's `requeued` (this read may predate it).
    def mark(number: int | None) -> bool:
        return deps.applications.record_hashing(*task.where, Hashing(unfinishedAttempt=number))

    def give_up(reason: str) -> str:
        if not deps.applications.record_hashing(*task.where, Hashing(failure=reason)):
            return "changed"
        log.warning("SHA-256 %s", reason, extra=log_fields(task=task.task_id))
        return "gave up"

    marked = version.hashing.unfinishedAttempt if version.hashing else None
    return run_attempt(
        attempt,
        deps.settings.hash_max_attempts,
        marked,
        mark,
        lambda: _hash(deps, task),
        give_up,
    )


def _waiting_version(deps: Dependencies, task: HashTask) -> Version | str:
    """The task's version if it still waits for this hash, else what happened to it."""
    found = deps.applications.get_version(task.appId, task.versionNumber)
    if found is None:
        return "gone"  # deleted since: nothing to show the hash on
    _, version = found
    if (version.objectName, version.objectGeneration) != (task.objectName, task.generation):
        return "replaced"
    if version.sha256State is not HashState.COMPUTING:
        return "known"  # computed, or given up on: never again
    return version


def _hash(deps: Dependencies, task: HashTask) -> str:
    digest = deps.bucket.sha256_of(task.objectName, task.generation)
    recorded = deps.applications.record_sha256(
        task.appId, task.versionNumber, task.objectName, task.generation, digest
    )
    return "recorded" if recorded else "changed"  # deleted, replaced or hashed meanwhile
