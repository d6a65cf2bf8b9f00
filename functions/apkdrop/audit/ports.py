"""What the audit trail needs from the database."""

from typing import Protocol

from apkdrop.audit.models import AuditEvent
from apkdrop.paging import TimeCursor


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None:
        """Stores the event; one whose id is stored already is a no-op (the first stays)."""
        ...

    def trail(
        self, account_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[AuditEvent], TimeCursor | None]:
        """The account's events, newest first (ties by id, descending), after the cursor; and
        the cursor of the last one when more follow."""
        ...
