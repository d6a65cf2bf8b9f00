"""The signed session cookie of the install pages (`apkdrop.install_pages.session`)."""

import time

import flask
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.test import EnvironBuilder

from apkdrop.adapters.errors import BackendUnavailable
from apkdrop.install_pages import session
from apkdrop.settings import Settings
from tests.fakes import install_session_cookie, make_settings

KEY = "k" * 40
SEVEN_DAYS = 7 * 24 * 3600


def settings(**overrides: object) -> Settings:
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


def started(email: str, configured: Settings) -> flask.Response:
    response = flask.Response()
    session.start_session(response, email, configured)
    return response


def cookie_signed_at(moment: float, payload: object, key: str = KEY) -> str:
    """A cookie as start_session would have made it at `moment` (seconds since the epoch)."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(moment)

    return URLSafeTimedSerializer(key, salt=session.SALT, signer=Then).dumps(payload)


# --- the cookie's attributes --------------------------------------------------------------------


@pytest.mark.parametrize("secure", [True, False])
def test_start_session_sets_a_hardened_cookie(secure: bool) -> None:
    response = started("tester@example.com", settings(session_cookie_secure=secure))

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


# --- reading it back ----------------------------------------------------------------------------


def test_the_email_round_trips() -> None:
    configured = settings()
    _, value, _ = set_cookie_header(started("tester@example.com", configured))

    assert session.signed_in_email(request_with(value), configured) == "tester@example.com"


def test_the_helper_in_fakes_makes_the_same_cookie() -> None:
    configured = settings()
    cookie = install_session_cookie(configured, "qa@example.com")
    assert session.signed_in_email(request_with(cookie), configured) == "qa@example.com"


def test_no_cookie_means_nobody() -> None:
    assert session.signed_in_email(request_with(None), settings()) is None
    assert session.signed_in_email(request_with(""), settings()) is None


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
def test_a_tampered_cookie_is_ignored(tamper) -> None:
    configured = settings()
    value = install_session_cookie(configured, "tester@example.com")
    assert session.signed_in_email(request_with(tamper(value)), configured) is None


def test_a_forged_payload_with_the_right_shape_is_ignored() -> None:
    """Replacing the payload part (who) while keeping the signature must not work."""
    configured = settings()
    genuine = install_session_cookie(configured, "tester@example.com")
    other = install_session_cookie(configured, "attacker@example.com")
    forged = other.split(".")[0] + "." + ".".join(genuine.split(".")[1:])
    assert session.signed_in_email(request_with(forged), configured) is None


def test_a_cookie_signed_with_another_key_is_ignored() -> None:
    cookie = install_session_cookie(settings(session_signing_key="o" * 40), "tester@example.com")
    assert session.signed_in_email(request_with(cookie), settings()) is None


def test_a_cookie_signed_with_another_salt_is_ignored() -> None:
    """Another use of the same key (another salt) cannot mint sessions."""
    cookie = URLSafeTimedSerializer(KEY, salt="something-else").dumps({"email": "x@example.com"})
    assert session.signed_in_email(request_with(cookie), settings()) is None


def test_a_cookie_just_inside_its_lifetime_is_accepted() -> None:
    cookie = cookie_signed_at(time.time() - SEVEN_DAYS + 60, {"email": "tester@example.com"})
    assert session.signed_in_email(request_with(cookie), settings()) == "tester@example.com"


def test_an_expired_cookie_is_ignored() -> None:
    cookie = cookie_signed_at(time.time() - SEVEN_DAYS - 60, {"email": "tester@example.com"})
    assert session.signed_in_email(request_with(cookie), settings()) is None


def test_a_cookie_expires_seven_days_after_it_was_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time moves on (itsdangerous reads time.time) and the same cookie stops working."""
    configured = settings()
    now = 1_800_000_000.0
    monkeypatch.setattr(time, "time", lambda: now)
    cookie = install_session_cookie(configured, "tester@example.com")

    monkeypatch.setattr(time, "time", lambda: now + SEVEN_DAYS - 1)
    assert session.signed_in_email(request_with(cookie), configured) == "tester@example.com"
    monkeypatch.setattr(time, "time", lambda: now + SEVEN_DAYS + 1)
    assert session.signed_in_email(request_with(cookie), configured) is None


@pytest.mark.parametrize("payload", ["tester@example.com", ["tester@example.com"], 7, None, {}])
def test_a_genuine_cookie_without_an_email_object_means_nobody(payload: object) -> None:
    cookie = cookie_signed_at(time.time(), payload)
    assert session.signed_in_email(request_with(cookie), settings()) is None


# --- without SESSION_SIGNING_KEY ----------------------------------------------------------------


def test_without_a_key_nobody_is_signed_in() -> None:
    cookie = install_session_cookie(settings(), "tester@example.com")
    unconfigured = make_settings()
    assert unconfigured.session_signing_key is None
    assert session.signed_in_email(request_with(cookie), unconfigured) is None
    assert session.signed_in_email(request_with(None), unconfigured) is None


def test_without_a_key_no_session_can_start() -> None:
    response = flask.Response()
    with pytest.raises(BackendUnavailable, match="SESSION_SIGNING_KEY"):
        session.start_session(response, "tester@example.com", make_settings())
    assert "Set-Cookie" not in response.headers


def test_a_short_key_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="32"):
        make_settings(session_signing_key="short")


# --- signing out --------------------------------------------------------------------------------


@pytest.mark.parametrize("secure", [True, False])
def test_end_session_clears_the_cookie(secure: bool) -> None:
    response = flask.Response()
    session.end_session(response, settings(session_cookie_secure=secure))

    name, value, attributes = set_cookie_header(response)

    assert (name, value) == ("apkdrop_session", "")
    assert attributes["max-age"] == "0"
    assert "1970" in attributes["expires"]
    assert attributes["path"] == "/"  # the same cookie start_session set, or it would survive
    assert ("secure" in attributes) is secure


def test_end_session_works_without_a_key() -> None:
    response = flask.Response()
    session.end_session(response, make_settings())
    assert set_cookie_header(response)[1] == ""
