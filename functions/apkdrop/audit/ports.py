"""What the audit trail needs from the database."""

from typing import Protocol

from apkdrop.audit.models import AuditEvent


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None: ...
