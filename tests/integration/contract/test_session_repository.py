"""SessionRepository: `FakeSessions` and `firestore_sessions.Sessions` keep the same contract."""

import datetime

import pytest

from apkdrop.adapters import firestore_sessions
from apkdrop.errors import BackendUnavailable
from apkdrop.install_pages.ports import SessionRepository
from apkdrop.timeutil import utc_now
from tests.fakes import FakeSessions
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration
EMAIL = "tester@example.com"


@pytest.fixture(params=IMPLEMENTATIONS)
def sessions(request: pytest.FixtureRequest) -> SessionRepository:
    return fake_or_firestore(request, FakeSessions, firestore_sessions.Sessions)


def later() -> datetime.datetime:
    return utc_now() + datetime.timedelta(days=1)


def test_a_session_names_its_address(sessions: SessionRepository) -> None:
    session = unique("session")
    sessions.create(session, EMAIL, later())
    assert sessions.email_of(session) == EMAIL


def test_an_unknown_session_names_nobody(sessions: SessionRepository) -> None:
    assert sessions.email_of(unique("session")) is None


def test_a_revoked_session_names_nobody(sessions: SessionRepository) -> None:
    session, other = unique("session"), unique("session")
    sessions.create(session, EMAIL, later())
    sessions.create(other, EMAIL, later())
    sessions.revoke(session)
    assert sessions.email_of(session) is None
    assert sessions.email_of(other) == EMAIL


def test_revoking_an_unknown_session_is_no_error(sessions: SessionRepository) -> None:
    session = unique("session")
    sessions.revoke(session)
    assert sessions.email_of(session) is None


def test_an_expired_session_names_nobody(sessions: SessionRepository) -> None:
    session = unique("session")
    sessions.create(session, EMAIL, utc_now() - datetime.timedelta(seconds=1))
    assert sessions.email_of(session) is None


def test_a_session_is_created_once(sessions: SessionRepository) -> None:
    session = unique("session")
    sessions.create(session, EMAIL, later())
    with pytest.raises(BackendUnavailable):
        sessions.create(session, "intruder@example.com", later())
    assert sessions.email_of(session) == EMAIL
