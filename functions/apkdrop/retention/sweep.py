"""The scheduled sweep: every app whose policy may delete, each deleted version a
management deletion by retention; bounded per run, the rest left to the next run."""

import logging
import random

from pydantic import BaseModel

from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.logs import log_fields
from apkdrop.retention.enforcement import enforce
from apkdrop.webhooks.events import VersionDeleters

log = logging.getLogger(__name__)


class SweepReport(BaseModel):
    deleted: int
    """Versions this run deleted."""
    finished: bool
    """False when it stopped at RETENTION_MAX_DELETIONS_PER_RUN: the next run goes on."""


def sweep(deps: Dependencies[VersionDeleters]) -> SweepReport:
    """Raises BackendUnavailable (a 503: the scheduler retries) when an app could not be
    swept, after going on with the others: one app busy with uploads holds no other back."""
    budget = deps.settings.retention_max_deletions_per_run
    apps = deps.applications.apps_with_retention()
    # In a random order: when runs keep stopping at the budget, no app waits behind others.
    random.shuffle(apps)
    deleted, failed = 0, 0
    for app in apps:
        if deleted >= budget:
            return SweepReport(deleted=deleted, finished=False)
        try:
            deleted += enforce(deps, app, budget - deleted)
        except BackendUnavailable:
            failed += 1
            log.warning("retention sweep of an app failed", extra=log_fields(appId=app.id))
    if failed:
        raise BackendUnavailable(f"{failed} apps could not be swept ({deleted} versions deleted)")
    return SweepReport(deleted=deleted, finished=True)
