"""AccountRepository: `FakeAccounts` and `firestore.AccountStore` keep the same contract."""

import pytest
from google.cloud import firestore as firestore_sdk

from apkdrop.accounts import Account, AccountRepository, Caller, KeyScope
from apkdrop.adapters import firestore
from apkdrop.errors import BackendUnavailable
from tests.fakes import FakeAccounts
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration


@pytest.fixture(params=IMPLEMENTATIONS)
def accounts(request: pytest.FixtureRequest) -> AccountRepository:
    return fake_or_firestore(request, FakeAccounts, firestore.AccountStore)


def new_email() -> str:
    return f"{unique('user')}@example.com"


def test_ensure_account_creates_the_account_once(accounts: AccountRepository) -> None:
    email, first_id = new_email(), unique("acct")
    assert accounts.ensure_account(email, first_id) == Account(id=first_id, email=email)
    assert accounts.ensure_account(email, unique("acct")) == Account(id=first_id, email=email)


@pytest.mark.parametrize("scope", list(KeyScope))
def test_a_key_finds_its_account_with_its_scope(
    accounts: AccountRepository, scope: KeyScope
) -> None:
    email, account_id, key_hash = new_email(), unique("acct"), unique("hash")
    accounts.ensure_account(email, account_id)
    accounts.add_api_key(account_id, key_hash, "apkd_abcd", scope)
    assert accounts.account_for_key_hash(key_hash) == Caller(
        id=account_id, email=email, keyPrefix="apkd_abcd", scope=scope
    )


def test_a_key_issued_before_scopes_existed_is_an_admin_key(
    firestore_client: firestore_sdk.Client,
) -> None:
    accounts, email, account_id, key_hash = (
        firestore.AccountStore(firestore_client),
        new_email(),
        unique("acct"),
        unique("hash"),
    )
    accounts.ensure_account(email, account_id)
    firestore_client.collection("apiKeys").document(key_hash).create(
        {"accountId": account_id, "prefix": "apkd_old1"}
    )
    found = accounts.account_for_key_hash(key_hash)
    assert found is not None and found.scope is KeyScope.ADMIN


def test_an_unknown_key_finds_nothing(accounts: AccountRepository) -> None:
    assert accounts.account_for_key_hash(unique("hash")) is None


def test_a_key_of_an_account_that_does_not_exist_finds_nothing(
    accounts: AccountRepository,
) -> None:
    key_hash = unique("hash")
    accounts.add_api_key(unique("acct"), key_hash, "apkd_abcd", KeyScope.ADMIN)
    assert accounts.account_for_key_hash(key_hash) is None


def test_a_key_hash_is_stored_once(accounts: AccountRepository) -> None:
    account_id, key_hash = unique("acct"), unique("hash")
    accounts.ensure_account(new_email(), account_id)
    accounts.add_api_key(account_id, key_hash, "apkd_abcd", KeyScope.ADMIN)
    with pytest.raises(BackendUnavailable):
        accounts.add_api_key(unique("acct"), key_hash, "apkd_efgh", KeyScope.UPLOAD)
    assert accounts.account_for_key_hash(key_hash).id == account_id


def test_a_deleted_key_finds_nothing_and_deleting_it_again_is_false(
    accounts: AccountRepository,
) -> None:
    account_id, key_hash, other_hash = unique("acct"), unique("hash"), unique("hash")
    accounts.ensure_account(new_email(), account_id)
    accounts.add_api_key(account_id, key_hash, "apkd_abcd", KeyScope.ADMIN)
    accounts.add_api_key(account_id, other_hash, "apkd_efgh", KeyScope.UPLOAD)
    assert accounts.delete_api_key(key_hash) is True
    assert accounts.account_for_key_hash(key_hash) is None
    assert accounts.delete_api_key(key_hash) is False
    assert accounts.account_for_key_hash(other_hash).id == account_id


def test_deleting_an_unknown_key_is_false(accounts: AccountRepository) -> None:
    assert accounts.delete_api_key(unique("hash")) is False
