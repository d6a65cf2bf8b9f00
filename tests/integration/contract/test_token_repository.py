"""TokenRepository: `FakeSignInTokens` and `SignInTokens` keep the same contract."""

import datetime

import pytest

from apkdrop.adapters import firestore_sign_in
from apkdrop.install_pages.ports import LinkTarget, TokenRepository
from apkdrop.timeutil import utc_now
from tests.fakes import FakeSignInTokens
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration
TARGET = LinkTarget("tester@example.com", "AppOfTheToken0001", "3.0")


@pytest.fixture(params=IMPLEMENTATIONS)
def tokens(request: pytest.FixtureRequest) -> TokenRepository:
    return fake_or_firestore(request, FakeSignInTokens, firestore_sign_in.SignInTokens)


def later() -> datetime.datetime:
    return utc_now() + datetime.timedelta(minutes=15)


@pytest.mark.parametrize(
    "target",
    [TARGET, TARGET._replace(version=None), TARGET._replace(version=None, channel="nightly")],
)
def test_a_token_is_redeemed_once_for_its_target(
    tokens: TokenRepository, target: LinkTarget
) -> None:
    request_id, token_hash = unique("request"), unique("token")
    tokens.issue(request_id, token_hash, target, later())
    assert tokens.redeem(request_id, token_hash) == target
    assert tokens.redeem(request_id, token_hash) is None


def test_an_unknown_request_redeems_nothing(tokens: TokenRepository) -> None:
    assert tokens.redeem(unique("request"), unique("token")) is None


def test_another_token_of_the_request_redeems_nothing_and_spends_nothing(
    tokens: TokenRepository,
) -> None:
    request_id, token_hash = unique("request"), unique("token")
    tokens.issue(request_id, token_hash, TARGET, later())
    assert tokens.redeem(request_id, unique("token")) is None
    assert tokens.redeem(request_id, token_hash) == TARGET


def test_an_expired_token_redeems_nothing(tokens: TokenRepository) -> None:
    request_id, token_hash = unique("request"), unique("token")
    tokens.issue(request_id, token_hash, TARGET, utc_now() - datetime.timedelta(seconds=1))
    assert tokens.redeem(request_id, token_hash) is None


def test_issuing_again_replaces_the_earlier_token(tokens: TokenRepository) -> None:
    request_id, first, second = unique("request"), unique("token"), unique("token")
    tokens.issue(request_id, first, TARGET, later())
    tokens.issue(request_id, second, TARGET._replace(version="4.0"), later())
    assert tokens.redeem(request_id, first) is None
    assert tokens.redeem(request_id, second) == TARGET._replace(version="4.0")


def test_a_token_issued_again_after_use_is_valid_again(tokens: TokenRepository) -> None:
    request_id, token_hash = unique("request"), unique("token")
    tokens.issue(request_id, token_hash, TARGET, later())
    tokens.redeem(request_id, token_hash)
    tokens.issue(request_id, token_hash, TARGET, later())
    assert tokens.redeem(request_id, token_hash) == TARGET


def test_peeking_shows_the_target_and_spends_nothing(tokens: TokenRepository) -> None:
    request_id, token_hash = unique("request"), unique("token")
    tokens.issue(request_id, token_hash, TARGET, later())
    assert tokens.peek(request_id, token_hash) == TARGET
    assert tokens.peek(request_id, token_hash) == TARGET
    assert tokens.redeem(request_id, token_hash) == TARGET


def test_peeking_refuses_what_redeeming_refuses(tokens: TokenRepository) -> None:
    used, expired, replaced = unique("request"), unique("request"), unique("request")
    token_hash, newer = unique("token"), unique("token")
    tokens.issue(used, token_hash, TARGET, later())
    tokens.redeem(used, token_hash)
    tokens.issue(expired, token_hash, TARGET, utc_now() - datetime.timedelta(seconds=1))
    tokens.issue(replaced, token_hash, TARGET, later())
    tokens.issue(replaced, newer, TARGET, later())
    assert tokens.peek(unique("request"), token_hash) is None
    assert tokens.peek(used, token_hash) is None
    assert tokens.peek(expired, token_hash) is None
    assert tokens.peek(replaced, token_hash) is None
    assert tokens.peek(replaced, unique("token")) is None
    assert tokens.peek(replaced, newer) == TARGET
