"""The sweep's part for the build-upload API: each project's upload contexts older than its
maxAgeDays, deleted with their builds' files (builds/deletion.py); each context counts as one
deletion of the run's budget, whatever number of builds it holds."""

import datetime

from apkdrop.builds.deletion import delete_context_by_retention
from apkdrop.builds.models import StoredProjectRetention
from apkdrop.dependencies import Dependencies


def expire_contexts(deps: Dependencies[object], policy: StoredProjectRetention, budget: int) -> int:
    """Deletes at most `budget` of the project's contexts older than its policy, oldest first;
    how many it deleted."""
    before = deps.clock() - datetime.timedelta(days=policy.maxAgeDays)
    contexts = deps.builds.live_contexts_before(
        policy.accountId, policy.projectName, before, budget
    )
    return sum(delete_context_by_retention(deps, context, policy) for context in contexts)


def finish_pending(deps: Dependencies[object], budget: int) -> int:
    """Finishes at most `budget` context deletions an earlier run left halfway."""
    finished = 0
    for context in deps.builds.contexts_pending_retention(budget):
        policy = deps.builds.project_retention(context.accountId, context.projectName)
        finished += delete_context_by_retention(deps, context, policy)
    return finished
