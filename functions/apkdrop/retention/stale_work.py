"""The sweep's part for what a version waits for after its upload and never got: a large
upload's SHA-256 (hash-worker) and a bundle's universal APK (bundle-converter).

Each queue retries a failed attempt, and its last attempt records the work FAILED
(task_attempts.py). Still, a last attempt killed outright (out of memory, its timeout) records
nothing, and an outage may leave a task never queued. So a version waiting longer than every
attempt of its task takes (HASH_STALE_AFTER_SECONDS, CONVERSION_STALE_AFTER_SECONDS) is queued
once more, in a task of its own name; waiting that long again, the work is recorded FAILED.
Either way no version waits for ever, and nothing records what a worker did not compute.
A version of a deleted app (one whose deletion stopped before its versions became tombstones)
waits for nothing: it is skipped, until the sweep finishes that deletion (left_halfway.py).
"""

import datetime
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from apkdrop.applications.hashing import hash_task, requeue_hash
from apkdrop.applications.models import Awaited, Hashing, Version
from apkdrop.conversions.models import Conversion, ConversionState
from apkdrop.conversions.queueing import conversion_task, requeue_conversion
from apkdrop.dependencies import Dependencies
from apkdrop.logs import log_fields
from apkdrop.settings import RetentionSweeperSettings

log = logging.getLogger(__name__)
NEVER_ANSWERED = "gave up: queued twice, and no attempt answered"
Deps = Dependencies[RetentionSweeperSettings]


@dataclass(frozen=True)
class Waiting:
    """One kind of work a version may wait for, and what the sweep does about it."""

    awaited: Awaited
    stale_after: Callable[[RetentionSweeperSettings], int]
    requeued: Callable[[Version], bool]
    requeue: Callable[[Deps, str, Version], bool]
    give_up: Callable[[Deps, str, Version], bool]


def _give_up_hash(deps: Deps, app_id: str, version: Version) -> bool:
    task = hash_task(app_id, version)
    failed = Hashing(failure=NEVER_ANSWERED, requeued=True)
    return deps.applications.record_hashing(*task.where, failed)


def _give_up_conversion(deps: Deps, app_id: str, version: Version) -> bool:
    task = conversion_task(app_id, version)
    failed = Conversion(state=ConversionState.FAILED, reason=NEVER_ANSWERED)
    return deps.applications.record_conversion(app_id, task.versionNumber, task.generation, failed)


WAITING = (
    Waiting(
        Awaited.HASH,
        lambda settings: settings.hash_stale_after_seconds,
        lambda version: version.hashing is not None and version.hashing.requeued,
        requeue_hash,
        _give_up_hash,
    ),
    Waiting(
        Awaited.CONVERSION,
        lambda settings: settings.conversion_stale_after_seconds,
        lambda version: version.conversion is not None and version.conversion.requeued,
        requeue_conversion,
        _give_up_conversion,
    ),
)


def settle_stale_work(deps: Deps, budget: int) -> int:
    """Queues again, or gives up on, at most `budget` versions' hashes and conversions, the
    longest waiting first; how many it settled."""
    settled = 0
    # One read per app, however many of its versions wait.
    app_is_live = functools.cache(lambda app_id: deps.applications.get_app(app_id) is not None)
    for waiting in WAITING:
        if settled >= budget:
            break
        stale_after = datetime.timedelta(seconds=waiting.stale_after(deps.settings))
        stale_before = deps.clock() - stale_after
        for app_id, version in deps.applications.stale_versions(
            waiting.awaited, stale_before, budget - settled
        ):
            if not app_is_live(app_id):
                continue  # deleted halfway: finishing its deletion tombstones the version
            fields = log_fields(appId=app_id, versionNumber=version.versionNumber)
            if waiting.requeued(version):
                waiting.give_up(deps, app_id, version)
                log.warning("%s: %s", waiting.awaited.value, NEVER_ANSWERED, extra=fields)
            else:
                waiting.requeue(deps, app_id, version)
                log.warning("%s too old: queued again", waiting.awaited.value, extra=fields)
            settled += 1
    return settled
