"""In-memory stand-ins for the adapters, matching the Protocols in `apkdrop.builds.ports`,
`apkdrop.applications.ports` and `apkdrop.applications.rate_limit`.

They keep records as plain dicts and validate on every read, as the Firestore adapter does, so a
service that forgets to write a change back cannot pass by mutating a shared object.
"""

import base64
import dataclasses
import datetime
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

import google_crc32c
import httpx
import pytest
from google.api_core import exceptions as api_exceptions

from apkdrop.accounts import Account, Caller, KeyScope
from apkdrop.adapters.background_writes import Abandoned
from apkdrop.adapters.firestore_applications import claimed_since, keeping_requeued
from apkdrop.adapters.firestore_tombstones import retention_may_delete
from apkdrop.adapters.streamed_upload import HashingWriter
from apkdrop.applications import url_fetch
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
    PENDING_SINCE,
    AppTombstone,
    VersionTombstone,
    is_tombstone,
    objects_of,
)
from apkdrop.applications.url_fetch import UrlFetcher
from apkdrop.audit.models import AuditEvent
from apkdrop.builds.models import StoredBuild, StoredContext, StoredProjectRetention, UploadState
from apkdrop.builds.ports import Bucket
from apkdrop.channels import DEFAULT_CHANNEL
from apkdrop.conversions.models import Conversion, ConversionState
from apkdrop.dependencies import Dependencies
from apkdrop.downloads.models import DownloadEvent
from apkdrop.errors import BackendUnavailable, Conflict, InvalidRequest, ObjectGone
from apkdrop.install_pages.ports import LinkTarget, SessionRepository
from apkdrop.notifications.models import Notification, RenderedEmail
from apkdrop.notifications.ports import Claim
from apkdrop.paging import TimeCursor
from apkdrop.retention.models import RETENTION_DELETES
from apkdrop.settings import (
    ApplicationApiSettings,
    BuildApiSettings,
    BuildFinalizedSettings,
    BuildUploadExpirySettings,
    BundleConverterSettings,
    EmailWorkerSettings,
    HashWorkerSettings,
    InstallPagesSettings,
    RetentionSweeperSettings,
    SignInSettings,
    WebhookWorkerSettings,
)
from apkdrop.shared_models import StorageObject
from apkdrop.timeutil import Clock, utc_now
from apkdrop.webhooks.models import Delivery, DeliveryState, EventType, Hook
from apkdrop.webhooks.sender import HookSender

BUCKET = "apkdrop-test-uploads"
HASH_WORKER_URL = "https://hash.example.test/"
CONVERTER_URL = "https://bundle-converter.example.test/"
EXPIRY_URL = "https://expiry.example.test/expire"
SWEEPER_URL = "https://retention-sweeper.example.test/"
WEBHOOK_WORKER_URL = "https://webhooks.example.test/deliver"


class FakeAccounts:
    """Accounts by email and API keys by hash, like `firestore.AccountStore`."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.account_by_email: dict[str, str] = {}
        self.key_hashes: dict[str, str] = {}
        self.key_prefixes: dict[str, str] = {}
        self.key_scopes: dict[str, KeyScope] = {}

    def account_for_key_hash(self, key_hash: str) -> Caller | None:
        account = self.accounts.get(self.key_hashes.get(key_hash, ""))
        if account is None:
            return None
        return Caller(
            **account.model_dump(),
            keyPrefix=self.key_prefixes[key_hash],
            scope=self.key_scopes[key_hash],
        )

    def ensure_account(self, email: str, new_id: str) -> Account:
        account_id = self.account_by_email.setdefault(email, new_id)
        return self.accounts.setdefault(account_id, Account(id=account_id, email=email))

    def add_api_key(self, account_id: str, key_hash: str, key_prefix: str, scope: KeyScope) -> None:
        if key_hash in self.key_hashes:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # AlreadyExists
        self.key_hashes[key_hash] = account_id
        self.key_prefixes[key_hash] = key_prefix
        self.key_scopes[key_hash] = scope

    def delete_api_key(self, key_hash: str) -> bool:
        self.key_prefixes.pop(key_hash, None)
        self.key_scopes.pop(key_hash, None)
        return self.key_hashes.pop(key_hash, None) is not None


class FakeAuditLog:
    """The audit trail, in order, like `firestore_audit.AuditTrail`."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        if all(stored.id != event.id for stored in self.events):
            self.events.append(event)

    def trail(
        self, account_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[AuditEvent], TimeCursor | None]:
        trail = sorted(
            (event for event in self.events if event.accountId == account_id),
            key=AuditEvent.cursor,
            reverse=True,
        )
        if after is not None:
            trail = [event for event in trail if event.cursor() < after]
        page = trail[:limit]
        return page, page[-1].cursor() if len(trail) > limit else None


class FakeBuildStore:
    """Id counters, projects, contexts and builds, like `firestore.BuildStore`."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.projects: set[tuple[str, str]] = set()
        self.contexts: dict[int, dict[str, Any]] = {}
        self.builds: dict[int, dict[str, Any]] = {}
        self.retention: dict[tuple[str, str], dict[str, Any]] = {}

    def next_id(self, sequence: str) -> int:
        self.counters[sequence] = self.counters.get(sequence, 0) + 1
        return self.counters[sequence]

    def ensure_project(self, account_id: str, project_name: str) -> None:
        self.projects.add((account_id, project_name))

    def create_context(self, context: StoredContext) -> None:
        if context.id in self.contexts:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # AlreadyExists
        self.contexts[context.id] = context.model_dump()

    def get_context(self, context_id: int) -> StoredContext | None:
        stored = self.contexts.get(context_id)
        return None if stored is None else StoredContext.model_validate(stored)

    def update_context(
        self, context_id: int, decide: Callable[[StoredContext], dict | None]
    ) -> StoredContext | None:
        current = self.get_context(context_id)
        if current is None:
            return None
        changes = decide(current)
        if not changes:
            return current
        self.contexts[context_id] = {**self.contexts[context_id], **changes}
        return StoredContext.model_validate({**current.model_dump(), **changes})

    def create_build(self, build: StoredBuild) -> None:
        if build.id in self.builds:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # AlreadyExists
        self.builds[build.id] = build.model_dump(mode="python")

    def get_build(self, build_id: int) -> StoredBuild | None:
        stored = self.builds.get(build_id)
        return None if stored is None else StoredBuild.model_validate(stored)

    def builds_of_context(self, context_id: int) -> list[StoredBuild]:
        found = [StoredBuild.model_validate(b) for b in self.builds.values()]
        return sorted((b for b in found if b.contextId == context_id), key=lambda b: b.id)

    def previous_finished_build(self, build: StoredBuild) -> StoredBuild | None:
        found = [StoredBuild.model_validate(b) for b in self.builds.values()]
        earlier = [
            b
            for b in found
            if (b.accountId, b.projectName, b.buildType)
            == (build.accountId, build.projectName, build.buildType)
            and b.uploadState is UploadState.FINISHED
            and b.contextId < build.contextId
        ]
        return max(earlier, key=lambda b: (b.contextId, b.id), default=None)

    def update_build(
        self, build_id: int, decide: Callable[[StoredBuild], dict | None]
    ) -> StoredBuild | None:
        current = self.get_build(build_id)
        if current is None:
            return None
        changes = decide(current)
        if not changes:
            return current
        self.builds[build_id] = {**self.builds[build_id], **changes}
        return StoredBuild.model_validate({**current.model_dump(), **changes})

    def project_retention(
        self, account_id: str, project_name: str
    ) -> StoredProjectRetention | None:
        stored = self.retention.get((account_id, project_name))
        return None if stored is None else StoredProjectRetention.model_validate(stored)

    def set_project_retention(self, retention: StoredProjectRetention) -> None:
        self.retention[(retention.accountId, retention.projectName)] = retention.model_dump()

    def remove_project_retention(self, account_id: str, project_name: str) -> None:
        self.retention.pop((account_id, project_name), None)

    def projects_with_retention(self) -> list[StoredProjectRetention]:
        return [StoredProjectRetention.model_validate(r) for r in self.retention.values()]

    def live_contexts_before(
        self, account_id: str, project_name: str, before: datetime.datetime, limit: int
    ) -> list[StoredContext]:
        found = [StoredContext.model_validate(c) for c in self.contexts.values()]
        live = [
            c
            for c in found
            if (c.accountId, c.projectName) == (account_id, project_name)
            and c.dateDeleted is None
            and c.dateCreated < before
        ]
        return sorted(live, key=lambda c: (c.dateCreated, c.id))[:limit]

    def contexts_pending_retention(self, limit: int) -> list[StoredContext]:
        found = [StoredContext.model_validate(c) for c in self.contexts.values()]
        return [c for c in found if c.retentionPending][:limit]


@dataclass(frozen=True)
class SignedUrlCall:
    object_name: str
    headers: dict[str, str]
    ttl: datetime.timedelta
    url: str


class FakeObjectReader(io.BytesIO):
    """Like the adapter's reader: also reads ranges by position."""

    def read_ranges(self, ranges: Sequence[tuple[int, int]], /) -> list[bytes]:
        data = self.getvalue()
        return [data[offset : offset + length] for offset, length in ranges]


class FakeBucket:
    """Objects by name with their current generation; signing only records what was asked."""

    def __init__(self, name: str = BUCKET) -> None:
        self._name = name
        self.objects: dict[str, tuple[bytes, StorageObject]] = {}
        self.signed: list[SignedUrlCall] = []
        self.started: list[MemoryUpload] = []
        self.deleted: list[str] = []
        self.content_types: dict[str, str] = {}
        self.signed_gets: list[tuple[str, datetime.timedelta, str | None]] = []
        self.served_as: dict[str, str | None] = {}  # each signed GET's media type
        self.marked_failed: list[tuple[str, int]] = []
        self._generation = 1_700_000_000_000_000

    @property
    def name(self) -> str:
        return self._name

    def signed_put_url(
        self, object_name: str, headers: dict[str, str], ttl: datetime.timedelta
    ) -> str:
        url = f"https://storage.example.test/{self._name}/{object_name}?sig={len(self.signed) + 1}"
        self.signed.append(SignedUrlCall(object_name, dict(headers), ttl, url))
        return url

    def put(
        self, object_name: str, data: bytes, metadata: dict[str, str] | None = None
    ) -> StorageObject:
        """Stores `data` as a new generation and returns the resource a finalize event carries."""
        self._generation += 1
        stored = StorageObject(
            bucket=self._name,
            name=object_name,
            generation=self._generation,
            size=len(data),
            md5Hash=base64.b64encode(hashlib.md5(data).digest()).decode(),
            crc32c=base64.b64encode(google_crc32c.Checksum(data).digest()).decode(),
            metadata=dict(metadata or {}),
            timeCreated=utc_now(),
        )
        self.objects[object_name] = (data, stored)
        return stored

    def find_object(self, object_name: str) -> StorageObject | None:
        found = self.objects.get(object_name)
        return None if found is None else found[1]

    @contextmanager
    def open_object(self, stored: StorageObject) -> Iterator[BinaryIO]:
        found = self.objects.get(stored.name)
        if found is None or found[1].generation != stored.generation:
            raise ObjectGone(f"gs://{self._name}/{stored.name}#{stored.generation}")
        yield FakeObjectReader(found[0])

    def data(self, object_name: str) -> bytes:
        return self.objects[object_name][0]

    def mark_failed(self, object_name: str, generation: int) -> None:
        self.marked_failed.append((object_name, generation))

    def put_object(self, object_name: str, data: bytes, content_type: str) -> None:
        """Like the adapter: only a new object (it uploads with generation precondition 0)."""
        if object_name in self.objects:
            raise BackendUnavailable("Cloud Storage is unavailable, retry later")  # 412
        self.put(object_name, data)
        self.content_types[object_name] = content_type

    def signed_get_url(
        self,
        object_name: str,
        ttl: datetime.timedelta,
        download_name: str | None = None,
        media_type: str | None = None,
    ) -> str:
        self.signed_gets.append((object_name, ttl, download_name))
        self.served_as[object_name] = media_type
        return (
            f"https://storage.example.test/{self._name}/{object_name}?get={len(self.signed_gets)}"
        )

    def start_object(self, object_name: str, limit: int, too_large: Exception) -> HashingWriter:
        """The real HashingWriter over an upload that creates the object only when closed."""
        upload = MemoryUpload(self, object_name)
        self.started.append(upload)
        return HashingWriter(upload, limit, too_large)

    def delete_object(self, object_name: str) -> None:
        """Like the adapter: deleting what is not there is not an error."""
        self.deleted.append(object_name)
        self.objects.pop(object_name, None)

    def sha256_of(self, object_name: str, generation: int) -> str:
        found = self.objects.get(object_name)
        if found is None or found[1].generation != generation:
            raise BackendUnavailable("Cloud Storage is unavailable, retry later")  # NotFound
        return hashlib.sha256(found[0]).hexdigest()


class MemoryUpload:
    """What the adapter's streamed upload does: the object exists once `send` has taken every
    piece; abandoned (its pieces end in Abandoned), it leaves nothing. Over an existing object it
    fails as the generation precondition does.
    """

    def __init__(self, bucket: FakeBucket, object_name: str) -> None:
        self._bucket = bucket
        self.object_name = object_name
        self.terminated = False

    def send(self, pieces: Iterator[bytes], /) -> StorageObject:
        try:
            data = b"".join(pieces)
        except Abandoned:
            self.terminated = True
            raise
        if self._bucket.find_object(self.object_name) is not None:
            raise api_exceptions.PreconditionFailed(f"{self.object_name} exists")
        return self._bucket.put(self.object_name, data)


class FakeApplicationStore:
    """Apps, numbered versions, package pointers and large uploads, like `ApplicationStore`.

    Records are stored as `model_dump()` dicts and validated on every read.
    """

    def __init__(self) -> None:
        self.apps: dict[str, dict[str, Any]] = {}
        self.version_docs: dict[str, dict[int, dict[str, Any]]] = {}
        self.package_pointers: dict[tuple[str, str], str] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.claims: list[str] = []
        self.releases: list[str] = []
        # Idempotency-Key records by (account id, key).
        self.keys: dict[tuple[str, str], dict[str, Any]] = {}
        # Runs once between an append's read and its commit, as a concurrent request would.
        self.before_commit: Callable[[], None] | None = None
        # Version documents (tombstones included) read by versions(), newest_versions() and
        # by number: what a request costs in Firestore reads.
        self.version_documents_read = 0

    def get_app(self, app_id: str) -> Application | None:
        stored = self.apps.get(app_id)
        if stored is None or is_tombstone(stored):
            return None
        return Application.model_validate(stored)

    def latest_app_for_package(self, account_id: str, package: str) -> Application | None:
        app_id = self.package_pointers.get((account_id, package))
        return None if app_id is None else self.get_app(app_id)

    def create_app(
        self, app: Application, first: Version, claim_package: bool, key: UploadKey | None = None
    ) -> bool:
        """One commit: the app, its version 1, the package pointer (created or replaced) and
        the key's record (created). Sent again once applied (the library's resend), it finds
        its own version 1: done."""
        pointer = (app.accountId, app.packageName)
        stored_first = self.version_docs.get(app.id, {}).get(1, {})
        if stored_first.get("objectName") == first.objectName:
            return True
        self._refuse_used(key)
        if app.id in self.apps or (claim_package and pointer in self.package_pointers):
            if claim_package:
                return False
            raise BackendUnavailable("Firestore is unavailable, retry later")  # AlreadyExists
        self.apps[app.id] = app.model_dump()
        self.version_docs[app.id] = {1: first.model_dump()}
        self.package_pointers[pointer] = app.id
        if key is not None:
            self.keys[key.accountId, key.key] = self._key_record(key, app.id, 1)
        return True

    def append_version(
        self,
        app_id: str,
        channel: str,
        make_version: Callable[[Version | None, int], Version],
        app_changes: dict,
        key: UploadKey | None = None,
    ) -> tuple[Application, Version]:
        """Like the optimistic commit: made from the channel's newest version (else the app's
        latest), retried if the app changed before the commit (`before_commit` plays a
        concurrent upload in between); with the key's record, which no other commit made."""
        while True:
            self._refuse_used(key)
            if app_id not in self.apps:
                raise AssertionError(f"append_version to unknown app {app_id}")
            app = self.get_app(app_id)
            if app is None:
                raise Conflict(DELETED_DURING_UPLOAD)
            read = self.apps[app_id]
            number = app.next_version_number
            in_channel = [v for v in self.versions(app_id) if v.channel == channel]
            previous = (
                in_channel[0]
                if in_channel
                else self._live_version(app_id, app.latest_application_version)
            )
            version = make_version(previous, number)
            window = (
                []
                if app.channels is not None
                else self.newest_versions(app_id, CHANNEL_SUMMARY_VERSIONS)[0]
            )
            if self.before_commit is not None:
                concurrent, self.before_commit = self.before_commit, None
                concurrent()
            if self.apps[app_id] is read:
                break
        self._refuse_used(key)  # the record is created-only: committed meanwhile, it fails
        changes = {
            **app_changes,
            "latest_application_version": number,
            "lastVersionNumber": number,
            **app.channel_change(channel, window),
        }
        versions = self.version_docs.setdefault(app_id, {})
        if number in versions:
            raise AssertionError(f"version {number} of {app_id} written twice")
        versions[number] = version.model_dump()
        self.apps[app_id] = {**self.apps[app_id], **changes}
        if key is not None:
            self.keys[key.accountId, key.key] = self._key_record(key, app_id, number)
        return Application.model_validate(self.apps[app_id]), version

    def keyed_version(self, account_id: str, key: str) -> KeyedVersion | None:
        record = self.keys.get((account_id, key))
        return None if record is None else KeyedVersion.model_validate(record)

    @staticmethod
    def _key_record(key: UploadKey, app_id: str, number: int) -> dict[str, Any]:
        return {**key.for_version(app_id, number).model_dump(), "expireAt": key.expireAt}

    def _refuse_used(self, key: UploadKey | None) -> None:
        used = None if key is None else self.keyed_version(key.accountId, key.key)
        if used is not None:
            raise KeyUsed(used)

    def get_version(self, app_id: str, number: int) -> tuple[Application, Version] | None:
        app = self.get_app(app_id)
        version = self._live_version(app_id, number)
        if app is None or version is None:
            return None
        return app, version

    def set_notification(self, app_id: str, number: int, notification: Notification) -> None:
        stored = self.version_docs.get(app_id, {}).get(number)
        if stored is None:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # NotFound
        stored["notification"] = notification.model_dump()

    def record_sha256(
        self, app_id: str, number: int, object_name: str, generation: int, sha256: str
    ) -> bool:
        version = self._live_version(app_id, number)
        if version is None or version.sha256 is not None:
            return False
        if (version.objectName, version.objectGeneration) != (object_name, generation):
            return False
        self.version_docs[app_id][number] |= {"sha256": sha256, Awaited.HASH.value: None}
        return True

    def record_hashing(
        self, app_id: str, number: int, object_name: str, generation: int, hashing: Hashing
    ) -> bool:
        version = self._live_version(app_id, number)
        if version is None or version.sha256State is not HashState.COMPUTING:
            return False
        if (version.objectName, version.objectGeneration) != (object_name, generation):
            return False
        recorded = keeping_requeued(hashing, version.hashing)
        self.version_docs[app_id][number]["hashing"] = recorded.model_dump(mode="json")
        if hashing.failure is not None:
            self.version_docs[app_id][number][Awaited.HASH.value] = None
        return True

    def requeue_hashing(
        self, app_id: str, number: int, object_name: str, generation: int, at: datetime.datetime
    ) -> bool:
        if not self.record_hashing(app_id, number, object_name, generation, Hashing(requeued=True)):
            return False
        self.version_docs[app_id][number][Awaited.HASH.value] = at
        return True

    def stale_versions(
        self, awaited: Awaited, waiting_before: datetime.datetime, limit: int
    ) -> list[tuple[str, Version]]:
        def since(version: Version) -> datetime.datetime | None:
            return getattr(version, awaited.value)

        live = (
            (app_id, Version.model_validate(doc))
            for app_id, docs in self.version_docs.items()
            for doc in docs.values()
            if not is_tombstone(doc)
        )
        stale = [
            (app_id, version)
            for app_id, version in live
            if (since(version) or waiting_before) < waiting_before
        ]
        return sorted(stale, key=lambda found: since(found[1]) or waiting_before)[:limit]

    def record_conversion(
        self, app_id: str, number: int, generation: int, conversion: Conversion
    ) -> bool:
        app = self.apps.get(app_id)
        if app is None or is_tombstone(app):  # as the adapter: a deleted app records nothing
            return False
        version = self._live_version(app_id, number)
        if version is None or version.objectGeneration != generation:
            return False
        if version.conversion is None or version.conversion.state != ConversionState.PENDING:
            return False
        recorded = keeping_requeued(conversion, version.conversion)
        self.version_docs[app_id][number]["conversion"] = recorded.model_dump(mode="json")
        if conversion.state is not ConversionState.PENDING:
            self.version_docs[app_id][number][Awaited.CONVERSION.value] = None
        return True

    def requeue_conversion(
        self, app_id: str, number: int, generation: int, at: datetime.datetime
    ) -> bool:
        requeued = Conversion(state=ConversionState.PENDING, requeued=True)
        if not self.record_conversion(app_id, number, generation, requeued):
            return False
        self.version_docs[app_id][number][Awaited.CONVERSION.value] = at
        return True

    def apps_of_account(
        self, account_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[Application], TimeCursor | None]:
        """As the adapter's query: a tombstone, which has no dateCreated, is never read."""
        apps = [Application.model_validate(a) for a in self.apps.values() if not is_tombstone(a)]
        mine = sorted(
            (app for app in apps if app.accountId == account_id),
            key=Application.cursor,
            reverse=True,
        )
        if after is not None:
            mine = [app for app in mine if app.cursor() < after]
        page = mine[:limit]
        return page, page[-1].cursor() if len(mine) > limit else None

    def versions(self, app_id: str) -> list[Version]:
        """The remaining versions, newest first."""
        self.version_documents_read += len(self.version_docs.get(app_id, {}))
        found = [
            Version.model_validate(v)
            for v in self.version_docs.get(app_id, {}).values()
            if not is_tombstone(v)
        ]
        return sorted(found, key=lambda version: version.versionNumber, reverse=True)

    def newest_versions(
        self, app_id: str, limit: int, channel: str | None = None, below: int | None = None
    ) -> tuple[list[Version], int | None]:
        """As the adapter's query: tombstones (which have no channel) count toward `limit`
        only without `channel`; a document without the field is in no channel's query, but for
        the default channel's fallback when none has it."""
        documents = self.version_docs.get(app_id, {})
        matching = [
            documents[number]
            for number in sorted(documents, reverse=True)
            if (below is None or number < below)
            and (channel is None or documents[number].get("channel") == channel)
        ][: limit + 1]
        self.version_documents_read += len(matching)
        if not matching and channel == DEFAULT_CHANNEL:
            every, older = self.newest_versions(app_id, limit, None, below)
            return [version for version in every if version.channel == channel], older
        window = matching[:limit]
        older = window[-1]["versionNumber"] if len(matching) > limit else None
        live = [Version.model_validate(doc) for doc in window if not is_tombstone(doc)]
        return live, older

    def newest_of_channels(self, app_id: str, channels: list[str]) -> list[Version]:
        """As the adapter's limit-1 query per channel: one document read for each found; the
        default channel's versions stored before channels are looked for in the window."""
        documents = self.version_docs.get(app_id, {})
        found = []
        for channel in channels:
            numbers = [
                number
                for number, doc in documents.items()
                if doc.get("channel") == channel and not is_tombstone(doc)
            ]
            if numbers:
                self.version_documents_read += 1
                found.append(Version.model_validate(documents[max(numbers)]))
            elif channel == DEFAULT_CHANNEL:
                window, _ = self.newest_versions(app_id, CHANNEL_SUMMARY_VERSIONS, channel)
                found += window[:1]
        return sorted(found, key=lambda version: version.versionNumber, reverse=True)

    def latest_versions(self, apps: list[Application]) -> dict[str, Version]:
        found = {app.id: self._live_version(app.id, app.latest_application_version) for app in apps}
        return {app_id: version for app_id, version in found.items() if version is not None}

    def change_access(
        self,
        app_id: str,
        number: int | None,
        change: Callable[[Version], Access] | None,
        app_changes: dict,
    ) -> tuple[Application, list[Version]] | None:
        """One transaction: nothing is written when `change` raises for any version."""
        app = self.get_app(app_id)
        if app is None:
            return None
        if change is None:
            self.apps[app_id] = {**self.apps[app_id], **app_changes}
            return Application.model_validate(self.apps[app_id]), []
        if number is None:
            versions = self.versions(app_id)
        elif (found := self._live_version(app_id, number)) is not None:
            versions = [found]
        else:
            return None
        changed = []
        for version in versions:
            access_type, allowed_users = change(version)
            update = {"accessType": access_type, "allowedUsers": allowed_users}
            changed.append(version.model_copy(update=update))
        for version in changed:
            self.version_docs[app_id][version.versionNumber] = version.model_dump()
        self.apps[app_id] = {**self.apps[app_id], **app_changes}
        return Application.model_validate(self.apps[app_id]), changed

    def delete_version(
        self,
        app_id: str,
        number: int,
        deleted_by: str,
        at: datetime.datetime,
        by_retention: bool = False,
    ) -> VersionTombstone | None:
        app = self.get_app(app_id)
        stored = self.version_docs.get(app_id, {}).get(number)
        if app is None or stored is None:
            return None
        if is_tombstone(stored):
            return VersionTombstone.model_validate(stored)
        remaining = [(v.versionNumber, v.channel) for v in self.versions(app_id)]
        if by_retention and not retention_may_delete(Version.model_validate(stored), remaining):
            return None
        tombstone = VersionTombstone(
            versionNumber=number,
            deletedAt=at,
            deletedBy=deleted_by,
            pendingObjects=objects_of(Version.model_validate(stored)),
            pendingSince=at,
        )
        self.version_docs[app_id][number] = tombstone.model_dump()
        remaining = [version.versionNumber for version in self.versions(app_id)]
        self.apps[app_id] = {
            **self.apps[app_id],
            "latest_application_version": max(remaining, default=0),
            "lastVersionNumber": app.next_version_number - 1,
        }
        return tombstone

    def set_pinned(
        self, app_id: str, number: int, pinned: bool
    ) -> tuple[Application, Version] | None:
        app = self.get_app(app_id)
        version = self._live_version(app_id, number)
        if app is None or version is None:
            return None
        self.version_docs[app_id][number]["pinned"] = pinned
        return app, version.model_copy(update={"pinned": pinned})

    def apps_with_retention(self) -> list[Application]:
        return [
            Application.model_validate(stored)
            for stored in self.apps.values()
            if not is_tombstone(stored) and stored.get(RETENTION_DELETES) is True
        ]

    def finish_version_deletion(self, app_id: str, number: int) -> None:
        stored = self.version_docs.get(app_id, {}).get(number)
        if stored is None:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # NotFound
        stored |= FINISHED

    def unfinished_deletions(self, app_id: str) -> list[VersionTombstone]:
        found = [
            VersionTombstone.model_validate(stored)
            for stored in self.version_docs.get(app_id, {}).values()
            if is_tombstone(stored) and stored["pendingObjects"]
        ]
        return sorted(found, key=lambda tombstone: tombstone.versionNumber)

    def versions_deleted_halfway(
        self, pending_before: datetime.datetime, limit: int
    ) -> list[tuple[str, VersionTombstone]]:
        found = [
            (app_id, VersionTombstone.model_validate(stored))
            for app_id, versions in self.version_docs.items()
            for stored in versions.values()
            if is_tombstone(stored)
            and (stored.get(PENDING_SINCE) or pending_before) < pending_before
        ]
        return sorted(found, key=lambda pair: pair[1].pendingSince or pending_before)[:limit]

    def deleted_version(self, app_id: str, number: int) -> VersionTombstone | None:
        stored = self.version_docs.get(app_id, {}).get(number)
        if stored is None or not is_tombstone(stored):
            return None
        return VersionTombstone.model_validate(stored)

    def delete_app(
        self, app_id: str, deleted_by: str, at: datetime.datetime
    ) -> AppTombstone | None:
        stored = self.apps.get(app_id)
        if stored is None:
            return None
        if is_tombstone(stored):
            return AppTombstone.model_validate(stored)
        app = Application.model_validate(stored)
        pending: list[str] = []
        for version in self.version_docs.get(app_id, {}).values():
            if is_tombstone(version):
                pending += VersionTombstone.model_validate(version).pendingObjects
            else:
                pending += objects_of(Version.model_validate(version))
        pointer = (app.accountId, app.packageName)
        if self.package_pointers.get(pointer) == app_id:
            del self.package_pointers[pointer]
        tombstone = AppTombstone(
            id=app_id,
            accountId=app.accountId,
            deletedAt=at,
            deletedBy=deleted_by,
            pendingObjects=pending,
            pendingSince=at if pending else None,
        )
        self.apps[app_id] = tombstone.model_dump()
        return tombstone

    def finish_app_deletion(self, app_id: str) -> None:
        app = AppTombstone.model_validate(self.apps[app_id])
        versions = self.version_docs.get(app_id, {})
        for number, stored in versions.items():
            if is_tombstone(stored):
                stored |= FINISHED
            else:
                versions[number] = VersionTombstone(
                    versionNumber=number, deletedAt=app.deletedAt, deletedBy=app.deletedBy
                ).model_dump()
        self.apps[app_id] |= FINISHED

    def apps_deleted_halfway(
        self, pending_before: datetime.datetime, limit: int
    ) -> list[AppTombstone]:
        found = [
            AppTombstone.model_validate(stored)
            for stored in self.apps.values()
            if is_tombstone(stored)
            and (stored.get(PENDING_SINCE) or pending_before) < pending_before
        ]
        return sorted(found, key=lambda tombstone: tombstone.pendingSince or pending_before)[:limit]

    def deleted_app(self, app_id: str) -> AppTombstone | None:
        stored = self.apps.get(app_id)
        if stored is None or not is_tombstone(stored):
            return None
        return AppTombstone.model_validate(stored)

    def _live_version(self, app_id: str, number: int) -> Version | None:
        stored = self.version_docs.get(app_id, {}).get(number)
        self.version_documents_read += stored is not None
        if stored is None or is_tombstone(stored):
            return None
        return Version.model_validate(stored)

    def create_large_upload(self, upload_id: str, record: dict) -> None:
        if upload_id in self.uploads:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # AlreadyExists
        self.uploads[upload_id] = dict(record)

    def claim_large_upload(
        self, upload_id: str, account_id: str, at: datetime.datetime
    ) -> dict | None:
        """Marks the upload used, once: None when unknown, another account's, used, or being
        deleted by the sweep."""
        record = self.uploads.get(upload_id)
        if record is None or record["accountId"] != account_id:
            return None
        if record.get("claimed") or record.get("abandoned"):
            return None
        self.uploads[upload_id] = {**record, "claimed": True, "claimedAt": at}
        self.claims.append(upload_id)
        return dict(record)

    def release_large_upload(self, upload_id: str) -> None:
        if upload_id not in self.uploads:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # NotFound
        self.uploads[upload_id] = {**self.uploads[upload_id], "claimed": False}
        self.releases.append(upload_id)

    def abandoned_large_uploads(self, expired_before: datetime.datetime, limit: int) -> list[str]:
        """Like the adapter's query, which matches no record without both fields."""
        found = [
            (record["urlExpiresAt"], upload_id)
            for upload_id, record in self.uploads.items()
            if record.get("urlExpiresAt", expired_before) < expired_before
        ]
        return [upload_id for _, upload_id in sorted(found)[:limit]]

    def abandon_large_upload(
        self, upload_id: str, claimed_before: datetime.datetime
    ) -> list[str] | None:
        record = self.uploads.get(upload_id)
        if record is None or claimed_since(record, claimed_before):
            return None
        self.uploads[upload_id] = {**record, "abandoned": True}
        return large_upload_files(record)

    def object_in_use(self, object_name: str) -> bool:
        return any(
            version.objectName == object_name
            for app_id in self.version_docs
            for version in self.versions(app_id)
        )

    def delete_large_upload(self, upload_id: str) -> None:
        self.uploads.pop(upload_id, None)


class FakeDownloadLog:
    """Download events, counted on their version in `applications`, like
    `firestore_downloads.DownloadJournal` (one commit: a missing version stores nothing)."""

    def __init__(self, applications: FakeApplicationStore) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self._applications = applications

    def record(self, event: DownloadEvent) -> None:
        version = self._applications.version_docs.get(event.appId, {}).get(event.versionNumber)
        if version is None or event.id in self.events:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # NotFound, exists
        self.events[event.id] = event.model_dump()
        version["downloadCount"] = version.get("downloadCount", 0) + 1

    def newest(
        self, app_id: str, version: int | None, limit: int, after: TimeCursor | None
    ) -> list[DownloadEvent]:
        found = [DownloadEvent.model_validate(e) for e in self.events.values()]
        mine = [
            e
            for e in found
            if e.appId == app_id and version in (None, e.versionNumber)
            if after is None or (e.at, e.id) < (after.at, after.id)
        ]
        return sorted(mine, key=lambda e: (e.at, e.id), reverse=True)[:limit]


@dataclass(frozen=True)
class WindowIncrement:
    window_id: str
    expires_at: datetime.datetime
    count: int


class FakeRateLimitWindows:
    """Per-window request counters, like `RateLimitWindows` (an atomic server-side increment)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.calls: list[WindowIncrement] = []

    def increment(self, window_id: str, expires_at: datetime.datetime) -> int:
        self.counts[window_id] = self.counts.get(window_id, 0) + 1
        self.calls.append(WindowIncrement(window_id, expires_at, self.counts[window_id]))
        return self.counts[window_id]


class FakeResolver:
    """A DNS for `UrlFetcher`: names map to address lists; any other name does not resolve."""

    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names: dict[str, list[str]] = dict(names or {})
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.names:
            raise InvalidRequest(f"host {host!r} does not resolve")  # as system_resolver
        return list(self.names[host])


class FakeWeb:
    """HTTP servers behind `httpx.MockTransport`, for the real `UrlFetcher`.

    Routes are keyed by (Host header, path), so a request only lands if the fetcher connected to
    the pinned address with the right Host; `install` makes every `httpx.Client` the fetcher
    builds use this transport, so nothing touches a socket.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}
        self.requests: list[httpx.Request] = []

    def serve(self, url: str, content: bytes, status: int = 200) -> str:
        self.route(url, lambda request: httpx.Response(status, content=content))
        return url

    def redirect(self, url: str, location: str, status: int = 302) -> str:
        self.route(url, lambda request: httpx.Response(status, headers={"Location": location}))
        return url

    def route(self, url: str, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        parts = httpx.URL(url)
        default = {"http": 80, "https": 443}[parts.scheme]
        host = parts.host if parts.port in (None, default) else f"{parts.host}:{parts.port}"
        self.routes[(host, parts.raw_path.decode())] = answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.headers["Host"], request.url.raw_path.decode()))
        return httpx.Response(404) if answer is None else answer(request)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        transport = httpx.MockTransport(self.handle)
        real_client = httpx.Client

        class MockedClient(real_client):  # type: ignore[misc, valid-type]
            def __init__(self, **options: Any) -> None:
                super().__init__(transport=transport, **options)

        monkeypatch.setattr(url_fetch.httpx, "Client", MockedClient)


@dataclass(frozen=True)
class ScheduledTask:
    task_id: str
    url: str
    payload: dict
    at: datetime.datetime


class FakeScheduler:
    """Records tasks; like Cloud Tasks, a second task with an existing id is dropped."""

    def __init__(self) -> None:
        self.tasks: dict[str, ScheduledTask] = {}
        self.calls: list[ScheduledTask] = []

    def schedule(self, task_id: str, url: str, payload: dict, at: datetime.datetime) -> None:
        task = ScheduledTask(task_id, url, dict(payload), at)
        self.calls.append(task)
        self.tasks.setdefault(task_id, task)


class FakeClock:
    """`deps.clock` in tests: the real time until a test sets `now`; then `now`, moved on by
    `step` at every reading when a step is set. The fakes that expire things read it too."""

    def __init__(self) -> None:
        self.now: datetime.datetime | None = None
        self.step: datetime.timedelta | None = None

    def __call__(self) -> datetime.datetime:
        if self.now is None:
            return utc_now()
        if self.step:
            self.now += self.step
        return self.now


class FakeDeliveries:
    """Once-only markers of email deliveries, like `firestore_notifications.DeliveryLedger`."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.deliveries: dict[str, dict[str, Any]] = {}
        self._clock = clock

    def claim(self, delivery_id: str, lease: datetime.timedelta) -> Claim:
        now = self._clock()
        current = self.deliveries.get(delivery_id)
        if current is not None:
            if current["status"] not in ("sending", "retry"):
                return Claim.DONE
            if current["status"] == "sending" and current["leaseUntil"] > now:
                return Claim.BUSY
        self.deliveries[delivery_id] = {"status": "sending", "leaseUntil": now + lease}
        return Claim.CLAIMED

    def finish(self, delivery_id: str, status: str, reason: str | None = None) -> None:
        self.deliveries[delivery_id] = {"status": status, "reason": reason, "finishedAt": utc_now()}

    def outcome(self, delivery_id: str) -> tuple[str, str | None]:
        delivery = self.deliveries[delivery_id]
        return delivery["status"], delivery.get("reason")

    def release(self, delivery_id: str) -> None:
        self.deliveries[delivery_id] = {"status": "retry", "releasedAt": utc_now()}


class FakeHookStore:
    """An account's webhooks, like `firestore_webhooks.HookStore`."""

    def __init__(self) -> None:
        self.hooks: dict[str, Hook] = {}

    def add_hook(self, hook: Hook, max_hooks: int) -> bool:
        if len(self.hooks_of_account(hook.accountId)) >= max_hooks:
            return False
        if hook.id in self.hooks:
            raise Conflict(f"hook {hook.id} exists")  # as Firestore's create
        self.hooks[hook.id] = hook
        return True

    def hooks_of_account(self, account_id: str) -> list[Hook]:
        hooks = [hook for hook in self.hooks.values() if hook.accountId == account_id]
        return sorted(hooks, key=lambda hook: (hook.createdAt, hook.id))

    def get_hook(self, hook_id: str) -> Hook | None:
        return self.hooks.get(hook_id)

    def delete_hook(self, hook: Hook) -> None:
        self.hooks.pop(hook.id, None)


class FakeHookDeliveries:
    """Each (hook, event)'s delivery record, like `firestore_webhooks.HookDeliveryLog`."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def claim(
        self,
        delivery_id: str,
        hook_id: str,
        event: tuple[str, EventType],
        lease: datetime.timedelta,
        now: datetime.datetime,
    ) -> Claim:
        current = self.records.get(delivery_id)
        if current is not None:
            if current["state"] in (DeliveryState.DELIVERED, DeliveryState.FAILED):
                return Claim.DONE
            if current["state"] == DeliveryState.SENDING and current["leaseUntil"] > now:
                return Claim.BUSY
        event_id, event_type = event
        record = current or {
            "hookId": hook_id,
            "eventId": event_id,
            "eventType": event_type,
            "firstAttemptAt": now,
        }
        record.update(
            state=DeliveryState.SENDING,
            attempts=record.get("attempts", 0) + 1,
            lastAttemptAt=now,
            leaseUntil=now + lease,
        )
        self.records[delivery_id] = record
        return Claim.CLAIMED

    def finish(
        self,
        delivery_id: str,
        state: DeliveryState,
        status_code: int | None,
        error: str | None,
        now: datetime.datetime,
    ) -> None:
        record = self.records[delivery_id]  # Firestore's update fails on a missing document
        record.update(state=state, statusCode=status_code, lastError=error)
        if state is DeliveryState.DELIVERED:
            record["deliveredAt"] = now

    def deliveries(
        self, hook_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[Delivery], TimeCursor | None]:
        found = sorted(
            (
                Delivery.model_validate(record)
                for record in self.records.values()
                if record["hookId"] == hook_id
            ),
            key=Delivery.cursor,
            reverse=True,
        )
        if after is not None:
            found = [delivery for delivery in found if delivery.cursor() < after]
        page = found[:limit]
        return page, page[-1].cursor() if len(found) > limit else None


class FakeMailer:
    """Records every email instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[RenderedEmail] = []

    def send(self, email: RenderedEmail) -> None:
        self.sent.append(email)


class AllSettings(
    BuildApiSettings,
    BuildFinalizedSettings,
    BuildUploadExpirySettings,
    ApplicationApiSettings,
    EmailWorkerSettings,
    InstallPagesSettings,
    RetentionSweeperSettings,
    HashWorkerSettings,
    WebhookWorkerSettings,
    BundleConverterSettings,
):
    """Every function's settings in one class: its Dependencies suit every service."""


def make_settings(**overrides: Any) -> AllSettings:
    """A valid AllSettings whose values all come from here, never from the environment."""
    values: dict[str, Any] = {
        "google_cloud_project": "apkdrop-test",
        "region": "europe-west1",
        "upload_bucket": BUCKET,
        "upload_expiry_queue": "upload-expiry",
        "upload_expiry_url": EXPIRY_URL,
        "signing_credentials_file": None,
        "signing_service_account_email": "signer@apkdrop-test.iam.gserviceaccount.com",
        "firestore_emulator_host": None,
        "storage_emulator_host": None,
        "cloud_tasks_emulator_host": None,
        "public_base_url": "https://apkdrop.example.test",
        "tasks_invoker_service_account": "tasks@apkdrop-test.iam.gserviceaccount.com",
        "email_queue": "notification-email",
        "email_worker_url": "https://email.example.test/send",
        "email_from": "apkdrop@example.test",
        "retention_sweeper_url": SWEEPER_URL,
        "retention_scheduler_service_account": "scheduler@apkdrop-test.iam.gserviceaccount.com",
        "hash_queue": "hashes",
        "hash_worker_url": HASH_WORKER_URL,
        "webhook_queue": "webhooks",
        "webhook_worker_url": WEBHOOK_WORKER_URL,
        "webhook_signing_key": "a-test-key-for-webhook-secrets-0123456789",
        "bundle_conversion_queue": "bundle-conversions",
        "bundle_converter_url": CONVERTER_URL,
    }
    values.update(overrides)
    return AllSettings(**values)


class FakeSignInTokens:
    """The token of each sign-in request, by hash, like `firestore_sign_in.SignInTokens`."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.tokens: dict[str, dict[str, Any]] = {}
        self._clock = clock

    def issue(
        self, request_id: str, token_hash: str, target: LinkTarget, expire_at: datetime.datetime
    ) -> None:
        self.tokens[request_id] = {
            "tokenHash": token_hash,
            "email": target.email,
            "appId": target.app_id,
            "version": target.version,
            "channel": target.channel,
            "expireAt": expire_at,
            "used": False,
        }

    def redeem(self, request_id: str, token_hash: str) -> LinkTarget | None:
        target = self.peek(request_id, token_hash)
        if target is not None:
            self.tokens[request_id]["used"] = True
        return target

    def peek(self, request_id: str, token_hash: str) -> LinkTarget | None:
        token = self.tokens.get(request_id)
        if token is None or token["tokenHash"] != token_hash:
            return None
        if token["used"] or token["expireAt"] <= self._clock():
            return None
        return LinkTarget(token["email"], token["appId"], token["version"], token["channel"])


class FakeSessions:
    """Session records by the hash of their id, like `firestore_sessions.Sessions`."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.reads = 0
        self._clock = clock

    def create(self, session_hash: str, email: str, expire_at: datetime.datetime) -> None:
        if session_hash in self.sessions:
            raise BackendUnavailable("Firestore is unavailable, retry later")  # AlreadyExists
        self.sessions[session_hash] = {
            "email": email,
            "createdAt": self._clock(),
            "expireAt": expire_at,
            "revoked": False,
        }

    def email_of(self, session_hash: str) -> str | None:
        self.reads += 1
        record = self.sessions.get(session_hash)
        if record is None or record["revoked"] or record["expireAt"] <= self._clock():
            return None
        return record["email"]

    def revoke(self, session_hash: str) -> None:
        if session_hash in self.sessions:
            self.sessions[session_hash]["revoked"] = True


def fake_dependencies(**settings_overrides: Any) -> Dependencies[AllSettings]:
    """Dependencies over fresh fakes; the bucket takes its name from the settings.

    The URL fetcher is the real one over a `FakeResolver` (no name resolves until a test adds
    it to `deps.url_fetcher.resolver.names`); pair it with `FakeWeb.install` to fetch.
    `deps.clock` is a FakeClock, which the expiring fakes read too: set its `now` to stop time.
    """
    settings = make_settings(**settings_overrides)
    clock = FakeClock()
    bucket: Bucket = FakeBucket(settings.upload_bucket)  # the type checker holds it to the port
    applications = FakeApplicationStore()
    fakes: dict[str, Any] = {
        "settings": settings,
        "accounts": FakeAccounts(),
        "builds": FakeBuildStore(),
        "bucket": bucket,
        "expiry_queue": FakeScheduler(),
        "applications": applications,
        "rate_limits": FakeRateLimitWindows(),
        "url_fetcher": UrlFetcher.from_settings(settings, FakeResolver()),
        "email_queue": FakeScheduler(),
        "hash_queue": FakeScheduler(),
        "conversion_queue": FakeScheduler(),
        "deliveries": FakeDeliveries(clock),
        "mailer": FakeMailer(),
        "sign_in_tokens": FakeSignInTokens(clock),
        "sessions": FakeSessions(clock),
        "audit": FakeAuditLog(),
        "downloads": FakeDownloadLog(applications),
        "webhooks": FakeHookStore(),
        "webhook_deliveries": FakeHookDeliveries(),
        "webhook_queue": FakeScheduler(),
        "webhook_sender": HookSender.from_settings(settings, FakeResolver()),
        "clock": clock,
    }
    # Only what Dependencies declares, so a field being added or removed elsewhere breaks nothing.
    wanted = {field.name for field in dataclasses.fields(Dependencies)}
    return Dependencies(**{name: fake for name, fake in fakes.items() if name in wanted})


def fake_store(deps: Dependencies) -> "FakeApplicationStore":
    """The fake behind `deps.applications`, typed as such for a test's assertions."""
    assert isinstance(deps.applications, FakeApplicationStore)
    return deps.applications


def fake_bucket(deps: Dependencies) -> "FakeBucket":
    """The fake behind `deps.bucket`, typed as such for a test's assertions."""
    assert isinstance(deps.bucket, FakeBucket)
    return deps.bucket


class ScriptedMailer(FakeMailer):
    """A FakeMailer whose next sends raise the queued errors, in order, before it succeeds.

    `attempts` counts every call, `sent` (inherited) only the emails that went out.
    """

    def __init__(self, *failures: Exception) -> None:
        super().__init__()
        self.failures: list[Exception] = list(failures)
        self.attempts: list[RenderedEmail] = []

    def send(self, email: RenderedEmail) -> None:
        self.attempts.append(email)
        if self.failures:
            raise self.failures.pop(0)
        super().send(email)


INSTALL_PAGE_TIME = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def install_page_app(
    store: FakeApplicationStore,
    app_id: str = "AppForInstallPages0001",
    *,
    package: str = "com.example.install",
    label: str | None = "Install Demo",
    access: str = "PUBLIC",
    allowed_users: tuple[str, ...] = (),
    accesses: tuple[tuple[str, tuple[str, ...]], ...] = (),
    owner_email: str | None = "owner@example.com",
    version_names: tuple[str | None, ...] = ("1.0",),
    release_notes: str | None = None,
    icon_object: str | None = None,
    file_type: Literal["APK", "AAB"] = "APK",
    channels: tuple[str, ...] = (),
) -> Application:
    """An app in `store` with one version per entry of `version_names` (numbered 1, 2, …),
    written as the upload service writes them (`create_app`, then `append_version`).

    Every version has `access` and `allowed_users`, unless `accesses` gives each its own, and
    is in the default channel, unless `channels` gives each its own."""
    from apkdrop.apk.models import ApkInfo
    from apkdrop.applications.models import (
        AccessType,
        ApplicationMetaData,
        PackageInfo,
    )

    each_access = accesses or ((access, allowed_users),) * len(version_names)
    each_channel = channels or (DEFAULT_CHANNEL,) * len(version_names)

    def version(number: int, version_name: str | None) -> Version:
        access_type, allowed = each_access[number - 1]
        info = ApkInfo(
            fileType=file_type,
            packageName=package,
            versionName=version_name,
            versionCode=number,
            minSdkVersion=24,
            targetSdkVersion=34,
            hasInstrumentation=False,
            appLabel=label,
        )
        return Version(
            versionNumber=number,
            application_meta_data=ApplicationMetaData(
                package_info=PackageInfo(version_name=version_name, version_code=number)
            ),
            apkInfo=info,
            size=3 * 1024 * 1024,
            sha256="ab" * 32,
            uploaderEmail=owner_email or "uploader@example.com",
            uploadTime=INSTALL_PAGE_TIME + datetime.timedelta(hours=number),
            accessType=AccessType(access_type),
            allowedUsers=list(allowed),
            releaseNotes=release_notes,
            objectName=f"applications/acct-install/{app_id}/{number}.apk",
            iconObject=icon_object,
            channel=each_channel[number - 1],
        )

    first, *later = version_names
    app = Application(
        id=app_id,
        accountId="acct-install",
        ownerEmail=owner_email,
        packageName=package,
        appLabel=label,
        dateCreated=INSTALL_PAGE_TIME,
        latest_application_version=1,
    )
    assert store.create_app(app, version(1, first), claim_package=False)
    for number, name in enumerate(later, start=2):
        app, _ = store.append_version(
            app_id, each_channel[number - 1], lambda _, n, name=name: version(n, name), {}
        )
    return app


def install_session_cookie(
    settings: SignInSettings,
    sessions: SessionRepository,
    email: str,
    now: datetime.datetime | None = None,
) -> str:
    """The value of the session cookie the install pages set for `email` at `now` (its record
    is in `sessions`)."""
    import flask

    from apkdrop.install_pages import session

    response = flask.Response()
    session.start_session(response, email, settings, sessions, now or utc_now())
    header = response.headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]
