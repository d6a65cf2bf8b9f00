"""Firestore: accounts, API keys, id counters, upload contexts and builds."""

import contextlib
import datetime
from collections.abc import Callable
from typing import TypeVar

from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from pydantic import BaseModel

from apkdrop.accounts import Account, Caller, KeyScope
from apkdrop.adapters.errors import backend_call
from apkdrop.builds.models import (
    StoredBuild,
    StoredContext,
    StoredProjectRetention,
    UploadState,
)
from apkdrop.settings import CoreSettings
from apkdrop.timeutil import utc_now

# Transactions here touch one build, so contention is rare; the emulator still aborts often.
TRANSACTION_ATTEMPTS = 10
# Build projects' retention policies, one document per account and project.
PROJECT_RETENTION = "buildRetention"


def create_client(settings: CoreSettings) -> firestore.Client:
    """A client for the real database, or for the emulator when one is configured."""
    if settings.firestore_emulator_host:
        return firestore.Client(
            project=settings.google_cloud_project, credentials=AnonymousCredentials()
        )
    return firestore.Client(project=settings.google_cloud_project)


class AccountStore:
    """Accounts by email, and API keys by the SHA-256 of the key (the key itself is never kept)."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    @backend_call("Firestore")
    def account_for_key_hash(self, key_hash: str) -> Caller | None:
        key = self._db.collection("apiKeys").document(key_hash).get()
        if not key.exists:
            return None
        account = self._db.collection("accounts").document(key.get("accountId")).get()
        if not account.exists:
            return None
        stored = key.to_dict() or {}
        return Caller(
            id=account.id,
            email=account.get("email"),
            keyPrefix=stored.get("prefix", ""),
            # Keys issued before scopes existed could do everything, and still may.
            scope=KeyScope(stored.get("scope", KeyScope.ADMIN)),
        )

    @backend_call("Firestore")
    def ensure_account(self, email: str, new_id: str) -> Account:
        """Returns the account for `email`, creating it with `new_id` when there is none."""
        index = self._db.collection("accountEmails").document(email)

        @firestore.transactional
        def claim(transaction: firestore.Transaction) -> str:
            existing = index.get(transaction=transaction)
            if existing.exists:
                return existing.get("accountId")
            transaction.create(index, {"accountId": new_id})
            transaction.create(
                self._db.collection("accounts").document(new_id),
                {"email": email, "dateCreated": utc_now()},
            )
            return new_id

        account_id = claim(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))
        return Account(id=account_id, email=email)

    @backend_call("Firestore")
    def add_api_key(self, account_id: str, key_hash: str, key_prefix: str, scope: KeyScope) -> None:
        self._db.collection("apiKeys").document(key_hash).create(
            {
                "accountId": account_id,
                "prefix": key_prefix,
                "scope": scope.value,
                "dateCreated": utc_now(),
            }
        )

    @backend_call("Firestore")
    def delete_api_key(self, key_hash: str) -> bool:
        """Deletes the key in one write that requires it to exist: False when it did not."""
        try:
            self._db.collection("apiKeys").document(key_hash).delete(
                option=self._db.write_option(exists=True)
            )
        except api_exceptions.NotFound:
            return False
        return True


class BuildStore:
    """Upload contexts and builds, each under a global integer id."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    @backend_call("Firestore")
    def next_id(self, sequence: str) -> int:
        """Allocates the next id of `sequence` with an atomic server-side increment.

        The increment commits as one transaction on the counter document, so ids stay unique
        under any concurrency without the retries a read-modify-write transaction would need.
        """
        counter = self._db.collection("counters").document(sequence)
        result = counter.set({"value": firestore.Increment(1)}, merge=True)
        return result.transform_results[0].integer_value

    @backend_call("Firestore")
    def ensure_project(self, account_id: str, project_name: str) -> None:
        project = (
            self._db.collection("accounts").document(account_id).collection("projects")
        ).document(project_name)
        with contextlib.suppress(api_exceptions.AlreadyExists):
            project.create({"name": project_name, "dateCreated": utc_now()})

    @backend_call("Firestore")
    def create_context(self, context: StoredContext) -> None:
        self._contexts.document(str(context.id)).create(context.model_dump())

    @backend_call("Firestore")
    def get_context(self, context_id: int) -> StoredContext | None:
        snapshot = self._contexts.document(str(context_id)).get()
        return StoredContext.model_validate(snapshot.to_dict()) if snapshot.exists else None

    @backend_call("Firestore")
    def update_context(
        self, context_id: int, decide: Callable[[StoredContext], dict | None]
    ) -> StoredContext | None:
        """As `update_build`, for a context."""
        return _update(self._db, self._contexts.document(str(context_id)), StoredContext, decide)

    @backend_call("Firestore")
    def create_build(self, build: StoredBuild) -> None:
        self._builds.document(str(build.id)).create(build.model_dump(mode="python"))

    @backend_call("Firestore")
    def get_build(self, build_id: int) -> StoredBuild | None:
        snapshot = self._builds.document(str(build_id)).get()
        return StoredBuild.model_validate(snapshot.to_dict()) if snapshot.exists else None

    @backend_call("Firestore")
    def builds_of_context(self, context_id: int) -> list[StoredBuild]:
        query = self._builds.where(filter=firestore.FieldFilter("contextId", "==", context_id))
        builds = [StoredBuild.model_validate(doc.to_dict()) for doc in query.stream()]
        return sorted(builds, key=lambda build: build.id)

    @backend_call("Firestore")
    def previous_finished_build(self, build: StoredBuild) -> StoredBuild | None:
        """Served by the index builds_of_project_by_type (terraform/firestore.tf)."""
        equal = {
            "accountId": build.accountId,
            "projectName": build.projectName,
            "buildType": build.buildType.value,
            "uploadState": UploadState.FINISHED.value,
        }
        query = self._builds
        for name, value in equal.items():
            query = query.where(filter=firestore.FieldFilter(name, "==", value))
        query = (
            query.where(filter=firestore.FieldFilter("contextId", "<", build.contextId))
            .order_by("contextId", direction=firestore.Query.DESCENDING)
            .order_by("id", direction=firestore.Query.DESCENDING)
            .limit(1)
        )
        found = [StoredBuild.model_validate(doc.to_dict()) for doc in query.stream()]
        return found[0] if found else None

    @backend_call("Firestore")
    def update_build(
        self, build_id: int, decide: Callable[[StoredBuild], dict | None]
    ) -> StoredBuild | None:
        """Reads the build and writes what `decide` returns, in one transaction.

        `decide` sees the current build and returns the fields to change, or None to leave it.
        Returns the build as it is after the transaction (None when it does not exist).
        """
        return _update(self._db, self._builds.document(str(build_id)), StoredBuild, decide)

    @backend_call("Firestore")
    def project_retention(
        self, account_id: str, project_name: str
    ) -> StoredProjectRetention | None:
        snapshot = self._retention(account_id, project_name).get()
        if not snapshot.exists:
            return None
        return StoredProjectRetention.model_validate(snapshot.to_dict())

    @backend_call("Firestore")
    def set_project_retention(self, retention: StoredProjectRetention) -> None:
        self._retention(retention.accountId, retention.projectName).set(retention.model_dump())

    @backend_call("Firestore")
    def remove_project_retention(self, account_id: str, project_name: str) -> None:
        self._retention(account_id, project_name).delete()

    @backend_call("Firestore")
    def projects_with_retention(self) -> list[StoredProjectRetention]:
        documents = self._db.collection(PROJECT_RETENTION).stream()
        return [StoredProjectRetention.model_validate(doc.to_dict()) for doc in documents]

    @backend_call("Firestore")
    def live_contexts_before(
        self, account_id: str, project_name: str, before: datetime.datetime, limit: int
    ) -> list[StoredContext]:
        """Served by the index live_contexts_of_project (terraform/firestore.tf)."""
        return [
            StoredContext.model_validate(doc.to_dict())
            for doc in live_contexts_query(self._db, account_id, project_name, before)
            .limit(limit)
            .stream()
        ]

    @backend_call("Firestore")
    def contexts_pending_retention(self, limit: int) -> list[StoredContext]:
        query = self._contexts.where(filter=firestore.FieldFilter("retentionPending", "==", True))
        return [StoredContext.model_validate(doc.to_dict()) for doc in query.limit(limit).stream()]

    def _retention(self, account_id: str, project_name: str) -> firestore.DocumentReference:
        # Project names have no ':' (ids.PROJECT_NAME): the pair names one document.
        return self._db.collection(PROJECT_RETENTION).document(f"{account_id}:{project_name}")

    @property
    def _contexts(self) -> firestore.CollectionReference:
        return self._db.collection("buildUploads")

    @property
    def _builds(self) -> firestore.CollectionReference:
        return self._db.collection("builds")


def live_contexts_query(
    db: firestore.Client, account_id: str, project_name: str, before: datetime.datetime
) -> firestore.Query:
    """A project's contexts not deleted, created before `before`, oldest first."""
    return (
        db.collection("buildUploads")
        .where(filter=firestore.FieldFilter("accountId", "==", account_id))
        .where(filter=firestore.FieldFilter("projectName", "==", project_name))
        .where(filter=firestore.FieldFilter("dateDeleted", "==", None))
        .where(filter=firestore.FieldFilter("dateCreated", "<", before))
        .order_by("dateCreated")
    )


Record = TypeVar("Record", bound=BaseModel)


def _update(
    db: firestore.Client,
    reference: firestore.DocumentReference,
    model: type[Record],
    decide: Callable[[Record], dict | None],
) -> Record | None:
    """Reads one document and writes what `decide` returns, in one transaction."""

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> Record | None:
        snapshot = reference.get(transaction=transaction)
        if not snapshot.exists:
            return None
        current = model.model_validate(snapshot.to_dict())
        changes = decide(current)
        if not changes:
            return current
        transaction.update(reference, changes)
        return model.model_validate({**current.model_dump(), **changes})

    return apply(db.transaction(max_attempts=TRANSACTION_ATTEMPTS))
