"""Firestore: the audit trail, one document per event."""

from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.audit.models import AuditEvent
from apkdrop.paging import TimeCursor


class AuditTrail:
    """`auditEvents/{id}`, each with its account's id, so one query reads an account's trail
    (served by the composite index accountId, at desc, id desc in terraform/firestore.tf)."""

    def __init__(self, client: firestore.Client) -> None:
        self._events = client.collection("auditEvents")

    @backend_call("Firestore")
    def append(self, event: AuditEvent) -> None:
        self._events.document(event.id).create(event.model_dump())

    @backend_call("Firestore")
    def trail(
        self, account_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[AuditEvent], TimeCursor | None]:
        query = (
            self._events.where(filter=firestore.FieldFilter("accountId", "==", account_id))
            .order_by("at", direction=firestore.Query.DESCENDING)
            .order_by("id", direction=firestore.Query.DESCENDING)
        )
        if after is not None:
            at, event_id = after
            query = query.start_after({"at": at, "id": event_id})
        # One more than asked for tells whether another page follows.
        found = [
            AuditEvent.model_validate(doc.to_dict()) for doc in query.limit(limit + 1).stream()
        ]
        page = found[:limit]
        return page, page[-1].cursor() if len(found) > limit else None
