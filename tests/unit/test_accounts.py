"""API keys: how they are stored, read from requests and checked."""

import pytest
from werkzeug.datastructures import Headers

from apkdrop.accounts import (
    KEY_PREFIX,
    KeyScope,
    api_key_from_headers,
    authenticate,
    authenticate_admin,
    hash_api_key,
    issue_api_key,
)
from apkdrop.errors import Forbidden, InvalidRequest, Unauthenticated
from tests.fakes import FakeAccounts


def test_hash_is_stable_and_never_the_key() -> None:
    key = "apkd_secret-value"
    assert hash_api_key(key) == hash_api_key(key)
    assert hash_api_key(key) != hash_api_key(key + "x")
    assert key not in hash_api_key(key)
    assert len(hash_api_key(key)) == 64


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Api-Key": "k1"}, "k1"),
        ({"X-Api-Key": "  k1  "}, "k1"),
        ({"Authorization": "Bearer k2"}, "k2"),
        ({"Authorization": "bearer k2"}, "k2"),
        ({"Authorization": "BEARER   k2 "}, "k2"),
        ({"X-Api-Key": "k1", "Authorization": "Bearer k2"}, "k1"),
        ({"X-Api-Key": "   ", "Authorization": "Bearer k2"}, "k2"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, None),
        ({"Authorization": "Bearer"}, None),
        ({"Authorization": "Bearer    "}, None),
        ({"Authorization": ""}, None),
        ({"X-Api-Key": ""}, None),
        ({}, None),
    ],
)
def test_api_key_from_headers(headers: dict[str, str], expected: str | None) -> None:
    assert api_key_from_headers(headers) == expected


def test_header_names_are_case_insensitive_in_real_requests() -> None:
    assert api_key_from_headers(Headers({"x-api-key": "k1"})) == "k1"
    assert api_key_from_headers(Headers({"authorization": "Bearer k2"})) == "k2"


def test_authenticate_without_a_key() -> None:
    with pytest.raises(Unauthenticated) as raised:
        authenticate(FakeAccounts(), {"Authorization": "Basic abc"})
    assert raised.value.detail == "Missing API Key"


def test_authenticate_with_an_unknown_key() -> None:
    accounts = FakeAccounts()
    issue_api_key(accounts, "dev@example.com")
    with pytest.raises(Unauthenticated) as raised:
        authenticate(accounts, {"X-Api-Key": KEY_PREFIX + "not-issued"})
    assert raised.value.detail == "Invalid API Key"


@pytest.mark.parametrize("email", ["", "   ", "no-at-sign", "a@b", "a b@example.com", "@x.io"])
def test_issue_rejects_invalid_emails(email: str) -> None:
    accounts = FakeAccounts()
    with pytest.raises(InvalidRequest):
        issue_api_key(accounts, email)
    assert accounts.accounts == {} and accounts.key_hashes == {}


def test_same_email_twice_is_one_account_with_two_working_keys() -> None:
    accounts = FakeAccounts()
    first = issue_api_key(accounts, "Dev@Example.com")
    second = issue_api_key(accounts, "  dev@example.COM ")

    assert first != second
    assert first.startswith(KEY_PREFIX) and second.startswith(KEY_PREFIX)
    one = authenticate(accounts, {"X-Api-Key": first})
    two = authenticate(accounts, {"Authorization": f"Bearer {second}"})
    assert (one.id, one.email) == (two.id, two.email)  # the keys differ, their account does not
    assert one.email == "dev@example.com"
    assert len(accounts.accounts) == 1


def test_only_the_key_hash_and_a_short_prefix_are_stored() -> None:
    accounts = FakeAccounts()
    key = issue_api_key(accounts, "dev@example.com")
    assert list(accounts.key_hashes) == [hash_api_key(key)]
    (prefix,) = accounts.key_prefixes.values()
    assert key.startswith(prefix) and len(prefix) == len(KEY_PREFIX) + 4


def test_different_emails_get_different_accounts() -> None:
    accounts = FakeAccounts()
    first = authenticate(accounts, {"X-Api-Key": issue_api_key(accounts, "a@example.com")})
    second = authenticate(accounts, {"X-Api-Key": issue_api_key(accounts, "b@example.com")})
    assert first.id != second.id


def test_a_key_is_an_admin_key_unless_issued_for_uploads_only() -> None:
    accounts = FakeAccounts()
    admin = authenticate(accounts, {"X-Api-Key": issue_api_key(accounts, "dev@example.com")})
    upload_key = issue_api_key(accounts, "dev@example.com", KeyScope.UPLOAD)
    uploader = authenticate(accounts, {"X-Api-Key": upload_key})
    assert (admin.scope, uploader.scope) == (KeyScope.ADMIN, KeyScope.UPLOAD)
    assert uploader.keyPrefix == upload_key[: len(KEY_PREFIX) + 4]


def test_an_upload_key_is_refused_where_an_admin_key_is_needed() -> None:
    accounts = FakeAccounts()
    upload_key = issue_api_key(accounts, "dev@example.com", KeyScope.UPLOAD)
    with pytest.raises(Forbidden) as refused:
        authenticate_admin(accounts, {"X-Api-Key": upload_key})
    assert refused.value.detail == "This API key may only upload; use an admin key"
    admin_key = issue_api_key(accounts, "dev@example.com")
    assert authenticate_admin(accounts, {"X-Api-Key": admin_key}).scope is KeyScope.ADMIN
