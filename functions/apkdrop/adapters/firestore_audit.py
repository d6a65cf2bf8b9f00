"""Firestore: the audit trail, one document per event."""

from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.audit.models import AuditEvent


class AuditTrail:
    """`auditEvents/{id}`, each with its account's id, so one query reads an account's trail."""

    def __init__(self, client: firestore.Client) -> None:
        self._events = client.collection("auditEvents")

    @backend_call("Firestore")
    def append(self, event: AuditEvent) -> None:
        self._events.document(event.id).create(event.model_dump())
