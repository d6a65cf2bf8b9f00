"""The scheduled sweep: the deletions of apps and versions left halfway, every app whose policy
may delete, each deleted version a management deletion by retention, every build project with a
maxAgeDays, each deleted upload context a DELETE of it by retention, the large uploads nobody
published, and the large uploads' hashes and bundles' conversions that never arrived; bounded
per run, the rest left to the next run."""

import functools
import logging
import random
from collections.abc import Callable

from pydantic import BaseModel

from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.logs import log_fields
from apkdrop.retention.abandoned_uploads import delete_abandoned_uploads
from apkdrop.retention.enforcement import enforce
from apkdrop.retention.left_halfway import finish_left_halfway
from apkdrop.retention.projects import expire_contexts, finish_pending
from apkdrop.retention.stale_work import settle_stale_work
from apkdrop.settings import RetentionSweeperSettings

log = logging.getLogger(__name__)


class SweepReport(BaseModel):
    deleted: int
    """Versions, build-upload contexts and abandoned large uploads this run deleted, and the
    deletions of apps and versions left halfway it finished."""
    staleWork: int
    """Versions' hashes and conversions waited for too long that this run queued again or
    gave up on (at most RETENTION_MAX_DELETIONS_PER_RUN)."""
    finished: bool
    """False when it reached RETENTION_MAX_DELETIONS_PER_RUN: the next run goes on."""


# One app's or project's part of a run: given what is left of the budget, how many it deleted.
Part = tuple[dict[str, str], Callable[[int], int]]


def sweep(deps: Dependencies[RetentionSweeperSettings]) -> SweepReport:
    """Raises BackendUnavailable (a 503: the scheduler retries) when an app, a project, the
    abandoned uploads or the stale work could not be swept, after going on with the others:
    one busy with uploads holds no other back."""
    budget = deps.settings.retention_max_deletions_per_run
    deleted, failed = 0, 0
    try:
        deleted = finish_pending(deps, budget)
    except BackendUnavailable:
        failed += 1
        log.warning("retention sweep could not finish a context deletion left halfway")
    try:
        deleted += finish_left_halfway(deps, budget - deleted)
    except BackendUnavailable:
        failed += 1
        log.warning("retention sweep could not finish an app or version deletion left halfway")
    parts: list[Part] = [
        ({"appId": app.id}, functools.partial(enforce, deps, app))
        for app in deps.applications.apps_with_retention()
    ]
    parts += [
        (
            {"accountId": policy.accountId, "projectName": policy.projectName},
            functools.partial(expire_contexts, deps, policy),
        )
        for policy in deps.builds.projects_with_retention()
    ]
    parts.append(
        ({"collection": "applicationUploads"}, functools.partial(delete_abandoned_uploads, deps))
    )
    # In a random order: when runs keep stopping at the budget, no app waits behind others.
    random.shuffle(parts)
    for fields, part in parts:
        if deleted >= budget:
            break
        try:
            deleted += part(budget - deleted)
        except BackendUnavailable:
            failed += 1
            log.warning(
                "retention sweep of an app, a project or abandoned uploads failed",
                extra=log_fields(**fields),
            )
    stale_work = 0
    try:
        stale_work = settle_stale_work(deps, budget)
    except BackendUnavailable:
        failed += 1
        log.warning("retention sweep could not queue again the work that never arrived")
    if failed:
        raise BackendUnavailable(
            f"{failed} apps, projects, abandoned-upload or stale-work batches could not be swept "
            f"({deleted} deleted)"
        )
    # A run that spent a whole budget may have stopped short inside its last part.
    finished = deleted < budget and stale_work < budget
    return SweepReport(deleted=deleted, staleWork=stale_work, finished=finished)
