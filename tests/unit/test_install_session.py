"""Sessions of the install pages (`apkdrop.install_pages.session`): the signed cookie with a
random id, and the server-side record that signing out revokes."""

import base64
import datetime
import hashlib
import json
import time

import flask
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.test import EnvironBuilder

from apkdrop.errors import Misconfigured
from apkdrop.install_pages import session
from apkdrop.settings import SignInSettings
from apkdrop.timeutil import utc_now
from tests.fakes import FakeClock, FakeSessions, install_session_cookie, make_settings

KEY = "k" * 40
SEVEN_DAYS = 7 * 24 * 3600
SESSION_ID = "random-session-id-0123456789abcdefghijklmnop"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sessions() -> FakeSessions:
    return FakeSessions()


def settings(**overrides: object) -> SignInSettings:
    return make_settings(**{"session_signing_key": KEY, **overrides})


def request_with(cookie: str | None) -> flask.Request:
    headers = {} if cookie is None else {"Cookie": f"{session.COOKIE_NAME}={cookie}"}
    return flask.Request(EnvironBuilder(path="/app/x", headers=headers).get_environ())


def set_cookie_header(response: flask.Response) -> tuple[str, str, dict[str, str]]:
    """(name, value, attributes with lower-case names) of the response's only Set-Cookie."""
    (header,) = response.headers.getlist("Set-Cookie")
    pair, *attributes = [part.strip() for part in header.split(";")]
    name, value = pair.split("=", 1)
    parsed = {}
    for attribute in attributes:
        key, _, attribute_value = attribute.partition("=")
        parsed[key.lower()] = attribute_value
    return name, value, parsed


def started(
    email: str,
    configured: SignInSettings,
    sessions: FakeSessions,
    now: datetime.datetime | None = None,
) -> flask.Response:
    response = flask.Response()
    session.start_session(response, email, configured, sessions, now or utc_now())
    return response


def record_of(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def stored_session(sessions: FakeSessions, email: str, expires_in: float = SEVEN_DAYS) -> None:
    """A record for SESSION_ID, as start_session writes it."""
    expire_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=expires_in)
    sessions.create(record_of(SESSION_ID), email, expire_at)


def cookie_signed_at(moment: float, payload: object, key: str = KEY) -> str:
    """A cookie as start_session would have made it at `moment` (seconds since the epoch)."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(moment)

    return URLSafeTimedSerializer(key, salt=session.SALT, signer=Then).dumps(payload)


# --- the cookie's attributes --------------------------------------------------------------------


@pytest.mark.parametrize("secure", [True, False])
def test_start_session_sets_a_hardened_cookie(secure: bool, sessions: FakeSessions) -> None:
    response = started("tester@example.com", settings(session_cookie_secure=secure), sessions)

    name, value, attributes = set_cookie_header(response)

    assert name == "apkdrop_session"
    assert value.count(".") == 2  # payload, timestamp, signature
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    assert attributes["max-age"] == str(SEVEN_DAYS)
    assert attributes["path"] == "/"
    assert ("secure" in attributes) is secure
    assert "domain" not in attributes  # host-only: no sibling subdomain receives it


def test_the_lifetime_is_seven_days() -> None:
    assert session.SESSION_LIFETIME.total_seconds() == SEVEN_DAYS


# --- the server-side record ---------------------------------------------------------------------


def test_the_cookie_holds_a_random_id_and_the_record_the_address(clock: FakeClock) -> None:
    now = clock.now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    sessions = FakeSessions(clock)
    _, value, _ = set_cookie_header(started("tester@example.com", settings(), sessions, now))

    payload = json.loads(base64.urlsafe_b64decode(value.split(".")[0] + "=="))
    assert set(payload) == {"sid"} and len(payload["sid"]) >= 43
    assert "tester" not in value
    # Stored by hash: whoever reads the sessions cannot make a cookie from them.
    assert list(sessions.sessions) == [record_of(payload["sid"])]
    (record,) = sessions.sessions.values()
    assert record["email"] == "tester@example.com" and record["revoked"] is False
    assert record["createdAt"] == now
    assert record["expireAt"] == now + datetime.timedelta(seconds=SEVEN_DAYS)


def test_each_session_gets_its_own_id(sessions: FakeSessions) -> None:
    for _ in range(3):
        started("tester@example.com", settings(), sessions)
    assert len(sessions.sessions) == 3


def test_every_check_reads_the_record_once(sessions: FakeSessions) -> None:
    configured = settings()
    cookie = install_session_cookie(configured, sessions, "tester@example.com")
    for n in range(1, 4):
        assert session.signed_in_email(request_with(cookie), configured, sessions)
        assert sessions.reads == n


def test_a_revoked_record_signs_nobody_in(sessions: FakeSessions) -> None:
    configured = settings()
    cookie = install_session_cookie(configured, sessions, "tester@example.com")
    (record_id,) = sessions.sessions
    sessions.revoke(record_id)
    assert session.signed_in_email(request_with(cookie), configured, sessions) is None


def test_a_genuine_cookie_without_a_record_signs_nobody_in(sessions: FakeSessions) -> None:
    cookie = cookie_signed_at(time.time(), {"sid": SESSION_ID})
    assert session.signed_in_email(request_with(cookie), settings(), sessions) is None


def test_an_expired_record_signs_nobody_in(clock: FakeClock) -> None:
    """The TTL policy deletes records late: the expiry itself is checked."""
    configured = settings()
    sessions = FakeSessions(clock)
    cookie = install_session_cookie(configured, sessions, "tester@example.com")
    (record,) = sessions.sessions.values()
    clock.now = record["expireAt"] + datetime.timedelta(seconds=1)
    assert session.signed_in_email(request_with(cookie), configured, sessions) is None


# --- reading it back ----------------------------------------------------------------------------


def test_the_email_round_trips(sessions: FakeSessions) -> None:
    configured = settings()
    _, value, _ = set_cookie_header(started("tester@example.com", configured, sessions))

    assert session.signed_in_email(request_with(value), configured, sessions) == (
        "tester@example.com"
    )


def test_the_helper_in_fakes_makes_the_same_cookie(sessions: FakeSessions) -> None:
    configured = settings()
    cookie = install_session_cookie(configured, sessions, "qa@example.com")
    assert session.signed_in_email(request_with(cookie), configured, sessions) == "qa@example.com"


def test_no_cookie_means_nobody(sessions: FakeSessions) -> None:
    assert session.signed_in_email(request_with(None), settings(), sessions) is None
    assert session.signed_in_email(request_with(""), settings(), sessions) is None
    assert sessions.reads == 0


def flip_first(head: str, signature: str) -> str:
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "tamper",
    [
        # The signature's first character: its last one also holds base64 padding bits, which
        # a change may leave out of the decoded bytes (1 run in 16 then kept a valid cookie).
        lambda value: flip_first(value.rpartition(".")[0], value.rpartition(".")[2]),
        lambda value: "x" + value,  # payload
        lambda value: value.split(".")[0],  # no signature at all
        lambda value: value.replace(".", "!", 1),
        lambda value: "garbage",
        lambda value: "....",
        lambda value: "é" * 20,
    ],
)
def test_a_tampered_cookie_is_ignored(tamper, sessions: FakeSessions) -> None:
    configured = settings()
    value = install_session_cookie(configured, sessions, "tester@example.com")
    assert session.signed_in_email(request_with(tamper(value)), configured, sessions) is None
    assert sessions.reads == 0  # refused before any database read


def test_a_forged_payload_with_the_right_shape_is_ignored(sessions: FakeSessions) -> None:
    """Replacing the payload part (which session) while keeping the signature must not work."""
    configured = settings()
    genuine = install_session_cookie(configured, sessions, "tester@example.com")
    other = install_session_cookie(configured, sessions, "attacker@example.com")
    forged = other.split(".")[0] + "." + ".".join(genuine.split(".")[1:])
    assert session.signed_in_email(request_with(forged), configured, sessions) is None


def test_a_cookie_signed_with_another_key_is_ignored(sessions: FakeSessions) -> None:
    other_key = settings(session_signing_key="o" * 40)
    cookie = install_session_cookie(other_key, sessions, "tester@example.com")
    assert session.signed_in_email(request_with(cookie), settings(), sessions) is None


def test_a_cookie_signed_with_another_salt_is_ignored(sessions: FakeSessions) -> None:
    """Another use of the same key (another salt) cannot mint sessions."""
    stored_session(sessions, "x@example.com")
    cookie = URLSafeTimedSerializer(KEY, salt="something-else").dumps({"sid": SESSION_ID})
    assert session.signed_in_email(request_with(cookie), settings(), sessions) is None


def test_a_cookie_just_inside_its_lifetime_is_accepted(sessions: FakeSessions) -> None:
    stored_session(sessions, "tester@example.com", expires_in=60)
    cookie = cookie_signed_at(time.time() - SEVEN_DAYS + 60, {"sid": SESSION_ID})
    assert session.signed_in_email(request_with(cookie), settings(), sessions) == (
        "tester@example.com"
    )


def test_an_expired_cookie_is_ignored(sessions: FakeSessions) -> None:
    stored_session(sessions, "tester@example.com")
    cookie = cookie_signed_at(time.time() - SEVEN_DAYS - 60, {"sid": SESSION_ID})
    assert session.signed_in_email(request_with(cookie), settings(), sessions) is None


def test_a_cookie_expires_seven_days_after_it_was_set(
    monkeypatch: pytest.MonkeyPatch, sessions: FakeSessions
) -> None:
    """Time moves on (itsdangerous reads time.time) and the same cookie stops working."""
    configured = settings()
    now = 1_800_000_000.0
    monkeypatch.setattr(time, "time", lambda: now)
    stored_session(sessions, "tester@example.com", expires_in=10 * SEVEN_DAYS)
    cookie = cookie_signed_at(now, {"sid": SESSION_ID})

    monkeypatch.setattr(time, "time", lambda: now + SEVEN_DAYS - 1)
    assert session.signed_in_email(request_with(cookie), configured, sessions) == (
        "tester@example.com"
    )
    monkeypatch.setattr(time, "time", lambda: now + SEVEN_DAYS + 1)
    assert session.signed_in_email(request_with(cookie), configured, sessions) is None


@pytest.mark.parametrize(
    "payload",
    [SESSION_ID, [SESSION_ID], 7, None, {}, {"sid": ""}, {"sid": 7}, {"email": "x@example.com"}],
)
def test_a_genuine_cookie_without_a_session_id_means_nobody(
    payload: object, sessions: FakeSessions
) -> None:
    stored_session(sessions, "tester@example.com")
    cookie = cookie_signed_at(time.time(), payload)
    assert session.signed_in_email(request_with(cookie), settings(), sessions) is None


# --- without SESSION_SIGNING_KEY ----------------------------------------------------------------


def test_without_a_key_nobody_is_signed_in(sessions: FakeSessions) -> None:
    cookie = install_session_cookie(settings(), sessions, "tester@example.com")
    unconfigured = make_settings()
    assert unconfigured.session_signing_key is None
    assert session.signed_in_email(request_with(cookie), unconfigured, sessions) is None
    assert session.signed_in_email(request_with(None), unconfigured, sessions) is None


def test_without_a_key_no_session_can_start(sessions: FakeSessions) -> None:
    response = flask.Response()
    with pytest.raises(Misconfigured, match="SESSION_SIGNING_KEY"):
        session.start_session(response, "tester@example.com", make_settings(), sessions, utc_now())
    assert "Set-Cookie" not in response.headers
    assert sessions.sessions == {}


def test_a_short_key_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="32"):
        make_settings(session_signing_key="short")


# --- signing out --------------------------------------------------------------------------------


@pytest.mark.parametrize("secure", [True, False])
def test_end_session_clears_the_cookie(secure: bool, sessions: FakeSessions) -> None:
    response = flask.Response()
    session.end_session(
        request_with(None), response, settings(session_cookie_secure=secure), sessions
    )

    name, value, attributes = set_cookie_header(response)

    assert (name, value) == ("apkdrop_session", "")
    assert attributes["max-age"] == "0"
    assert "1970" in attributes["expires"]
    assert attributes["path"] == "/"  # the same cookie start_session set, or it would survive
    assert ("secure" in attributes) is secure


def test_end_session_revokes_the_record_so_a_replayed_cookie_fails(
    sessions: FakeSessions,
) -> None:
    configured = settings()
    mine = install_session_cookie(configured, sessions, "tester@example.com")
    other = install_session_cookie(configured, sessions, "other@example.com")

    session.end_session(request_with(mine), flask.Response(), configured, sessions)

    assert session.signed_in_email(request_with(mine), configured, sessions) is None
    assert session.signed_in_email(request_with(other), configured, sessions) == (
        "other@example.com"
    )


def test_end_session_works_without_a_key(sessions: FakeSessions) -> None:
    response = flask.Response()
    cookie = install_session_cookie(settings(), sessions, "tester@example.com")
    session.end_session(request_with(cookie), response, make_settings(), sessions)
    assert set_cookie_header(response)[1] == ""
