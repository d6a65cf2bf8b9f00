"""The operator's key commands: issuing and revoking keys, each recorded in the trail."""

import datetime

import pytest

from apkdrop.accounts import KeyScope, authenticate, issue_api_key
from apkdrop.audit.keys import issue_key, revoke_key
from apkdrop.audit.models import AuditAction
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest, Unauthenticated
from tests.fakes import fake_dependencies

NOW = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def deps() -> Dependencies:
    deps = fake_dependencies()
    deps.clock.now = NOW
    return deps


def issue(deps: Dependencies, email: str, scope: KeyScope = KeyScope.ADMIN) -> str:
    return issue_key(deps.accounts, deps.audit, deps.clock, email, scope)


def revoke(deps: Dependencies, key: str) -> bool:
    return revoke_key(deps.accounts, deps.audit, deps.clock, key)


@pytest.mark.parametrize("scope", list(KeyScope))
def test_issuing_a_key_records_key_created_by_that_key(deps: Dependencies, scope: KeyScope) -> None:
    key = issue(deps, " CI@Example.com ", scope)

    caller = authenticate(deps.accounts, {"X-Api-Key": key})
    assert caller.scope is scope
    (event,) = deps.audit.events
    assert (event.accountId, event.at, event.action) == (caller.id, NOW, AuditAction.KEY_CREATED)
    assert event.actor.model_dump() == {
        "keyPrefix": caller.keyPrefix,
        "email": "ci@example.com",
        "scope": scope,
    }
    assert event.target == f"apiKey:{caller.keyPrefix}"
    assert event.details == {"scope": scope.value, "via": "operator"}
    assert key not in event.model_dump_json()


def test_an_invalid_email_issues_nothing_and_records_nothing(deps: Dependencies) -> None:
    with pytest.raises(InvalidRequest):
        issue(deps, "no-at-sign")
    assert deps.accounts.key_hashes == {} and deps.audit.events == []


def test_revoking_a_key_deletes_it_and_records_key_revoked(deps: Dependencies) -> None:
    key = issue(deps, "dev@example.com", KeyScope.UPLOAD)
    other = issue(deps, "dev@example.com")
    revoked = authenticate(deps.accounts, {"X-Api-Key": key})

    assert revoke(deps, f" {key}\n") is True

    with pytest.raises(Unauthenticated):
        authenticate(deps.accounts, {"X-Api-Key": key})
    assert authenticate(deps.accounts, {"X-Api-Key": other}).email == "dev@example.com"
    event = deps.audit.events[-1]
    assert (event.accountId, event.action) == (revoked.id, AuditAction.KEY_REVOKED)
    assert (event.actor.keyPrefix, event.actor.scope) == (revoked.keyPrefix, KeyScope.UPLOAD)
    assert event.target == f"apiKey:{revoked.keyPrefix}"
    assert event.details == {"scope": "upload", "via": "operator"}


def test_revoking_a_key_that_does_not_exist_says_so_and_records_nothing(
    deps: Dependencies,
) -> None:
    key = issue_api_key(deps.accounts, "dev@example.com")
    assert revoke(deps, "apkd_never-issued") is False
    assert revoke(deps, key) is True
    assert revoke(deps, key) is False  # already revoked
    assert [event.action for event in deps.audit.events] == [AuditAction.KEY_REVOKED]
