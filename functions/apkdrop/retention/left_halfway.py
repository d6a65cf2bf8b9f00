"""The sweep's part for deletions left halfway: an owner's DELETE (or a retention deletion)
that failed after its tombstone's commit (a 503) and was never repeated. Its objects would stay
in the bucket for ever, named only by the tombstone, and a deleted app's versions would stay
live documents (with the work they wait for swept every run). So every tombstone whose objects
are still pending an hour after it was written is finished: its objects, then its list (and a
deleted app's versions, tombstoned), as repeating the DELETE would have done.
"""

import datetime

from apkdrop.applications.deletion import finish_app_left_halfway, finish_version_left_halfway
from apkdrop.dependencies import Dependencies

# A deletion runs within one request (9 minutes at most): one still pending an hour later has
# stopped, and finishing it cannot race the request that wrote it.
LEFT_HALFWAY_AFTER = datetime.timedelta(hours=1)


def finish_left_halfway(deps: Dependencies[object], budget: int) -> int:
    """Finishes at most `budget` deletions left halfway, apps first (each finishes its
    versions' too), the oldest first; how many it finished."""
    if budget <= 0:
        return 0
    pending_before = deps.clock() - LEFT_HALFWAY_AFTER
    apps = deps.applications.apps_deleted_halfway(pending_before, budget)
    for app in apps:
        finish_app_left_halfway(deps, app)
    if len(apps) >= budget:
        return len(apps)
    versions = deps.applications.versions_deleted_halfway(pending_before, budget - len(apps))
    for app_id, version in versions:
        finish_version_left_halfway(deps, app_id, version)
    return len(apps) + len(versions)
