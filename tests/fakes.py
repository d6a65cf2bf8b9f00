"""In-memory stand-ins for the adapters, matching the Protocols in `apkdrop.builds.ports`.

They keep records as plain dicts and validate on every read, as the Firestore adapter does, so a
service that forgets to write a change back cannot pass by mutating a shared object.
"""

import base64
import datetime
import hashlib
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from apkdrop.accounts import Account
from apkdrop.builds.models import StorageObject, StoredBuild, StoredContext
from apkdrop.dependencies import Dependencies
from apkdrop.errors import ObjectGone
from apkdrop.settings import Settings
from apkdrop.timeutil import utc_now

BUCKET = "apkdrop-test-uploads"
EXPIRY_URL = "https://expiry.example.test/expire"


class FakeAccounts:
    """Accounts by email and API keys by hash, like `firestore.AccountStore`."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.account_by_email: dict[str, str] = {}
        self.key_hashes: dict[str, str] = {}
        self.key_prefixes: dict[str, str] = {}

    def account_for_key_hash(self, key_hash: str) -> Account | None:
        account_id = self.key_hashes.get(key_hash)
        return None if account_id is None else self.accounts.get(account_id)

    def ensure_account(self, email: str, new_id: str) -> Account:
        account_id = self.account_by_email.setdefault(email, new_id)
        return self.accounts.setdefault(account_id, Account(id=account_id, email=email))

    def add_api_key(self, account_id: str, key_hash: str, key_prefix: str) -> None:
        if key_hash in self.key_hashes:
            raise AssertionError(f"API key hash {key_hash} stored twice")
        self.key_hashes[key_hash] = account_id
        self.key_prefixes[key_hash] = key_prefix


class FakeBuildStore:
    """Id counters, projects, contexts and builds, like `firestore.BuildStore`."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.projects: set[tuple[str, str]] = set()
        self.contexts: dict[int, dict[str, Any]] = {}
        self.builds: dict[int, dict[str, Any]] = {}

    def next_id(self, sequence: str) -> int:
        self.counters[sequence] = self.counters.get(sequence, 0) + 1
        return self.counters[sequence]

    def ensure_project(self, account_id: str, project_name: str) -> None:
        self.projects.add((account_id, project_name))

    def create_context(self, context: StoredContext) -> None:
        if context.id in self.contexts:
            raise AssertionError(f"context {context.id} created twice")
        self.contexts[context.id] = context.model_dump()

    def get_context(self, context_id: int) -> StoredContext | None:
        stored = self.contexts.get(context_id)
        return None if stored is None else StoredContext.model_validate(stored)

    def create_build(self, build: StoredBuild) -> None:
        if build.id in self.builds:
            raise AssertionError(f"build {build.id} created twice")
        self.builds[build.id] = build.model_dump(mode="python")

    def get_build(self, build_id: int) -> StoredBuild | None:
        stored = self.builds.get(build_id)
        return None if stored is None else StoredBuild.model_validate(stored)

    def builds_of_context(self, context_id: int) -> list[StoredBuild]:
        found = [StoredBuild.model_validate(b) for b in self.builds.values()]
        return sorted((b for b in found if b.contextId == context_id), key=lambda b: b.id)

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


@dataclass(frozen=True)
class SignedUrlCall:
    object_name: str
    headers: dict[str, str]
    ttl: datetime.timedelta
    url: str


class FakeBucket:
    """Objects by name with their current generation; signing only records what was asked."""

    def __init__(self, name: str = BUCKET) -> None:
        self._name = name
        self.objects: dict[str, tuple[bytes, StorageObject]] = {}
        self.signed: list[SignedUrlCall] = []
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
            crc32c="AAAAAA==",
            metadata=dict(metadata or {}),
            timeCreated=utc_now(),
        )
        self.objects[object_name] = (data, stored)
        return stored

    def find_object(self, object_name: str) -> StorageObject | None:
        found = self.objects.get(object_name)
        return None if found is None else found[1]

    @contextmanager
    def open_object(self, object_name: str, generation: int) -> Iterator[BinaryIO]:
        found = self.objects.get(object_name)
        if found is None or found[1].generation != generation:
            raise ObjectGone(f"gs://{self._name}/{object_name}#{generation}")
        yield io.BytesIO(found[0])


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


def make_settings(**overrides: Any) -> Settings:
    """A valid Settings whose values all come from here, never from the environment."""
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
    }
    values.update(overrides)
    return Settings(**values)


def fake_dependencies(**settings_overrides: Any) -> Dependencies:
    """Dependencies over fresh fakes; the bucket takes its name from the settings."""
    settings = make_settings(**settings_overrides)
    return Dependencies(
        settings=settings,
        accounts=FakeAccounts(),
        builds=FakeBuildStore(),
        bucket=FakeBucket(settings.upload_bucket),
        expiry_queue=FakeScheduler(),
    )
