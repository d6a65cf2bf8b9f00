"""One management event of an account, as stored and as `GET /v1/audit` shows it."""

from enum import StrEnum

from pydantic import BaseModel, JsonValue

from apkdrop.accounts import Caller, KeyScope
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


class AuditEvent(BaseModel):
    id: str
    accountId: str
    at: Timestamp
    actor: Actor
    action: AuditAction
    # The API path of what was acted on, e.g. /v1/application/{id}/versions/2.0.
    target: str
    details: dict[str, JsonValue] = {}
