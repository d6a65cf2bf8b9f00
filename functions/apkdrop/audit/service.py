"""Recording management events."""

import logging

from pydantic import JsonValue

from apkdrop.accounts import Caller
from apkdrop.audit.models import Actor, AuditAction, AuditEvent
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.ids import new_opaque_id
from apkdrop.logs import log_fields

log = logging.getLogger(__name__)


def record(
    deps: Dependencies,
    caller: Caller,
    action: AuditAction,
    target: str,
    details: dict[str, JsonValue] | None = None,
) -> AuditEvent:
    """Appends the event of an action that has been done.

    The action stands whatever happens here: when Firestore fails, the event goes to the log
    (Cloud Logging keeps it) rather than turning a done deletion into an error to retry.
    """
    event = AuditEvent(
        id=new_opaque_id(),
        accountId=caller.id,
        at=deps.clock(),
        actor=Actor.of(caller),
        action=action,
        target=target,
        details=details or {},
    )
    try:
        deps.audit.append(event)
    except BackendUnavailable:
        log.error(
            "audit event not stored",
            extra=log_fields(auditEvent=event.model_dump(mode="json")),
        )
    return event
