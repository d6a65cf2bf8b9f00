"""Recording management events, and reading an account's trail back a page at a time."""

import logging
from collections.abc import Mapping

from pydantic import JsonValue

from apkdrop.accounts import Caller
from apkdrop.audit.models import Actor, AuditAction, AuditEntry, AuditEvent, AuditPage
from apkdrop.audit.ports import AuditLog
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.ids import new_opaque_id
from apkdrop.logs import log_fields
from apkdrop.paging import TIME_CURSOR, PageRequest, TimeCursor, page_token
from apkdrop.timeutil import Clock

log = logging.getLogger(__name__)


def record(
    deps: Dependencies[object],
    caller: Caller,
    action: AuditAction,
    target: str,
    details: Mapping[str, JsonValue] | None = None,
    event_id: str | None = None,
) -> AuditEvent:
    """Appends the event of an action that has been done. An action that may be recorded again
    (an upload's replay) names its `event_id`: a second append of it is a no-op."""
    return append_event(deps.audit, deps.clock, caller, action, target, details, event_id)


def append_event(
    audit: AuditLog,
    clock: Clock,
    caller: Caller,
    action: AuditAction,
    target: str,
    details: Mapping[str, JsonValue] | None = None,
    event_id: str | None = None,
) -> AuditEvent:
    """`record` for code that has an audit log but no Dependencies (the operator's key commands).

    The action stands whatever happens here: when Firestore fails, the event goes to the log
    (Cloud Logging keeps it) rather than turning a done deletion into an error to retry.
    """
    event = AuditEvent(
        id=event_id or new_opaque_id(),
        accountId=caller.id,
        at=clock(),
        actor=Actor.of(caller),
        action=action,
        target=target,
        details=dict(details or {}),
    )
    try:
        audit.append(event)
    except BackendUnavailable:
        log.error(
            "audit event not stored",
            extra=log_fields(auditEvent=event.model_dump(mode="json")),
        )
    return event


def account_events(
    deps: Dependencies[object], caller: Caller, page: PageRequest[TimeCursor]
) -> AuditPage:
    """The caller's account's events, newest first."""
    events, last = deps.audit.trail(caller.id, page.limit, page.after)
    return AuditPage(
        data=[AuditEntry.of(event) for event in events],
        nextPageToken=None if last is None else page_token(last, TIME_CURSOR),
    )
