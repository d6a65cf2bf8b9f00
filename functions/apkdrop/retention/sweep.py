"""The scheduled sweep: every app whose policy may delete, each deleted version a
management deletion by retention; bounded per run, the rest left to the next run."""

import random

from pydantic import BaseModel

from apkdrop.dependencies import Dependencies
from apkdrop.retention.enforcement import enforce
from apkdrop.settings import RetentionRunSettings


class SweepReport(BaseModel):
    deleted: int
    """Versions this run deleted."""
    finished: bool
    """False when it stopped at RETENTION_MAX_DELETIONS_PER_RUN: the next run goes on."""


def sweep(deps: Dependencies[RetentionRunSettings]) -> SweepReport:
    budget = deps.settings.retention_max_deletions_per_run
    apps = deps.applications.apps_with_retention()
    # In a random order: when runs keep stopping at the budget, no app waits behind others.
    random.shuffle(apps)
    deleted = 0
    for app in apps:
        if deleted >= budget:
            return SweepReport(deleted=deleted, finished=False)
        deleted += enforce(deps, app, budget - deleted)
    return SweepReport(deleted=deleted, finished=True)
