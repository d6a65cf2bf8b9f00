"""Email sign-in for private apps (`apkdrop.install_pages.sign_in`), over the fakes."""

import datetime
import hashlib
import re

import pytest

from apkdrop.applications.models import Application
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest, RateLimited
from apkdrop.install_pages import sign_in
from apkdrop.notifications.models import EmailTaskBody, SignInEmailTask
from tests import fakes
from tests.fakes import (
    FakeScheduler,
    FakeSignInTokens,
    fake_dependencies,
    install_page_app,
)

NOW = datetime.datetime(2026, 3, 1, 12, 0, 5, tzinfo=datetime.UTC)
OWNER = "owner@example.com"
TESTER = "tester@example.com"
STRANGER = "stranger@example.com"
CLIENT = "203.0.113.7"
EXPIRED = "This sign-in link was already used or has expired. Ask for a new one."
LINK = re.compile(r"^https://apkdrop\.example\.test/auth/verify\?token=([A-Za-z0-9_-]{43})$")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime.datetime]:
    """The service's clock and the fake token store's clock, moved by tests."""
    now = [NOW]
    monkeypatch.setattr(sign_in, "utc_now", lambda: now[0])
    monkeypatch.setattr(fakes, "utc_now", lambda: now[0])
    return now


@pytest.fixture
def deps(clock) -> Dependencies:
    return fake_dependencies(session_signing_key="s" * 40)


@pytest.fixture
def private_app(deps: Dependencies) -> Application:
    return install_page_app(
        deps.applications,
        access="PRIVATE",
        allowed_users=(TESTER,),
        owner_email=OWNER,
        label="Secret App",
    )


def tokens(deps: Dependencies) -> FakeSignInTokens:
    assert isinstance(deps.sign_in_tokens, FakeSignInTokens)
    return deps.sign_in_tokens


def queue(deps: Dependencies) -> FakeScheduler:
    assert isinstance(deps.email_queue, FakeScheduler)
    return deps.email_queue


def emailed_token(deps: Dependencies) -> str:
    """The raw token of the only email queued so far."""
    (task,) = queue(deps).calls
    match = LINK.match(task.payload["link"])
    assert match, task.payload["link"]
    return match.group(1)


# --- request_link -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "tester",
        "tester@",
        "@example.com",
        "a b@example.com",
        "tester@example",
        "a@b@c.d",
    ],
)
def test_an_invalid_address_is_refused(
    deps: Dependencies, private_app: Application, address: str
) -> None:
    with pytest.raises(InvalidRequest, match="Enter a valid email address"):
        sign_in.request_link(deps, private_app, address, CLIENT)
    assert tokens(deps).tokens == {} and queue(deps).calls == []


def test_an_overlong_address_is_refused(deps: Dependencies, private_app: Application) -> None:
    address = "a" * 245 + "@example.com"  # 257 characters
    with pytest.raises(InvalidRequest):
        sign_in.request_link(deps, private_app, address, CLIENT)
    assert queue(deps).calls == []


def test_an_allowed_address_gets_a_one_time_link(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT)

    (task,) = queue(deps).calls
    token = emailed_token(deps)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    # Stored by hash only: whoever reads the database cannot sign in.
    assert list(tokens(deps).tokens) == [token_hash]
    stored = tokens(deps).tokens[token_hash]
    assert stored == {
        "email": TESTER,
        "appId": private_app.id,
        "expireAt": NOW + datetime.timedelta(minutes=15),
        "used": False,
    }
    assert token not in repr(tokens(deps).tokens)

    assert task.url == "https://email.example.test/send"
    assert task.at == NOW
    assert task.task_id == f"sign-in-{token_hash[:32]}"
    assert task.payload == {
        "kind": "sign-in",
        "email": TESTER,
        "appName": "Secret App",
        "link": f"https://apkdrop.example.test/auth/verify?token={token}",
        "tokenId": token_hash[:32],
    }
    # The worker can read what was queued.
    parsed = EmailTaskBody.model_validate(task.payload).root
    assert isinstance(parsed, SignInEmailTask) and parsed.delivery_id == task.task_id


def test_the_owner_gets_a_link_too(deps: Dependencies, private_app: Application) -> None:
    sign_in.request_link(deps, private_app, OWNER, CLIENT)
    assert queue(deps).calls[0].payload["email"] == OWNER


def test_the_app_name_falls_back_to_the_package(deps: Dependencies) -> None:
    app = install_page_app(deps.applications, access="PRIVATE", allowed_users=(TESTER,), label=None)
    sign_in.request_link(deps, app, TESTER, CLIENT)
    assert queue(deps).calls[0].payload["appName"] == "com.example.install"


def test_the_link_has_no_double_slash_when_the_base_url_ends_with_one(clock) -> None:
    deps = fake_dependencies(public_base_url="https://apkdrop.example.test/")
    app = install_page_app(deps.applications, access="PRIVATE", allowed_users=(TESTER,))
    sign_in.request_link(deps, app, TESTER, CLIENT)
    assert LINK.match(queue(deps).calls[0].payload["link"])


def test_each_request_makes_a_new_token(deps: Dependencies, private_app: Application) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    assert len(tokens(deps).tokens) == 2
    assert len({task.task_id for task in queue(deps).calls}) == 2


@pytest.mark.parametrize("address", [STRANGER, "owner@example.org", "tester@example.com.evil"])
def test_an_address_without_access_gets_nothing_and_learns_nothing(
    deps: Dependencies, private_app: Application, address: str
) -> None:
    assert sign_in.request_link(deps, private_app, address, CLIENT) is None
    assert tokens(deps).tokens == {}
    assert queue(deps).calls == []


@pytest.mark.parametrize(
    "address", ["  Tester@Example.COM ", "TESTER@EXAMPLE.COM", "\ttester@example.com\n"]
)
def test_the_address_is_normalised(
    deps: Dependencies, private_app: Application, address: str
) -> None:
    sign_in.request_link(deps, private_app, address, CLIENT)
    (stored,) = tokens(deps).tokens.values()
    assert stored["email"] == TESTER
    assert queue(deps).calls[0].payload["email"] == TESTER


def test_a_tester_of_an_older_private_version_gets_a_link(deps: Dependencies) -> None:
    """The latest version is public, but the tester's own version is private to them."""
    install_page_app(
        deps.applications,
        version_names=("1.0", "2.0"),
        accesses=(("PRIVATE", (TESTER,)), ("PUBLIC", ())),
    )
    app = deps.applications.get_app("AppForInstallPages0001")
    sign_in.request_link(deps, app, STRANGER, CLIENT)
    assert queue(deps).calls == []
    sign_in.request_link(deps, app, TESTER, CLIENT)
    (task,) = queue(deps).calls
    assert task.payload["email"] == TESTER


def test_a_public_app_never_sends_a_sign_in_email(deps: Dependencies) -> None:
    app = install_page_app(deps.applications, access="PUBLIC")
    sign_in.request_link(deps, app, "victim@example.com", CLIENT)
    assert queue(deps).calls == []


# --- rate limits ----------------------------------------------------------------------------------


def test_requests_per_address_are_limited(deps: Dependencies, private_app: Application) -> None:
    """Three a minute by default, counted for allowed and unknown addresses alike."""
    for n in range(3):
        sign_in.request_link(deps, private_app, TESTER, f"198.51.100.{n}")
    with pytest.raises(RateLimited) as caught:
        sign_in.request_link(deps, private_app, " TESTER@example.com", "198.51.100.9")
    assert caught.value.retry_after == 55  # the window ends at 12:01:00
    assert len(queue(deps).calls) == 3

    for n in range(3):
        sign_in.request_link(deps, private_app, STRANGER, f"198.51.100.{n}")
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, private_app, STRANGER, "198.51.100.9")


def test_requests_per_client_are_limited(deps: Dependencies, private_app: Application) -> None:
    for n in range(10):
        sign_in.request_link(deps, private_app, f"person{n}@example.com", CLIENT)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, private_app, TESTER, CLIENT)
    assert queue(deps).calls == []  # a limited request sends nothing
    sign_in.request_link(deps, private_app, TESTER, "198.51.100.1")  # another client may
    assert len(queue(deps).calls) == 1


def test_the_limits_follow_the_settings(clock) -> None:
    deps = fake_dependencies(sign_in_rate_limit_per_address=1, sign_in_rate_limit_per_client=2)
    app = install_page_app(deps.applications, access="PRIVATE", allowed_users=(TESTER,))
    sign_in.request_link(deps, app, TESTER, "198.51.100.1")
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, app, TESTER, "198.51.100.2")
    sign_in.request_link(deps, app, "a@example.com", "198.51.100.3")
    sign_in.request_link(deps, app, "b@example.com", "198.51.100.3")
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, app, "c@example.com", "198.51.100.3")


def test_the_limit_resets_the_next_minute(
    deps: Dependencies, private_app: Application, clock
) -> None:
    for _ in range(3):
        sign_in.request_link(deps, private_app, TESTER, CLIENT)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, private_app, TESTER, CLIENT)
    clock[0] += datetime.timedelta(minutes=1)
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    assert len(queue(deps).calls) == 4


def test_rate_limit_keys_do_not_hold_the_address_or_the_client(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    windows = " ".join(deps.rate_limits.counts)
    assert "tester" not in windows and CLIENT not in windows
    assert "sign-in-address-" in windows and "sign-in-client-" in windows


def test_an_invalid_address_does_not_use_up_the_limit(
    deps: Dependencies, private_app: Application
) -> None:
    for _ in range(20):
        with pytest.raises(InvalidRequest):
            sign_in.request_link(deps, private_app, "nonsense", CLIENT)
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    assert len(queue(deps).calls) == 1


# --- redeem_link --------------------------------------------------------------------------------


def test_a_link_works_once(deps: Dependencies, private_app: Application) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    token = emailed_token(deps)

    assert sign_in.redeem_link(deps, token) == (TESTER, private_app.id)
    with pytest.raises(InvalidRequest) as caught:
        sign_in.redeem_link(deps, token)
    assert caught.value.detail == EXPIRED
    assert "already used or has expired" in caught.value.detail


def test_a_link_works_until_its_fifteen_minutes_are_up(
    deps: Dependencies, private_app: Application, clock
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    clock[0] += datetime.timedelta(minutes=14, seconds=59)
    assert sign_in.redeem_link(deps, emailed_token(deps)) == (TESTER, private_app.id)


def test_an_expired_link_is_refused(deps: Dependencies, private_app: Application, clock) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    clock[0] += datetime.timedelta(minutes=15)
    with pytest.raises(InvalidRequest) as caught:
        sign_in.redeem_link(deps, emailed_token(deps))
    assert caught.value.detail == EXPIRED


@pytest.mark.parametrize(
    "token",
    ["", "short", "x" * 15, "x" * 16, "A" * 43, "x" * 128, "x" * 129, "y" * 5000, "../../etc"],
)
def test_unknown_tokens_are_refused_alike(
    deps: Dependencies, private_app: Application, token: str
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    with pytest.raises(InvalidRequest) as caught:
        sign_in.redeem_link(deps, token)
    assert caught.value.detail == EXPIRED


def test_the_stored_hash_is_not_a_token(deps: Dependencies, private_app: Application) -> None:
    """Someone who read the token collection cannot use what is stored as a link."""
    sign_in.request_link(deps, private_app, TESTER, CLIENT)
    (token_hash,) = tokens(deps).tokens
    with pytest.raises(InvalidRequest):
        sign_in.redeem_link(deps, token_hash)
    assert sign_in.redeem_link(deps, emailed_token(deps)) == (TESTER, private_app.id)
