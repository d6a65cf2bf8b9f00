"""Accounts and API keys: issuing a key, and finding the account behind a request's key."""

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Protocol

from pydantic import BaseModel
from werkzeug.datastructures import Headers

from apkdrop.errors import InvalidRequest, Unauthenticated

KEY_PREFIX = "apkd_"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_CHARS = 254  # the longest address SMTP can carry (RFC 5321)


def is_email(address: str) -> bool:
    return len(address) <= MAX_EMAIL_CHARS and EMAIL.match(address) is not None


class Account(BaseModel):
    id: str
    email: str


class AccountRepository(Protocol):
    def account_for_key_hash(self, key_hash: str) -> Account | None: ...
    def ensure_account(self, email: str, new_id: str) -> Account: ...
    def add_api_key(self, account_id: str, key_hash: str, key_prefix: str) -> None: ...
    def delete_api_key(self, key_hash: str) -> bool: ...


def hash_api_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_key(accounts: AccountRepository, email: str) -> str:
    """Creates the account for `email` if it is new, and returns a new key for it."""
    normalized = email.strip().lower()
    if not EMAIL.match(normalized):
        raise InvalidRequest(f"Invalid email address: {email!r}")
    account = accounts.ensure_account(normalized, new_id=uuid.uuid4().hex)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    accounts.add_api_key(account.id, hash_api_key(key), key[: len(KEY_PREFIX) + 4])
    return key


def revoke_api_key(accounts: AccountRepository, key: str) -> bool:
    """Deletes the key; False if no such key exists (only hashes are stored: the key names it)."""
    return accounts.delete_api_key(hash_api_key(key.strip()))


def api_key_from_headers(headers: Headers | Mapping[str, str]) -> str | None:
    """`X-Api-Key: KEY`, or `Authorization: Bearer KEY`."""
    if key := headers.get("X-Api-Key", "").strip():
        return key
    scheme, _, credentials = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def authenticate(accounts: AccountRepository, headers: Headers | Mapping[str, str]) -> Account:
    """The account whose key the request carries."""
    key = api_key_from_headers(headers)
    if key is None:
        raise Unauthenticated("Missing API Key")
    account = accounts.account_for_key_hash(hash_api_key(key))
    if account is None:
        raise Unauthenticated("Invalid API Key")
    return account
