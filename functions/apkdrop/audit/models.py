"""One management event of an account, as stored and as `GET /v1/audit` shows it."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, JsonValue, PlainSerializer, TypeAdapter

from apkdrop.accounts import Caller, KeyScope
from apkdrop.paging import Page
from apkdrop.shared_models import Timestamp


class AuditAction(StrEnum):
    UPLOAD = "upload"
    ACCESS_CHANGE = "access_change"
    DELETE = "delete"
    KEY_CREATED = "key_created"
    KEY_REVOKED = "key_revoked"


class Actor(BaseModel):
    """The key that acted, named by its prefix (never the key), and the account's email."""

    keyPrefix: str
    email: str
    scope: KeyScope

    @classmethod
    def of(cls, caller: Caller) -> "Actor":
        return cls(keyPrefix=caller.keyPrefix, email=caller.email, scope=caller.scope)


class AuditEntry(BaseModel):
    """One event as `GET /v1/audit` shows it."""

    id: str
    at: Timestamp
    actor: Actor
    action: AuditAction
    # The API path of what was acted on, e.g. /v1/application/{id}/versions/2.0.
    target: str
    details: dict[str, JsonValue] = {}

    @classmethod
    def of(cls, event: "AuditEvent") -> "AuditEntry":
        return cls.model_validate(event.model_dump(exclude={"accountId"}))


class AuditEvent(AuditEntry):
    """As stored: in the trail of the account it happened in."""

    accountId: str

    def cursor(self) -> "AuditCursor":
        return (self.at, self.id)


# Where a page of the trail (newest first) ends: the last event's time and id. In a page token
# at full precision: the API's milliseconds would skip or repeat events.
AuditCursor = tuple[
    Annotated[Timestamp, PlainSerializer(datetime.isoformat, return_type=str, when_used="json")],
    str,
]
CURSOR: TypeAdapter[AuditCursor] = TypeAdapter(AuditCursor)


class AuditPage(Page[AuditEntry]):
    """`GET /v1/audit`: a page of the account's events, newest first."""
