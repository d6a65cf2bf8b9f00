"""Owners delete a version or a whole app: nothing is left pointing at a missing file.

First one commit turns the record into a tombstone listing its objects (`pendingObjects`), then
the objects are deleted (a missing one counts as deleted), then the list is cleared. A DELETE
that finds a tombstone still listing objects finishes the job, so a retry after a half-failed
delete completes it; one without them is gone already (404). One never repeated is finished by
the retention sweep (retention/left_halfway.py).

The version.deleted events are emitted right after the tombstone's commit, by the request that
wrote it (the only one that read what was deleted): a request that then fails leaves the
deletion done for every reader, and whoever finishes it has nothing left to tell.
"""

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications.access_changes import version_number
from apkdrop.applications.models import Application, Version
from apkdrop.applications.queries import owned_app
from apkdrop.applications.tombstones import AppTombstone, VersionTombstone
from apkdrop.audit.models import AuditAction
from apkdrop.audit.service import record
from apkdrop.dependencies import Dependencies
from apkdrop.errors import NotFound
from apkdrop.links import application_path, version_path
from apkdrop.retention.models import RETENTION_ACTOR
from apkdrop.settings import ApplicationApiSettings
from apkdrop.webhooks import events


def delete_version(
    deps: Dependencies[ApplicationApiSettings], caller: Caller, app_id: str, version: str
) -> None:
    """The app's latest pointer (magicLink) moves to the newest remaining version; numbers of
    the others never change, and the deleted one is never given again."""
    app = owned_app(deps, caller, app_id)
    number = version_number(app_id, version)
    store = deps.applications
    found = store.get_version(app.id, number)  # what its version.deleted event shows
    tombstone = store.delete_version(app.id, number, caller.email, deps.clock())
    if tombstone is None or not tombstone.pendingObjects:
        raise NotFound(f"Application {app_id} has no version {version}")
    if found is not None:  # None: a retry finishing an earlier deletion, which emitted it
        events.version_deleted(deps, *found)
    _delete_objects(deps, tombstone.pendingObjects)
    store.finish_version_deletion(app.id, number)
    record(deps, caller, AuditAction.DELETE, version_path(app.id, number))


def delete_application(
    deps: Dependencies[ApplicationApiSettings], caller: Caller, app_id: str
) -> None:
    """Every version's files, then the app: its links answer 410, and its package is released
    so a later upload of it creates a new app. `app_id` is one `checked_app_id` let through."""
    store = deps.applications
    app = store.get_app(app_id)
    remaining: list[tuple[Application, Version]] = []  # a retry's: the first emitted them
    if app is None:
        tombstone = store.deleted_app(app_id)
        if tombstone is not None and not tombstone.pendingObjects:
            tombstone = None  # deleted and done
    elif app.accountId == caller.id:
        remaining = [(app, version) for version in store.versions(app.id)]  # their events
        tombstone = store.delete_app(app.id, caller.email, deps.clock())
    else:
        tombstone = None
    if tombstone is None or tombstone.accountId != caller.id:
        raise NotFound(f"Application {app_id} not found")
    for deleted in remaining:
        events.version_deleted(deps, *deleted)
    _delete_objects(deps, tombstone.pendingObjects)
    store.finish_app_deletion(tombstone.id)
    record(deps, caller, AuditAction.DELETE, application_path(tombstone.id))


def delete_version_by_retention(
    deps: Dependencies[events.VersionDeleters], app: Application, number: int, rule: str
) -> bool:
    """As `delete_version`, by the retention rule named `rule`; False when the deletion's
    transaction found the version pinned, its channel's newest, or deleted already."""
    store = deps.applications
    found = store.get_version(app.id, number)  # what its version.deleted event shows
    tombstone = store.delete_version(
        app.id, number, RETENTION_ACTOR, deps.clock(), by_retention=True
    )
    if tombstone is None or not tombstone.pendingObjects:
        return False
    if found is not None:
        events.version_deleted(deps, *found)
    _delete_objects(deps, tombstone.pendingObjects)
    store.finish_version_deletion(app.id, number)
    record(
        deps,
        retention_caller(app),
        AuditAction.DELETE,
        version_path(app.id, number),
        {"deletedBy": RETENTION_ACTOR, "rule": rule},
    )
    return True


def finish_version_left_halfway(
    deps: Dependencies[object], app_id: str, tombstone: VersionTombstone
) -> None:
    """Deletes what the tombstone of a version deletion left halfway still lists, then clears
    the list; recorded as retention's doing when the app is live (else the app's deletion,
    which lists these objects too, is what the audit trail shows)."""
    _delete_objects(deps, tombstone.pendingObjects)
    deps.applications.finish_version_deletion(app_id, tombstone.versionNumber)
    app = deps.applications.get_app(app_id)
    if app is not None:
        target = version_path(app_id, tombstone.versionNumber)
        record(deps, retention_caller(app), AuditAction.DELETE, target, _finished(tombstone))


def finish_app_left_halfway(deps: Dependencies[object], tombstone: AppTombstone) -> None:
    """As `delete_application` finishing the job, for a deletion nobody repeated."""
    _delete_objects(deps, tombstone.pendingObjects)
    deps.applications.finish_app_deletion(tombstone.id)
    finisher = _retention_actor(tombstone.accountId, tombstone.deletedBy)
    record(deps, finisher, AuditAction.DELETE, application_path(tombstone.id), _finished(tombstone))


def retention_caller(app: Application) -> Caller:
    """The audit trail's actor for what retention does in the app's account: no key acted."""
    return _retention_actor(app.accountId, app.ownerEmail or RETENTION_ACTOR)


def _retention_actor(account_id: str, email: str) -> Caller:
    return Caller(id=account_id, email=email, keyPrefix=RETENTION_ACTOR, scope=KeyScope.ADMIN)


def _finished(tombstone: VersionTombstone | AppTombstone) -> dict[str, str]:
    return {"deletedBy": tombstone.deletedBy, "finishedBy": RETENTION_ACTOR}


def _delete_objects(deps: Dependencies[object], names: list[str]) -> None:
    for name in names:
        deps.bucket.delete_object(name)
