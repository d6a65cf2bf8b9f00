"""Recording management events."""

import datetime
import logging

import pytest

from apkdrop.accounts import Caller, KeyScope
from apkdrop.audit.models import AuditAction
from apkdrop.audit.service import record
from apkdrop.errors import BackendUnavailable
from tests.fakes import fake_dependencies

CALLER = Caller(id="acct-1", email="dev@example.com", keyPrefix="apkd_abcd", scope=KeyScope.ADMIN)


def test_an_event_names_the_key_the_action_and_the_time() -> None:
    deps = fake_dependencies()
    deps.clock.now = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
    event = record(deps, CALLER, AuditAction.DELETE, "/v1/application/app-1", {"versions": 2})
    assert deps.audit.events == [event]
    assert event.accountId == "acct-1" and event.at == deps.clock.now
    assert event.actor.model_dump() == {
        "keyPrefix": "apkd_abcd",
        "email": "dev@example.com",
        "scope": KeyScope.ADMIN,
    }
    assert (event.action, event.target, event.details) == (
        AuditAction.DELETE,
        "/v1/application/app-1",
        {"versions": 2},
    )


def test_an_event_firestore_refuses_goes_to_the_log_and_the_action_stands(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    deps = fake_dependencies()

    def unavailable(event: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(deps.audit, "append", unavailable)
    with caplog.at_level(logging.ERROR):
        event = record(deps, CALLER, AuditAction.ACCESS_CHANGE, "/v1/application/app-1")
    (logged,) = caplog.records
    assert logged.fields["auditEvent"]["id"] == event.id
