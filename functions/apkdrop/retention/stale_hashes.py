"""The sweep's part for large uploads' hashes that never arrived.

The hashes queue retries a failed hash, and its last attempt records it FAILED (hashing.py).
Two things still leave a version "computing…" with no task left to compute it: a last attempt
killed outright (out of memory, its timeout), and an upload whose hash could be neither queued
nor computed (an outage). A version waiting longer than HASH_STALE_AFTER_SECONDS, which outlasts
every attempt of a task, is queued once more; waiting that long again, its hash is recorded
FAILED. Either way no version is left "computing…" for ever.
"""

import datetime
import logging

from apkdrop.applications.hashing import hash_task, requeue_hash
from apkdrop.applications.models import Hashing
from apkdrop.dependencies import Dependencies
from apkdrop.logs import log_fields
from apkdrop.settings import RetentionSweeperSettings

log = logging.getLogger(__name__)
NEVER_ANSWERED = "gave up: no hash worker answered, though it was queued twice"


def settle_stale_hashes(deps: Dependencies[RetentionSweeperSettings], budget: int) -> int:
    """Queues again, or gives up on, at most `budget` hashes, the longest waiting first; how
    many it settled."""
    stale_after = datetime.timedelta(seconds=deps.settings.hash_stale_after_seconds)
    stale = deps.applications.stale_hashes(deps.clock() - stale_after, budget)
    for app_id, version in stale:
        task = hash_task(app_id, version)
        if version.hashing is None or not version.hashing.requeued:
            requeue_hash(deps, app_id, version)
            log.warning("SHA-256 queued again", extra=log_fields(task=task.task_id))
            continue
        where = (task.appId, task.versionNumber, task.objectName, task.generation)
        deps.applications.record_hashing(*where, Hashing(failure=NEVER_ANSWERED, requeued=True))
        log.warning("SHA-256 %s", NEVER_ANSWERED, extra=log_fields(task=task.task_id))
    return len(stale)
