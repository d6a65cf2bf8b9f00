"""What the application services need from the database."""

import datetime
from collections.abc import Callable
from typing import Protocol

from apkdrop.applications.idempotency import KeyedVersion, UploadKey
from apkdrop.applications.models import Access, Application, Awaited, Hashing, Version
from apkdrop.applications.tombstones import AppTombstone, VersionTombstone
from apkdrop.conversions.models import Conversion
from apkdrop.notifications.models import Notification
from apkdrop.paging import TimeCursor


class ApplicationRepository(Protocol):
    def get_app(self, app_id: str) -> Application | None: ...
    def latest_app_for_package(self, account_id: str, package: str) -> Application | None: ...
    def create_app(
        self, app: Application, first: Version, claim_package: bool, key: UploadKey | None = None
    ) -> bool:
        """With `key`, its record (KeyedVersion of version 1) is created in the same commit;
        KeyUsed if another commit created it first."""
        ...

    def append_version(
        self,
        app_id: str,
        channel: str,
        make_version: Callable[[Version | None, int], Version],
        app_changes: dict,
        key: UploadKey | None = None,
    ) -> tuple[Application, Version]:
        """Adds version N+1 = `make_version(previous, N+1)` in one commit that retries if the
        app changed meanwhile. `previous` is the newest remaining version of `channel`, else the
        app's latest (None when neither exists). With `key`, its record (KeyedVersion of N+1)
        is created in the same commit; KeyUsed if another commit created it first."""
        ...

    def keyed_version(self, account_id: str, key: str) -> KeyedVersion | None:
        """The record of the account's Idempotency-Key `key`, None if none was committed."""
        ...

    def get_version(self, app_id: str, number: int) -> tuple[Application, Version] | None: ...
    def set_notification(self, app_id: str, number: int, notification: Notification) -> None: ...
    def record_sha256(
        self, app_id: str, number: int, object_name: str, generation: int, sha256: str
    ) -> bool:
        """Sets the version's sha256 (ending its wait) if it still points at that object's
        generation and has none yet, in one transaction; False (nothing written) otherwise, or
        if it is gone."""
        ...

    def record_hashing(
        self, app_id: str, number: int, object_name: str, generation: int, hashing: Hashing
    ) -> bool:
        """Sets the version's hashing if it still points at that object's generation, has no
        sha256 and has not failed it, in one transaction; False (nothing written) otherwise.
        A hashing with a failure also ends the version's wait (hashWaitingSince None)."""
        ...

    def requeue_hashing(
        self, app_id: str, number: int, object_name: str, generation: int, at: datetime.datetime
    ) -> bool:
        """As record_hashing with Hashing(requeued=True), its wait restarting `at`."""
        ...

    def stale_versions(
        self, awaited: Awaited, waiting_before: datetime.datetime, limit: int
    ) -> list[tuple[str, Version]]:
        """At most `limit` live versions of any app (with their app's id) that have waited for
        `awaited` since before `waiting_before`, the longest waiting first."""
        ...

    def record_conversion(
        self, app_id: str, number: int, generation: int, conversion: Conversion
    ) -> bool:
        """Sets the version's conversion if it still points at that object generation and its
        conversion is PENDING, in one transaction; False (nothing written) otherwise. One no
        longer PENDING also ends the version's wait (conversionWaitingSince None)."""
        ...

    def requeue_conversion(
        self, app_id: str, number: int, generation: int, at: datetime.datetime
    ) -> bool:
        """As record_conversion with a PENDING one `requeued`, its wait restarting `at`."""
        ...

    def apps_of_account(
        self, account_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[Application], TimeCursor | None]:
        """At most `limit` of the account's apps, newest first (ties by id), after `after`,
        and the cursor of the next page, None at the end. A deleted app is never one of them."""
        ...

    def versions(self, app_id: str) -> list[Version]:
        """Every remaining version, newest first: for owners' operations that walk them all,
        never for a request that shows some (newest_versions)."""
        ...

    def newest_versions(
        self, app_id: str, limit: int, channel: str | None = None, below: int | None = None
    ) -> tuple[list[Version], int | None]:
        """The remaining versions among the app's `limit` newest version documents numbered
        below `below` (None: from the newest), newest first, in one query. Without `channel`
        a deleted version's tombstone is one of the `limit` (so fewer may come back); with it,
        only that channel's versions are read (a tombstone has no channel) — but for the
        default channel, when none has the field, the window without `channel` filtered to it
        (versions stored before channels have none). Then the `below` of the next window: the
        last document's number, None when no older one remains."""
        ...

    def newest_of_channels(self, app_id: str, channels: list[str]) -> list[Version]:
        """Each of `channels`' newest remaining version (none of one without any), newest
        first: one query of one document per channel."""
        ...

    def latest_versions(self, apps: list[Application]) -> dict[str, Version]: ...
    def create_large_upload(self, upload_id: str, record: dict) -> None: ...
    def claim_large_upload(
        self, upload_id: str, account_id: str, at: datetime.datetime
    ) -> dict | None: ...
    def release_large_upload(self, upload_id: str) -> None: ...
    def abandoned_large_uploads(self, expired_before: datetime.datetime, limit: int) -> list[str]:
        """Ids of at most `limit` large uploads whose URL expired before `expired_before`,
        claimed or not, oldest first."""
        ...

    def abandon_large_upload(
        self, upload_id: str, claimed_before: datetime.datetime
    ) -> list[str] | None:
        """In one transaction: re-reads the record and, unless claimed since `claimed_before`
        (a finalize may be publishing it), marks it abandoned (no claim takes it any more);
        the files it names then (object_names.large_upload_files), None if claimed since or
        gone."""
        ...

    def object_in_use(self, object_name: str) -> bool:
        """Whether a live version of any app keeps `object_name`."""
        ...

    def delete_large_upload(self, upload_id: str) -> None:
        """Deletes the record (a missing one is no error)."""
        ...

    # Owners' changes. Each is one atomic commit (a transaction that also writes the app
    # document, so a concurrent upload's commit retries after it).
    def change_access(
        self,
        app_id: str,
        number: int | None,
        change: Callable[[Version], Access] | None,
        app_changes: dict,
    ) -> tuple[Application, list[Version]] | None:
        """Sets version `number`'s access (None: every remaining version's) to `change(it)`
        (None: no version changes), and `app_changes` on the app. None: no such app or version
        (or a deleted one)."""

    def delete_version(
        self,
        app_id: str,
        number: int,
        deleted_by: str,
        at: datetime.datetime,
        by_retention: bool = False,
    ) -> VersionTombstone | None:
        """Turns the version into a tombstone listing its objects, and points the app's latest
        at the newest remaining version (0: none). A deleted version: its tombstone as it is.
        None: no such app or version; `by_retention`, also when the version is pinned or the
        newest remaining one of its channel (read in the same transaction)."""

    def set_pinned(
        self, app_id: str, number: int, pinned: bool
    ) -> tuple[Application, Version] | None:
        """Pins or unpins a version, in a transaction (a retention deletion that read it
        retries after it). None: no such app or version."""

    def apps_with_retention(self) -> list[Application]:
        """Every account's apps whose retention policy may delete versions."""
        ...

    def finish_version_deletion(self, app_id: str, number: int) -> None:
        """Clears the tombstone's pendingObjects, once they are gone."""

    def deleted_version(self, app_id: str, number: int) -> VersionTombstone | None: ...

    def unfinished_deletions(self, app_id: str) -> list[VersionTombstone]:
        """The app's version tombstones whose files are not all deleted yet, oldest first."""
        ...

    def versions_deleted_halfway(
        self, pending_before: datetime.datetime, limit: int
    ) -> list[tuple[str, VersionTombstone]]:
        """At most `limit` version tombstones of any app (with their app's id) whose objects
        are pending since before `pending_before`, the oldest first."""
        ...

    def delete_app(
        self, app_id: str, deleted_by: str, at: datetime.datetime
    ) -> AppTombstone | None:
        """Turns the app into a tombstone listing every version's objects, and releases its
        package (if it is the package's latest app). A deleted app: its tombstone as it is.
        None: no such app."""

    def finish_app_deletion(self, app_id: str) -> None:
        """Turns the app's remaining version documents into tombstones and clears the lists of
        its version tombstones, then clears its pendingObjects."""

    def apps_deleted_halfway(
        self, pending_before: datetime.datetime, limit: int
    ) -> list[AppTombstone]:
        """At most `limit` app tombstones of any account whose objects are pending since before
        `pending_before`, the oldest first."""
        ...

    def deleted_app(self, app_id: str) -> AppTombstone | None: ...
