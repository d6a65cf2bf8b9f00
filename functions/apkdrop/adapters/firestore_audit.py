"""Firestore: the audit trail, one document per event."""

import contextlib

from google.api_core import exceptions as api_exceptions
from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.adapters.firestore_paging import newest_first
from apkdrop.audit.models import AuditEvent
from apkdrop.paging import TimeCursor


class AuditTrail:
    """`auditEvents/{id}`, each with its account's id, so one query reads an account's trail
    (served by the composite index accountId, at desc, id desc in terraform/firestore.tf)."""

    def __init__(self, client: firestore.Client) -> None:
        self._events = client.collection("auditEvents")

    @backend_call("Firestore")
    def append(self, event: AuditEvent) -> None:
        with contextlib.suppress(api_exceptions.AlreadyExists):  # recorded before
            self._events.document(event.id).create(event.model_dump())

    @backend_call("Firestore")
    def trail(
        self, account_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[AuditEvent], TimeCursor | None]:
        query = self._events.where(filter=firestore.FieldFilter("accountId", "==", account_id))
        return newest_first(query, ("at", "id"), AuditEvent.model_validate, limit, after)
