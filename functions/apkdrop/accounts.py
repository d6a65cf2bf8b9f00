"""Accounts and API keys: issuing a key, and finding the account behind a request's key."""

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel
from werkzeug.datastructures import Headers

from apkdrop.errors import Forbidden, InvalidRequest, Unauthenticated

KEY_PREFIX = "apkd_"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_CHARS = 254  # the longest address SMTP can carry (RFC 5321)


def is_email(address: str) -> bool:
    return len(address) <= MAX_EMAIL_CHARS and EMAIL.match(address) is not None


UPLOAD_ONLY = "This API key may only upload; use an admin key"


class KeyScope(StrEnum):
    """What an API key may do: CI gets `upload`; changing or deleting anything needs `admin`."""

    UPLOAD = "upload"
    ADMIN = "admin"


class Account(BaseModel):
    id: str
    email: str


class Caller(Account):
    """The account as one request's API key acts for it."""

    keyPrefix: str
    scope: KeyScope


class AccountRepository(Protocol):
    def account_for_key_hash(self, key_hash: str) -> Caller | None: ...
    def ensure_account(self, email: str, new_id: str) -> Account: ...
    def add_api_key(
        self, account_id: str, key_hash: str, key_prefix: str, scope: KeyScope
    ) -> None: ...
    def delete_api_key(self, key_hash: str) -> bool: ...


def hash_api_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_key(accounts: AccountRepository, email: str, scope: KeyScope = KeyScope.ADMIN) -> str:
    """Creates the account for `email` if it is new, and returns a new key for it.

    Records nothing: the operator's command is `audit.keys.issue_key`, which records it.
    """
    return issue_api_key_with_caller(accounts, email, scope)[0]


def issue_api_key_with_caller(
    accounts: AccountRepository, email: str, scope: KeyScope
) -> tuple[str, Caller]:
    """As `issue_api_key`, with the caller the new key acts as (no read back to find it)."""
    normalized = email.strip().lower()
    if not EMAIL.match(normalized):
        raise InvalidRequest(f"Invalid email address: {email!r}")
    account = accounts.ensure_account(normalized, new_id=uuid.uuid4().hex)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    accounts.add_api_key(account.id, hash_api_key(key), key_prefix(key), scope)
    return key, Caller(id=account.id, email=account.email, keyPrefix=key_prefix(key), scope=scope)


def key_prefix(key: str) -> str:
    """What names a key in logs and the audit trail: too short to use, enough to recognise."""
    return key[: len(KEY_PREFIX) + 4]


def api_key_from_headers(headers: Headers | Mapping[str, str]) -> str | None:
    """`X-Api-Key: KEY`, or `Authorization: Bearer KEY`."""
    if key := headers.get("X-Api-Key", "").strip():
        return key
    scheme, _, credentials = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def authenticate(accounts: AccountRepository, headers: Headers | Mapping[str, str]) -> Caller:
    """The account whose key the request carries, with that key's scope."""
    key = api_key_from_headers(headers)
    if key is None:
        raise Unauthenticated("Missing API Key")
    account = accounts.account_for_key_hash(hash_api_key(key))
    if account is None:
        raise Unauthenticated("Invalid API Key")
    return account


def authenticate_admin(accounts: AccountRepository, headers: Headers | Mapping[str, str]) -> Caller:
    """As `authenticate`, refusing (403) a key that may only upload."""
    caller = authenticate(accounts, headers)
    if caller.scope is not KeyScope.ADMIN:
        raise Forbidden(UPLOAD_ONLY)
    return caller
