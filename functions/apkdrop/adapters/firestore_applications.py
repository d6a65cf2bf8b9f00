"""Firestore: applications, their numbered versions, large-upload records, upload
idempotency keys, rate-limit windows."""

import datetime
import hashlib
import random
import time
from collections.abc import Callable
from typing import TypeVar

from google.api_core import exceptions as api_exceptions
from google.cloud import firestore

from apkdrop.adapters import firestore_tombstones as tombstones
from apkdrop.adapters.errors import TRANSIENT, backend_call
from apkdrop.adapters.firestore import TRANSACTION_ATTEMPTS
from apkdrop.adapters.firestore_paging import newest_first
from apkdrop.applications.idempotency import KeyedVersion, KeyUsed, UploadKey
from apkdrop.applications.models import (
    CHANNEL_SUMMARY_VERSIONS,
    Access,
    Application,
    Awaited,
    Hashing,
    HashState,
    Version,
)
from apkdrop.applications.object_names import large_upload_files
from apkdrop.applications.tombstones import (
    DELETED_DURING_UPLOAD,
    FINISHED,
    AppTombstone,
    VersionTombstone,
    is_tombstone,
)
from apkdrop.channels import DEFAULT_CHANNEL
from apkdrop.conversions.models import Conversion, ConversionState
from apkdrop.errors import BackendUnavailable, CommitOutcomeUnknown, Conflict
from apkdrop.notifications.models import Notification
from apkdrop.paging import TimeCursor
from apkdrop.retention.models import RETENTION_DELETES

# Versions are numbered optimistically: read the app, then create version N+1 and update the app
# in one atomic commit that fails if the app changed meanwhile. Contention only costs a retry.
VERSION_COMMIT_ATTEMPTS = 200
# How a version commit fails when the app changed, or version N was taken, since it was read.
LOST_TO_A_CONCURRENT_COMMIT = (
    api_exceptions.FailedPrecondition,
    api_exceptions.AlreadyExists,
    api_exceptions.Aborted,
)
MAX_BACKOFF_SECONDS = 0.25
LARGE_UPLOADS = "applicationUploads"
Requeuable = TypeVar("Requeuable", Hashing, Conversion)


def version_ref(db: firestore.Client, app_id: str, number: int) -> firestore.DocumentReference:
    """`applications/{app_id}/versions/{number}`: where a version's document lives."""
    return (
        db.collection("applications").document(app_id).collection("versions").document(str(number))
    )


def newest_in_channel(db: firestore.Client, app_id: str, channel: str) -> firestore.Query:
    """The app's newest version document of `channel` (tombstones have no channel)."""
    return newest_versions_query(db, app_id, channel, None).limit(1)


def newest_versions_query(
    db: firestore.Client, app_id: str, channel: str | None, below: int | None
) -> firestore.Query:
    """The app's version documents by number, newest first, below `below`, of `channel`; the
    automatic single-field index serves it without a channel, versions_by_channel with one."""
    query: firestore.Query | firestore.CollectionReference = (
        db.collection("applications").document(app_id).collection("versions")
    )
    if channel is not None:
        query = query.where(filter=firestore.FieldFilter("channel", "==", channel))
    if below is not None:
        query = query.where(filter=firestore.FieldFilter("versionNumber", "<", below))
    return query.order_by("versionNumber", direction=firestore.Query.DESCENDING)


def keeping_requeued(new: Requeuable, stored: Requeuable | None) -> Requeuable:
    """`new`, still requeued if `stored` is: an attempt's mark, from a read before the sweep's
    requeue committed, must not clear it (the sweep would then queue the work a third time)."""
    if stored is None or not stored.requeued:
        return new
    return new.model_copy(update={"requeued": True})


def claimed_since(record: dict, claimed_before: datetime.datetime) -> bool:
    """Claimed at or after `claimed_before` (a claim without its time counts as old)."""
    claimed_at = record.get("claimedAt")
    return bool(record.get("claimed")) and claimed_at is not None and claimed_at >= claimed_before


def stale_query(
    db: firestore.Client, awaited: Awaited, waiting_before: datetime.datetime
) -> firestore.Query:
    # Across apps: a collection-group index on each Awaited field (terraform/firestore.tf).
    return (
        db.collection_group("versions")
        .where(filter=firestore.FieldFilter(awaited.value, "<", waiting_before))
        .order_by(awaited.value)
    )


def abandoned_uploads_query(db: firestore.Client, expired_before: datetime.datetime):
    """Large uploads whose URL expired before `expired_before`, oldest first, claimed or not
    (a finalize killed after its claim never releases one); a single-field index serves it."""
    return (
        db.collection(LARGE_UPLOADS)
        .where(filter=firestore.FieldFilter("urlExpiresAt", "<", expired_before))
        .order_by("urlExpiresAt")
    )


class IdempotencyKeyRecords:
    """`accounts/{accountId}/idempotencyKeys/{sha256 of the key}`, which ApplicationStore
    writes in its version commits. Hashed: a key may hold any printable character, a document
    id not ("/", "..", "__x__"). A TTL policy on expireAt deletes each (terraform/firestore.tf)."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def reference(self, account_id: str, key: str) -> firestore.DocumentReference:
        keys = self._db.collection("accounts").document(account_id).collection("idempotencyKeys")
        return keys.document(hashlib.sha256(key.encode()).hexdigest())

    @staticmethod
    def document(key: UploadKey, keyed: KeyedVersion) -> dict:
        return {**keyed.model_dump(), "expireAt": key.expireAt}


class ApplicationStore:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._keys = IdempotencyKeyRecords(client)

    @backend_call("Firestore")
    def get_app(self, app_id: str) -> Application | None:
        """None for a deleted app too."""
        return tombstones.live_app(self._apps.document(app_id).get())

    @backend_call("Firestore")
    def latest_app_for_package(self, account_id: str, package: str) -> Application | None:
        """The most recently created app of `package` in the account."""
        pointer = self._package_pointer(account_id, package).get()
        return self.get_app(pointer.get("appId")) if pointer.exists else None

    @backend_call("Firestore")
    def create_app(
        self, app: Application, first: Version, claim_package: bool, key: UploadKey | None = None
    ) -> bool:
        """Creates the app with its version 1 (and `key`'s record) in one commit.

        With `claim_package`, only if no app of the package exists yet (False when another
        request created one first); otherwise the new app becomes the package's latest. True
        too when the commit was applied although it answered with an error (so the same create
        sent again finds its own documents and is done). KeyUsed when the key's record was
        created first by another commit."""
        batch = self._db.batch()
        batch.create(self._apps.document(app.id), app.model_dump())
        batch.create(self._version_ref(app.id, 1), first.model_dump())
        pointer = self._package_pointer(app.accountId, app.packageName)
        if claim_package:
            batch.create(pointer, {"appId": app.id})
        else:
            batch.set(pointer, {"appId": app.id})
        if key is not None:
            keyed = key.for_version(app.id, 1)
            batch.create(
                self._keys.reference(key.accountId, key.key), self._keys.document(key, keyed)
            )
        try:
            batch.commit()
        except TRANSIENT as exc:
            # The app's id is new, so a version 1 of it with this upload's file is this commit's.
            if self._stored_as(app.id, 1, first):
                return True
            if isinstance(exc, api_exceptions.AlreadyExists):  # not applied
                self._refuse_used(key)  # the record, not the package, may be what clashed
                if claim_package:
                    return False
                raise  # another create's documents in the way: an id minted twice
            # Not read back after a timeout or an outage: it may still be applied after the read.
            raise CommitOutcomeUnknown("Firestore is unavailable, retry later") from exc
        return True

    @backend_call("Firestore")
    def append_version(
        self,
        app_id: str,
        channel: str,
        make_version: Callable[[Version | None, int], Version],
        app_changes: dict,
        key: UploadKey | None = None,
    ) -> tuple[Application, Version]:
        """Adds version N+1, made from the channel's newest version (else the app's latest).

        That version is read after the app, and the commit fails if the app changed meanwhile
        (every upload and deletion writes it), so it is the one the new version follows. A
        commit applied although it answered with an error is the new version all the same.
        `key`'s record is created in the same commit: a concurrent commit of it makes this one
        fail, and the next attempt raises KeyUsed.
        """
        for attempt in range(VERSION_COMMIT_ATTEMPTS):
            self._refuse_used(key)
            snapshot = self._apps.document(app_id).get()
            app = tombstones.live_app(snapshot)
            if app is None:
                raise Conflict(DELETED_DURING_UPLOAD)
            number = app.next_version_number
            version = make_version(self._previous(app, channel), number)
            changes = {
                **app_changes,
                "latest_application_version": number,
                "lastVersionNumber": number,
                **app.channel_change(channel, self._listed_before_channels(app)),
            }
            batch = self._db.batch()
            batch.create(self._version_ref(app_id, number), version.model_dump())
            batch.update(
                snapshot.reference,
                changes,
                option=self._db.write_option(last_update_time=snapshot.update_time),
            )
            if key is not None:
                keyed = key.for_version(app_id, number)
                reference = self._keys.reference(key.accountId, key.key)
                batch.create(reference, self._keys.document(key, keyed))
            try:
                batch.commit()
            except TRANSIENT as exc:
                if not self._stored_as(app_id, number, version):
                    if not isinstance(exc, LOST_TO_A_CONCURRENT_COMMIT):
                        # A timeout or an outage: it may still be applied after the read.
                        raise CommitOutcomeUnknown("Firestore is unavailable, retry later") from exc
                    time.sleep(random.uniform(0, min(MAX_BACKOFF_SECONDS, 0.005 * 2**attempt)))
                    continue
            return app.model_copy(update=changes), version
        raise BackendUnavailable("too many concurrent uploads of this application, retry later")

    @backend_call("Firestore")
    def keyed_version(self, account_id: str, key: str) -> KeyedVersion | None:
        return self._keyed_version(account_id, key)

    def _keyed_version(self, account_id: str, key: str) -> KeyedVersion | None:
        record = self._keys.reference(account_id, key).get().to_dict()
        return None if record is None else KeyedVersion.model_validate(record)

    def _refuse_used(self, key: UploadKey | None) -> None:
        """KeyUsed if `key`'s record exists (committed by another upload)."""
        used = None if key is None else self._keyed_version(key.accountId, key.key)
        if used is not None:
            raise KeyUsed(used)

    def _stored_as(self, app_id: str, number: int, version: Version) -> bool:
        """After a commit's error: whether it stored `version` as `number` all the same (the
        library resends a commit whose answer was lost, and the second one fails on the first
        one's writes; any error may follow an applied commit). Its file is the upload's own,
        which no other upload names. CommitOutcomeUnknown if that cannot be read."""
        try:
            stored = self._version_ref(app_id, number).get().to_dict() or {}
        except TRANSIENT as exc:
            raise CommitOutcomeUnknown("Firestore is unavailable, retry later") from exc
        return stored.get("objectName") == version.objectName

    @backend_call("Firestore")
    def get_version(self, app_id: str, number: int) -> tuple[Application, Version] | None:
        app = self.get_app(app_id)
        version = tombstones.live_version(self._version_ref(app_id, number).get())
        if app is None or version is None:
            return None
        return app, version

    @backend_call("Firestore")
    def set_notification(self, app_id: str, number: int, notification: Notification) -> None:
        self._version_ref(app_id, number).update({"notification": notification.model_dump()})

    @backend_call("Firestore")
    def record_sha256(
        self, app_id: str, number: int, object_name: str, generation: int, sha256: str
    ) -> bool:
        return self._update_hashed_version(
            app_id,
            number,
            (object_name, generation),
            lambda version: version.sha256 is None,
            lambda _: {"sha256": sha256, Awaited.HASH.value: None},
        )

    @backend_call("Firestore")
    def record_hashing(
        self, app_id: str, number: int, object_name: str, generation: int, hashing: Hashing
    ) -> bool:
        ends_wait = {Awaited.HASH.value: None} if hashing.failure is not None else {}
        return self._set_hashing(app_id, number, (object_name, generation), hashing, ends_wait)

    @backend_call("Firestore")
    def requeue_hashing(
        self, app_id: str, number: int, object_name: str, generation: int, at: datetime.datetime
    ) -> bool:
        restarts_wait = {Awaited.HASH.value: at}
        hashed = (object_name, generation)
        return self._set_hashing(app_id, number, hashed, Hashing(requeued=True), restarts_wait)

    def _set_hashing(
        self, app_id: str, number: int, hashed: tuple[str, int], hashing: Hashing, wait: dict
    ) -> bool:
        """Sets the hashing (and `wait`'s change) of a version still computing its hash."""
        return self._update_hashed_version(
            app_id,
            number,
            hashed,
            lambda version: version.sha256State is HashState.COMPUTING,
            lambda version: (
                {"hashing": keeping_requeued(hashing, version.hashing).model_dump(mode="json")}
                | wait
            ),
        )

    @backend_call("Firestore")
    def stale_versions(
        self, awaited: Awaited, waiting_before: datetime.datetime, limit: int
    ) -> list[tuple[str, Version]]:
        query = stale_query(self._db, awaited, waiting_before).limit(limit)
        stale = []
        for snapshot in query.stream():
            version = tombstones.live_version(snapshot)
            if version is not None:
                stale.append((snapshot.reference.parent.parent.id, version))
        return stale

    def _update_hashed_version(
        self,
        app_id: str,
        number: int,
        hashed: tuple[str, int],
        waits: Callable[[Version], bool],
        changes: Callable[[Version], dict],
    ) -> bool:
        """Applies the version's `changes` in one transaction if it still points at the hashed
        (object, generation) and `waits`; False if it is gone, replaced or done meanwhile."""
        reference = self._version_ref(app_id, number)

        @firestore.transactional
        def update(transaction: firestore.Transaction) -> bool:
            version = tombstones.live_version(reference.get(transaction=transaction))
            if version is None or not waits(version):
                return False
            if (version.objectName, version.objectGeneration) != hashed:
                return False
            transaction.update(reference, changes(version))
            return True

        return update(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))

    @backend_call("Firestore")
    def record_conversion(
        self, app_id: str, number: int, generation: int, conversion: Conversion
    ) -> bool:
        pending = conversion.state is ConversionState.PENDING
        ends_wait = {} if pending else {Awaited.CONVERSION.value: None}
        return self._update_pending_conversion(app_id, number, generation, conversion, ends_wait)

    @backend_call("Firestore")
    def requeue_conversion(
        self, app_id: str, number: int, generation: int, at: datetime.datetime
    ) -> bool:
        requeued = Conversion(state=ConversionState.PENDING, requeued=True)
        restarts_wait = {Awaited.CONVERSION.value: at}
        return self._update_pending_conversion(app_id, number, generation, requeued, restarts_wait)

    def _update_pending_conversion(
        self, app_id: str, number: int, generation: int, conversion: Conversion, wait: dict
    ) -> bool:
        """Sets the conversion (and `wait`'s change) of a version whose conversion is PENDING."""
        reference = self._version_ref(app_id, number)
        app_reference = self._apps.document(app_id)

        @firestore.transactional
        def record(transaction: firestore.Transaction) -> bool:
            # A deleted app's versions stay until its files are gone: its tombstone says so.
            if tombstones.live_app(app_reference.get(transaction=transaction)) is None:
                return False
            version = tombstones.live_version(reference.get(transaction=transaction))
            if version is None or version.objectGeneration != generation:
                return False
            if version.conversion is None or version.conversion.state != ConversionState.PENDING:
                return False
            recorded = keeping_requeued(conversion, version.conversion)
            transaction.update(reference, {"conversion": recorded.model_dump(mode="json")} | wait)
            return True

        return record(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))

    @backend_call("Firestore")
    def apps_of_account(
        self, account_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[Application], TimeCursor | None]:
        """Served by the composite index apps_by_account (terraform/firestore.tf). A deleted
        app's tombstone has no dateCreated, and a query ordered by a field skips the documents
        without it: tombstones are never read, so every page but the last is full."""
        query = self._apps.where(filter=firestore.FieldFilter("accountId", "==", account_id))
        return newest_first(
            query, ("dateCreated", "__name__"), Application.model_validate, limit, after
        )

    @backend_call("Firestore")
    def versions(self, app_id: str) -> list[Version]:
        """The remaining versions, newest first."""
        return tombstones.live_versions(self._apps.document(app_id).collection("versions").stream())

    @backend_call("Firestore")
    def newest_versions(
        self, app_id: str, limit: int, channel: str | None = None, below: int | None = None
    ) -> tuple[list[Version], int | None]:
        # One more than asked for tells whether an older document remains.
        query = newest_versions_query(self._db, app_id, channel, below).limit(limit + 1)
        found = list(query.stream())
        if not found and channel == DEFAULT_CHANNEL:
            # Versions stored before channels have no field to match, and are the default's.
            every, older = self.newest_versions(app_id, limit, None, below)
            return [version for version in every if version.channel == channel], older
        window = found[:limit]
        older = window[-1].get("versionNumber") if len(found) > limit else None
        return tombstones.live_versions(window), older

    @backend_call("Firestore")
    def newest_of_channels(self, app_id: str, channels: list[str]) -> list[Version]:
        found: list[Version] = []
        for channel in channels:
            newest = tombstones.live_versions(newest_in_channel(self._db, app_id, channel).stream())
            if not newest and channel == DEFAULT_CHANNEL:
                # Versions stored before channels have no field to match: looked for among
                # the version documents such an app listed its channels from.
                newest, _ = self.newest_versions(app_id, CHANNEL_SUMMARY_VERSIONS, channel)
            found += newest[:1]
        return sorted(found, key=lambda version: version.versionNumber, reverse=True)

    @backend_call("Firestore")
    def latest_versions(self, apps: list[Application]) -> dict[str, Version]:
        """Each app's latest version, by app id, in one round trip."""
        references = [self._version_ref(app.id, app.latest_application_version) for app in apps]
        if not references:
            return {}  # an empty batch read is an error
        return {
            snapshot.reference.parent.parent.id: version
            for snapshot in self._db.get_all(references)
            if (version := tombstones.live_version(snapshot)) is not None
        }

    @backend_call("Firestore")
    def create_large_upload(self, upload_id: str, record: dict) -> None:
        self._db.collection(LARGE_UPLOADS).document(upload_id).create(record)

    @backend_call("Firestore")
    def claim_large_upload(
        self, upload_id: str, account_id: str, at: datetime.datetime
    ) -> dict | None:
        """Marks the upload used, once: None when unknown, another account's, used, or being
        deleted by the sweep."""
        reference = self._db.collection(LARGE_UPLOADS).document(upload_id)
        snapshot = reference.get()
        record = snapshot.to_dict()  # None when the document does not exist
        if record is None:
            return None
        if record["accountId"] != account_id or record.get("claimed") or record.get("abandoned"):
            return None
        try:
            reference.update(
                {"claimed": True, "claimedAt": at},
                option=self._db.write_option(last_update_time=snapshot.update_time),
            )
        except api_exceptions.FailedPrecondition:
            return None  # changed or deleted meanwhile: claimed by another request, or swept
        return record

    @backend_call("Firestore")
    def release_large_upload(self, upload_id: str) -> None:
        """Lets a failed request's upload be used again by a retry."""
        self._db.collection(LARGE_UPLOADS).document(upload_id).update({"claimed": False})

    @backend_call("Firestore")
    def abandoned_large_uploads(self, expired_before: datetime.datetime, limit: int) -> list[str]:
        query = abandoned_uploads_query(self._db, expired_before).limit(limit)
        return [snapshot.id for snapshot in query.stream()]

    @backend_call("Firestore")
    def abandon_large_upload(
        self, upload_id: str, claimed_before: datetime.datetime
    ) -> list[str] | None:
        reference = self._db.collection(LARGE_UPLOADS).document(upload_id)

        @firestore.transactional
        def abandon(transaction: firestore.Transaction) -> list[str] | None:
            record = reference.get(transaction=transaction).to_dict()
            if record is None or claimed_since(record, claimed_before):
                return None
            if not record.get("abandoned"):
                transaction.update(reference, {"abandoned": True})
            return large_upload_files(record)

        return abandon(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))

    @backend_call("Firestore")
    def object_in_use(self, object_name: str) -> bool:
        # Across apps: a collection-group index on versions.objectName (terraform/firestore.tf).
        query = self._db.collection_group("versions").where(
            filter=firestore.FieldFilter("objectName", "==", object_name)
        )
        return any(tombstones.live_version(snapshot) is not None for snapshot in query.stream())

    @backend_call("Firestore")
    def delete_large_upload(self, upload_id: str) -> None:
        self._db.collection(LARGE_UPLOADS).document(upload_id).delete()

    @backend_call("Firestore")
    def change_access(
        self,
        app_id: str,
        number: int | None,
        change: Callable[[Version], Access] | None,
        app_changes: dict,
    ) -> tuple[Application, list[Version]] | None:
        return tombstones.change_access(
            self._db, self._apps.document(app_id), number, change, app_changes
        )

    @backend_call("Firestore")
    def delete_version(
        self,
        app_id: str,
        number: int,
        deleted_by: str,
        at: datetime.datetime,
        by_retention: bool = False,
    ) -> VersionTombstone | None:
        return tombstones.delete_version(
            self._db, self._apps.document(app_id), number, deleted_by, at, by_retention
        )

    @backend_call("Firestore")
    def set_pinned(
        self, app_id: str, number: int, pinned: bool
    ) -> tuple[Application, Version] | None:
        return tombstones.set_pinned(self._db, self._apps.document(app_id), number, pinned)

    @backend_call("Firestore")
    def apps_with_retention(self) -> list[Application]:
        """An equality query on one field: Firestore's automatic single-field index serves it."""
        query = self._apps.where(filter=firestore.FieldFilter(RETENTION_DELETES, "==", True))
        return [app for doc in query.stream() if (app := tombstones.live_app(doc)) is not None]

    @backend_call("Firestore")
    def finish_version_deletion(self, app_id: str, number: int) -> None:
        self._version_ref(app_id, number).update(FINISHED)

    @backend_call("Firestore")
    def unfinished_deletions(self, app_id: str) -> list[VersionTombstone]:
        documents = self._apps.document(app_id).collection("versions").stream()
        found = [
            VersionTombstone.model_validate(document)
            for snapshot in documents
            if is_tombstone(document := snapshot.to_dict() or {}) and document["pendingObjects"]
        ]
        return sorted(found, key=lambda tombstone: tombstone.versionNumber)

    @backend_call("Firestore")
    def versions_deleted_halfway(
        self, pending_before: datetime.datetime, limit: int
    ) -> list[tuple[str, VersionTombstone]]:
        query = tombstones.left_halfway(self._db.collection_group("versions"), pending_before)
        return [
            (
                snapshot.reference.parent.parent.id,
                VersionTombstone.model_validate(snapshot.to_dict()),
            )
            for snapshot in query.limit(limit).stream()
        ]

    @backend_call("Firestore")
    def deleted_version(self, app_id: str, number: int) -> VersionTombstone | None:
        document = self._version_ref(app_id, number).get().to_dict()
        if document is None or not is_tombstone(document):
            return None
        return VersionTombstone.model_validate(document)

    @backend_call("Firestore")
    def delete_app(
        self, app_id: str, deleted_by: str, at: datetime.datetime
    ) -> AppTombstone | None:
        reference = self._apps.document(app_id)
        return tombstones.delete_app(
            self._db,
            reference,
            lambda app: self._package_pointer(app.accountId, app.packageName),
            deleted_by,
            at,
        )

    @backend_call("Firestore")
    def finish_app_deletion(self, app_id: str) -> None:
        tombstones.finish_app_deletion(self._db, self._apps.document(app_id))

    @backend_call("Firestore")
    def apps_deleted_halfway(
        self, pending_before: datetime.datetime, limit: int
    ) -> list[AppTombstone]:
        query = tombstones.left_halfway(self._apps, pending_before)
        return [
            AppTombstone.model_validate(snapshot.to_dict())
            for snapshot in query.limit(limit).stream()
        ]

    @backend_call("Firestore")
    def deleted_app(self, app_id: str) -> AppTombstone | None:
        document = self._apps.document(app_id).get().to_dict()
        if document is None or not is_tombstone(document):
            return None
        return AppTombstone.model_validate(document)

    def _listed_before_channels(self, app: Application) -> list[Version]:
        """The versions whose channels an app stored before apps kept theirs lists (none for
        an app with the list). Read after the app: the commit fails if a version came or went."""
        if app.channels is not None:
            return []
        window, _ = self.newest_versions(app.id, CHANNEL_SUMMARY_VERSIONS)
        return window

    def _previous(self, app: Application, channel: str) -> Version | None:
        """The newest remaining version of `channel`, else the app's latest."""
        found = tombstones.live_versions(newest_in_channel(self._db, app.id, channel).stream())
        if not found and channel == DEFAULT_CHANNEL:
            # Versions stored before channels have no field to match, and are the default's.
            every = self._apps.document(app.id).collection("versions").stream()
            found = [v for v in tombstones.live_versions(every) if v.channel == channel]
        if found:
            return found[0]
        return tombstones.live_version(
            self._version_ref(app.id, app.latest_application_version).get()
        )

    def _version_ref(self, app_id: str, number: int) -> firestore.DocumentReference:
        return version_ref(self._db, app_id, number)

    def _package_pointer(self, account_id: str, package: str) -> firestore.DocumentReference:
        return (
            self._db.collection("accounts").document(account_id).collection("packages")
        ).document(package)

    @property
    def _apps(self) -> firestore.CollectionReference:
        return self._db.collection("applications")


class RateLimitWindows:
    """Request counts per key and window, incremented atomically on the server."""

    def __init__(self, client: firestore.Client) -> None:
        self._windows = client.collection("rateLimitWindows")

    @backend_call("Firestore")
    def increment(self, window_id: str, expires_at: datetime.datetime) -> int:
        result = self._windows.document(window_id).set(
            {"count": firestore.Increment(1), "expireAt": expires_at}, merge=True
        )
        return result.transform_results[0].integer_value
