"""The operator's key commands (`make api-key`, `make revoke-key`), recorded in the trail.

The operator acts with database access, not through an API key, so the event's actor is the
key concerned (its prefix and scope, its account's email) and its details say `via: operator`.
"""

from apkdrop.accounts import (
    AccountRepository,
    Caller,
    KeyScope,
    hash_api_key,
    issue_api_key_with_caller,
)
from apkdrop.audit.models import AuditAction
from apkdrop.audit.ports import AuditLog
from apkdrop.audit.service import append_event
from apkdrop.timeutil import Clock

OPERATOR = "operator"


def issue_key(
    accounts: AccountRepository, audit: AuditLog, clock: Clock, email: str, scope: KeyScope
) -> str:
    """A new key for `email` (its account created if new), recorded as `key_created`."""
    key, issued = issue_api_key_with_caller(accounts, email, scope)
    _record(audit, clock, issued, AuditAction.KEY_CREATED)
    return key


def revoke_key(accounts: AccountRepository, audit: AuditLog, clock: Clock, key: str) -> bool:
    """Deletes the key, recorded as `key_revoked`; False if there was no such key (only hashes
    are stored: the key itself names it)."""
    key_hash = hash_api_key(key.strip())
    # Read first: once deleted, nothing says whose key it was.
    revoked = accounts.account_for_key_hash(key_hash)
    if not accounts.delete_api_key(key_hash):
        return False
    if revoked is not None:
        _record(audit, clock, revoked, AuditAction.KEY_REVOKED)
    return True


def _record(audit: AuditLog, clock: Clock, key: Caller, action: AuditAction) -> None:
    target, details = f"apiKey:{key.keyPrefix}", {"scope": key.scope.value, "via": OPERATOR}
    append_event(audit, clock, key, action, target, details)
