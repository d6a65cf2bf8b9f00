"""Applying an app's retention policy: right after an upload (to keep keepLatest exact), and in
the scheduled sweep (maxAgeDays, and keepLatest again for what an upload left undone).

Safe alongside uploads and owners' changes, without locks:
- a version document exists only once its upload has committed (after its file is stored), so
  nothing being uploaded can be chosen, and an upload's own files are never touched here;
- what to delete is chosen from one read of the versions, but each deletion is its own
  transaction that reads the version and its app's remaining versions again and skips it if it
  was pinned since, or is now the newest of its channel (another deletion, or the owner's);
- concurrent uploads only add newer versions, which can only push an older one further past
  keepLatest or make it no longer its channel's newest; the upload being enforced is spared
  explicitly, so a newer concurrent upload never makes it delete itself;
- a deletion already done is skipped (its tombstone), so two runs on the same app delete each
  version once, and a run that stops halfway is finished by the next.
"""

import logging

from apkdrop.applications.deletion import delete_version_by_retention
from apkdrop.applications.models import Application, Version
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.logs import log_fields
from apkdrop.retention.models import RETENTION_ACTOR
from apkdrop.retention.selection import doomed_versions
from apkdrop.webhooks.events import VersionDeleters

log = logging.getLogger(__name__)
# The audit entry's rule of a deletion finished by a later run (the tombstone keeps no rule).
UNFINISHED_RULE = "an earlier run's deletion, finished"


def enforce(
    deps: Dependencies[VersionDeleters],
    app: Application,
    budget: int,
    channel: str | None = None,
    spared: frozenset[int] = frozenset(),
    by_age: bool = True,
) -> int:
    """Deletes at most `budget` of the versions the app's policy deletes (of `channel` only,
    when given; without `by_age`, by keepLatest only), oldest first; how many it deleted."""
    if not app.retention.deletes or budget <= 0:
        return 0
    deleted = finish_unfinished(deps, app, budget)
    budget -= deleted
    versions = deps.applications.versions(app.id)
    if channel is not None:
        versions = [version for version in versions if version.channel == channel]
    doomed = doomed_versions(app.retention, versions, deps.clock(), spared, by_age)
    for version, reason in doomed[:budget]:
        deleted += delete_version_by_retention(deps, app, version.versionNumber, reason.value)
    return deleted


def finish_unfinished(deps: Dependencies[VersionDeleters], app: Application, budget: int) -> int:
    """Finishes the app's retention deletions an earlier run left halfway (its files' deletion
    failed): no one else would, their versions being gone from every list; how many."""
    unfinished = [
        tombstone
        for tombstone in deps.applications.unfinished_deletions(app.id)
        if tombstone.deletedBy == RETENTION_ACTOR
    ]
    for tombstone in unfinished[:budget]:
        delete_version_by_retention(deps, app, tombstone.versionNumber, UNFINISHED_RULE)
    return len(unfinished[:budget])


def after_upload(deps: Dependencies[VersionDeleters], app: Application, uploaded: Version) -> None:
    """keepLatest of the uploaded version's channel, right after the upload commits, never
    deleting that version (age rules are the sweep's). The upload stands whatever happens here:
    a failure is logged and the sweep finishes the job."""
    try:
        enforce(
            deps,
            app,
            deps.settings.retention_max_deletions_per_run,
            uploaded.channel,
            frozenset({uploaded.versionNumber}),
            by_age=False,
        )
    except BackendUnavailable:
        log.warning(
            "retention after upload failed; the sweep applies it",
            extra=log_fields(appId=app.id, version=uploaded.version),
            exc_info=True,
        )
