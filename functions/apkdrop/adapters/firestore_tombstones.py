"""Firestore: owners' changes to an app and its versions, each one transaction.

Every transaction reads the app document and writes it, so it is serialised with an upload's
optimistic version commit (firestore_applications.append_version), which retries after it.
Tombstones (applications/tombstones.py) replace the documents they stand for.
"""

import datetime
from collections.abc import Callable, Iterable

from google.cloud import firestore

from apkdrop.applications.models import Access, Application, Version
from apkdrop.applications.tombstones import (
    DELETED_AT,
    FINISHED,
    PENDING_SINCE,
    AppTombstone,
    VersionTombstone,
    is_tombstone,
    objects_of,
)
from apkdrop.channels import DEFAULT_CHANNEL

# A transaction that meets contention is retried by the client library this many times.
TRANSACTION_ATTEMPTS = 20
# Version documents tombstoned per commit when an app is deleted (Firestore allows 500 writes).
TOMBSTONES_PER_COMMIT = 400

Snapshot = firestore.DocumentSnapshot


def live_app(snapshot: Snapshot) -> Application | None:
    """The app of a document; None when it does not exist or is a tombstone."""
    document = snapshot.to_dict()
    if document is None or is_tombstone(document):
        return None
    return Application.model_validate(document)


def live_version(snapshot: Snapshot) -> Version | None:
    document = snapshot.to_dict()
    if document is None or is_tombstone(document):
        return None
    return Version.model_validate(document)


def live_versions(snapshots: Iterable[Snapshot]) -> list[Version]:
    """The versions among `snapshots` that are not tombstones, newest first."""
    versions = [version for s in snapshots if (version := live_version(s)) is not None]
    return sorted(versions, key=lambda version: version.versionNumber, reverse=True)


def change_access(
    db: firestore.Client,
    app_ref: firestore.DocumentReference,
    number: int | None,
    change: Callable[[Version], Access] | None,
    app_changes: dict,
) -> tuple[Application, list[Version]] | None:
    @firestore.transactional
    def run(transaction: firestore.Transaction) -> tuple[Application, list[Version]] | None:
        app = live_app(app_ref.get(transaction=transaction))
        if app is None:
            return None
        if change is None:
            transaction.update(app_ref, app_changes)
            return app.model_copy(update=app_changes), []
        versions_ref = app_ref.collection("versions")
        if number is None:
            versions = live_versions(versions_ref.stream(transaction=transaction))
        else:
            found = live_version(versions_ref.document(str(number)).get(transaction=transaction))
            if found is None:
                return None
            versions = [found]
        changed = []
        for version in versions:
            access_type, allowed_users = change(version)
            update = {"accessType": access_type, "allowedUsers": allowed_users}
            transaction.update(versions_ref.document(str(version.versionNumber)), update)
            changed.append(version.model_copy(update=update))
        transaction.update(app_ref, app_changes)
        return app.model_copy(update=app_changes), changed

    return run(db.transaction(max_attempts=TRANSACTION_ATTEMPTS))


def delete_version(
    db: firestore.Client,
    app_ref: firestore.DocumentReference,
    number: int,
    deleted_by: str,
    at: datetime.datetime,
    by_retention: bool = False,
) -> VersionTombstone | None:
    @firestore.transactional
    def run(transaction: firestore.Transaction) -> VersionTombstone | None:
        app = live_app(app_ref.get(transaction=transaction))
        version_ref = app_ref.collection("versions").document(str(number))
        document = version_ref.get(transaction=transaction).to_dict()
        if app is None or document is None:
            return None
        if is_tombstone(document):
            return VersionTombstone.model_validate(document)
        version = Version.model_validate(document)
        # (number, channel) of every remaining version; old documents have no channel field.
        remaining = [
            (fields["versionNumber"], fields.get("channel", DEFAULT_CHANNEL))
            for snapshot in app_ref.collection("versions")
            .select(["versionNumber", "channel", DELETED_AT])
            .stream(transaction=transaction)
            if not is_tombstone(fields := snapshot.to_dict() or {})
        ]
        if by_retention and not retention_may_delete(version, remaining):
            return None
        tombstone = VersionTombstone(
            versionNumber=number,
            deletedAt=at,
            deletedBy=deleted_by,
            pendingObjects=objects_of(version),
            pendingSince=at,
        )
        transaction.set(version_ref, tombstone.model_dump())
        newest = max((n for n, _ in remaining if n != number), default=0)
        transaction.update(
            app_ref,
            {
                "latest_application_version": newest,
                "lastVersionNumber": app.next_version_number - 1,
            },
        )
        return tombstone

    return run(db.transaction(max_attempts=TRANSACTION_ATTEMPTS))


def retention_may_delete(version: Version, remaining: list[tuple[int, str]]) -> bool:
    """Retention never deletes a pinned version, nor the newest of its channel: checked in the
    deletion's transaction, so a pin or another deletion since the policy was applied holds."""
    newer = any(n > version.versionNumber and c == version.channel for n, c in remaining)
    return newer and not version.pinned


def set_pinned(
    db: firestore.Client, app_ref: firestore.DocumentReference, number: int, pinned: bool
) -> tuple[Application, Version] | None:
    @firestore.transactional
    def run(transaction: firestore.Transaction) -> tuple[Application, Version] | None:
        app = live_app(app_ref.get(transaction=transaction))
        version_ref = app_ref.collection("versions").document(str(number))
        version = live_version(version_ref.get(transaction=transaction))
        if app is None or version is None:
            return None
        transaction.update(version_ref, {"pinned": pinned})
        return app, version.model_copy(update={"pinned": pinned})

    return run(db.transaction(max_attempts=TRANSACTION_ATTEMPTS))


def delete_app(
    db: firestore.Client,
    app_ref: firestore.DocumentReference,
    package_pointer: Callable[[Application], firestore.DocumentReference],
    deleted_by: str,
    at: datetime.datetime,
) -> AppTombstone | None:
    @firestore.transactional
    def run(transaction: firestore.Transaction) -> AppTombstone | None:
        document = app_ref.get(transaction=transaction).to_dict()
        if document is None:
            return None
        if is_tombstone(document):
            return AppTombstone.model_validate(document)
        app = Application.model_validate(document)
        pending: list[str] = []
        for snapshot in app_ref.collection("versions").stream(transaction=transaction):
            version = snapshot.to_dict() or {}
            if is_tombstone(version):  # a version deletion that did not finish
                pending += VersionTombstone.model_validate(version).pendingObjects
            else:
                pending += objects_of(Version.model_validate(version))
        pointer = package_pointer(app)
        claim = pointer.get(transaction=transaction)
        if claim.exists and claim.get("appId") == app.id:  # else a newer app holds the package
            transaction.delete(pointer)
        tombstone = AppTombstone(
            id=app.id,
            accountId=app.accountId,
            deletedAt=at,
            deletedBy=deleted_by,
            pendingObjects=pending,
            pendingSince=at if pending else None,
        )
        transaction.set(app_ref, tombstone.model_dump())
        return tombstone

    return run(db.transaction(max_attempts=TRANSACTION_ATTEMPTS))


def finish_app_deletion(db: firestore.Client, app_ref: firestore.DocumentReference) -> None:
    """Tombstones the deleted app's version documents (nothing else writes them any more: every
    writer checks the app first) and clears their tombstones' lists (the app's listed their
    objects too), then clears the app's pendingObjects."""
    app = AppTombstone.model_validate(app_ref.get().to_dict())
    unfinished = [
        (snapshot.reference, document)
        for snapshot in app_ref.collection("versions").stream()
        if not is_tombstone(document := snapshot.to_dict() or {}) or document["pendingObjects"]
    ]
    for start in range(0, len(unfinished), TOMBSTONES_PER_COMMIT):
        batch = db.batch()
        for reference, document in unfinished[start : start + TOMBSTONES_PER_COMMIT]:
            if is_tombstone(document):
                batch.update(reference, FINISHED)
            else:
                tombstone = VersionTombstone(
                    versionNumber=document["versionNumber"],
                    deletedAt=app.deletedAt,
                    deletedBy=app.deletedBy,
                )
                batch.set(reference, tombstone.model_dump())
        batch.commit()
    app_ref.update(FINISHED)


def left_halfway(
    source: firestore.Query | firestore.CollectionReference, pending_before: datetime.datetime
) -> firestore.Query:
    """The tombstones of `source` whose objects are pending since before `pending_before`, the
    oldest first. A single-field index serves it: the automatic one for apps, for versions
    (across apps) a collection-group one (terraform/firestore.tf)."""
    return source.where(filter=firestore.FieldFilter(PENDING_SINCE, "<", pending_before)).order_by(
        PENDING_SINCE
    )
