"""One management event of an account, as stored and as `GET /v1/audit` shows it."""

from enum import StrEnum

from pydantic import BaseModel, JsonValue

from apkdrop.accounts import Caller, KeyScope
from apkdrop.paging import Page, TimeCursor
from apkdrop.shared_models import Timestamp


class AuditAction(StrEnum):
    UPLOAD = "upload"
    ACCESS_CHANGE = "access_change"
    DELETE = "delete"
    PIN_CHANGE = "pin_change"
    RETENTION_CHANGE = "retention_change"
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

    def cursor(self) -> TimeCursor:
        return TimeCursor(self.at, self.id)


class AuditPage(Page[AuditEntry]):
    """`GET /v1/audit`: a page of the account's events, newest first."""
