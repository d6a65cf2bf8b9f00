"""Deleting builds and upload contexts.

Nothing is left pointing at a missing file: one commit first turns the build into a DELETED
tombstone listing its file in `pendingObjects`, then the file is deleted (a missing one counts as
deleted), then the list is cleared. A DELETE that finds a tombstone with pending objects finishes
the job, so a retry completes a deletion that failed halfway; one without them answers 404.
A file that arrives after the deletion (its signed URL was still valid) is deleted by the
finalize trigger, or by the expiry task when its event is lost (see settlement.py).

Retention deletes a context the same way, but never one with a build still UPLOADING; see
`delete_context_by_retention`.
"""

from pydantic import JsonValue

from apkdrop.accounts import Caller, KeyScope
from apkdrop.audit import service as audit
from apkdrop.audit.models import AuditAction
from apkdrop.audit.targets import build_target
from apkdrop.builds.models import (
    StoredBuild,
    StoredContext,
    StoredProjectRetention,
    UploadState,
    tombstone,
)
from apkdrop.builds.service import owned_build, owned_context
from apkdrop.dependencies import Dependencies
from apkdrop.errors import NotFound
from apkdrop.retention.models import RETENTION_ACTOR


def _context_target(project_name: str, context_id: int) -> str:
    return f"/api/v1/projects/{project_name}/build-uploads/{context_id}"


def delete_build(
    deps: Dependencies[object], caller: Caller, project_name: str, build_id: int
) -> None:
    owned_build(deps, caller, project_name, build_id)
    if not _delete(deps, build_id):
        raise NotFound(f"Build {build_id} not found")
    audit.record(deps, caller, AuditAction.DELETE, build_target(project_name, build_id))


def delete_context(
    deps: Dependencies[object], caller: Caller, project_name: str, context_id: int
) -> None:
    """Deletes every build of the context, and refuses new ones from then on.

    The context is marked first, so a registration racing this either sees the mark or made
    its build before the builds are listed here (register_build checks the mark again after
    it creates its build).
    """
    context = owned_context(deps, caller, project_name, context_id)
    took_over = False  # a sweep's deletion, still marked: this one finishes and records it

    def tombstone(current: StoredContext) -> dict | None:
        nonlocal took_over
        took_over = current.retentionPending  # as of the attempt that commits
        return _context_tombstone(deps, current)

    deps.builds.update_context(context.id, tombstone)
    builds = deps.builds.builds_of_context(context.id)
    deleted: list[JsonValue] = [build.id for build in builds if _delete(deps, build.id)]
    if took_over:  # the sweep deleted some or all of them, and records nothing itself
        deleted = [build.id for build in builds]
    elif context.dateDeleted is not None and not deleted:
        raise NotFound(f"Build upload context {context_id} not found")
    audit.record(
        deps,
        caller,
        AuditAction.DELETE,
        _context_target(project_name, context_id),
        {"buildIds": deleted},
    )


def delete_context_by_retention(
    deps: Dependencies[object], context: StoredContext, policy: StoredProjectRetention | None
) -> bool:
    """As `delete_context`, by the project's maxAgeDays (`policy`; None when it was removed
    after this deletion began); False when it deleted nothing: a build of the context is still
    being uploaded, or its owner deleted it (before, or meanwhile: that DELETE records it).

    A build still UPLOADING spares its context (until a later sweep finds it settled). One
    registered after the first look is caught by the second, after the mark: either it re-reads
    the context after the mark and is refused (its URL never handed out: register_build), or it
    was made before the mark and is listed here, UPLOADING, and the mark is taken back.
    The mark carries `retentionPending` until every build is deleted, so a sweep that stops
    halfway is finished by the next (contexts_pending_retention).
    """
    if _uploading(deps.builds.builds_of_context(context.id)):
        return False
    marked = deps.builds.update_context(context.id, lambda current: _retention_mark(deps, current))
    if marked is None or not marked.retentionPending:
        return False
    builds = deps.builds.builds_of_context(context.id)
    if _uploading(builds):
        deps.builds.update_context(context.id, _retention_unmark)
        return False
    deleted: list[JsonValue] = [build.id for build in builds if _delete(deps, build.id)]
    if not _finish_retention(deps, context.id):
        return False  # the owner's DELETE took it over, and records it
    caller = Caller(
        id=context.accountId,
        email=policy.ownerEmail if policy else RETENTION_ACTOR,
        keyPrefix=RETENTION_ACTOR,
        scope=KeyScope.ADMIN,
    )
    audit.record(
        deps,
        caller,
        AuditAction.DELETE,
        _context_target(context.projectName, context.id),
        {"buildIds": deleted, "deletedBy": RETENTION_ACTOR, "rule": "maxAgeDays"},
    )
    return True


def _uploading(builds: list[StoredBuild]) -> bool:
    return any(build.uploadState is UploadState.UPLOADING for build in builds)


def _retention_mark(deps: Dependencies[object], current: StoredContext) -> dict | None:
    """Marks a live context; one marked already (a resumed deletion) stays as it is."""
    if current.dateDeleted is not None:
        return None
    return {"dateDeleted": deps.clock(), "retentionPending": True}


def _retention_unmark(current: StoredContext) -> dict | None:
    return {"dateDeleted": None, "retentionPending": False} if current.retentionPending else None


def _finish_retention(deps: Dependencies[object], context_id: int) -> bool:
    """Clears the mark; False when it was cleared already (by the owner's deletion)."""
    was_pending = False

    def finish(current: StoredContext) -> dict | None:
        nonlocal was_pending
        was_pending = current.retentionPending  # as of the attempt that commits
        return {"retentionPending": False} if current.retentionPending else None

    deps.builds.update_context(context_id, finish)
    return was_pending


def _context_tombstone(deps: Dependencies[object], current: StoredContext) -> dict | None:
    if current.retentionPending:
        # Marked by a sweep: the owner's deletion takes it over, so a sweep that backs off
        # (a build uploading) cannot take the mark back; it deletes every build itself.
        return {"retentionPending": False}
    return None if current.dateDeleted is not None else {"dateDeleted": deps.clock()}


def _delete(deps: Dependencies[object], build_id: int) -> bool:
    """Makes the build a tombstone and deletes its file; False when that was done already."""

    def mark(current: StoredBuild) -> dict | None:
        if current.uploadState is UploadState.DELETED:
            return None
        return tombstone(deps.clock(), [current.objectName])

    build = deps.builds.update_build(build_id, mark)
    if build is None or not build.pendingObjects:
        return False
    for object_name in build.pendingObjects:
        deps.bucket.delete_object(object_name)
    deps.builds.update_build(build_id, _clear_pending)
    return True


def _clear_pending(current: StoredBuild) -> dict | None:
    return {"pendingObjects": []} if current.pendingObjects else None
