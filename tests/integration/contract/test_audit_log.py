"""AuditLog: `FakeAuditLog` and `firestore_audit.AuditTrail` keep the same contract."""

import datetime

import pytest

from apkdrop.accounts import KeyScope
from apkdrop.adapters import firestore_audit
from apkdrop.audit.models import Actor, AuditAction, AuditEvent
from apkdrop.audit.ports import AuditLog
from apkdrop.paging import TimeCursor
from tests.fakes import FakeAuditLog
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration
T0 = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
ACTOR = Actor(keyPrefix="apkd_abcd", email="dev@example.com", scope=KeyScope.UPLOAD)


@pytest.fixture(params=IMPLEMENTATIONS)
def audit(request: pytest.FixtureRequest) -> AuditLog:
    return fake_or_firestore(request, FakeAuditLog, firestore_audit.AuditTrail)


def event(account_id: str, at: datetime.datetime, event_id: str | None = None) -> AuditEvent:
    return AuditEvent(
        id=event_id or unique("evt"),
        accountId=account_id,
        at=at,
        actor=ACTOR,
        action=AuditAction.UPLOAD,
        target="/v1/application/app-1/versions/1.0",
        details={"package": "com.example", "sha256": "ab" * 32, "nested": {"n": [1, None]}},
    )


def every_page(audit: AuditLog, account_id: str, limit: int) -> list[list[AuditEvent]]:
    pages: list[list[AuditEvent]] = []
    after: TimeCursor | None = None
    while True:
        page, after = audit.trail(account_id, limit, after)
        pages.append(page)
        if after is None:
            return pages


def test_an_appended_event_reads_back_as_it_was(audit: AuditLog) -> None:
    account = unique("acct")
    stored = event(account, T0 + datetime.timedelta(microseconds=123456))
    audit.append(stored)
    assert audit.trail(account, 10, None) == ([stored], None)


def test_an_event_id_is_stored_once(audit: AuditLog) -> None:
    """A repeated append of an id (an upload's replay) is a no-op: the first event stays."""
    account, event_id = unique("acct"), unique("evt")
    audit.append(event(account, T0, event_id))
    audit.append(event(account, T0 + datetime.timedelta(seconds=1), event_id))
    assert [found.at for found in audit.trail(account, 10, None)[0]] == [T0]


def test_pages_go_newest_first_then_by_id_and_end_with_no_cursor(audit: AuditLog) -> None:
    account = unique("acct")
    later = T0 + datetime.timedelta(microseconds=1)
    # Two pairs of events at one instant each, ids in no particular order.
    for at, event_id in [(T0, "b"), (later, "a"), (T0, "d"), (later, "c"), (T0, "e")]:
        audit.append(event(account, at, f"{account}-{event_id}"))

    pages = every_page(audit, account, 2)

    expected = [(later, "c"), (later, "a"), (T0, "e"), (T0, "d"), (T0, "b")]
    assert [[(e.at, e.id.rpartition("-")[2]) for e in page] for page in pages] == [
        expected[0:2],
        expected[2:4],
        expected[4:],
    ]


def test_a_page_that_ends_the_trail_exactly_has_no_cursor(audit: AuditLog) -> None:
    account = unique("acct")
    audit.append(event(account, T0))
    audit.append(event(account, T0 + datetime.timedelta(seconds=1)))
    page, after = audit.trail(account, 2, None)
    assert len(page) == 2 and after is None


def test_a_cursor_is_the_last_event_of_its_page(audit: AuditLog) -> None:
    account = unique("acct")
    for second in range(3):
        audit.append(event(account, T0 + datetime.timedelta(seconds=second)))
    page, after = audit.trail(account, 2, None)
    assert after == page[-1].cursor()


def test_only_the_accounts_events(audit: AuditLog) -> None:
    mine, theirs = unique("acct"), unique("acct")
    audit.append(event(mine, T0))
    audit.append(event(theirs, T0))
    (page,) = every_page(audit, mine, 10)
    assert [found.accountId for found in page] == [mine]
    assert audit.trail(unique("acct"), 10, None) == ([], None)
