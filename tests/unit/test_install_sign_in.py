"""Email sign-in for private apps (`apkdrop.install_pages.sign_in`), over the fakes."""

import datetime
import hashlib
import re

import pytest

from apkdrop.applications.models import Application
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest, RateLimited
from apkdrop.install_pages import sign_in
from apkdrop.install_pages.ports import LinkTarget
from apkdrop.notifications.models import EmailTaskBody, SignInEmailTask
from tests.fakes import (
    FakeApplicationStore,
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
LINK = re.compile(
    r"^https://apkdrop\.example\.test/auth/verify\?token=([0-9a-f]{32}\.[A-Za-z0-9_-]{43})$"
)


@pytest.fixture
def deps() -> Dependencies:
    deps = fake_dependencies(session_signing_key="s" * 40)
    deps.clock.now = NOW  # the service's and the fake token store's clock, moved by tests
    return deps


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


def queued_task(deps: Dependencies) -> SignInEmailTask:
    """The last sign-in task queued, as the worker reads it."""
    task = EmailTaskBody.model_validate(queue(deps).calls[-1].payload).root
    assert isinstance(task, SignInEmailTask)
    return task


def issued_token(deps: Dependencies, version: str | None = None) -> str:
    """What the worker does for the last queued task: mints its link; returns the token."""
    match = LINK.match(sign_in.issue_link(deps, queued_task(deps), version))
    assert match
    return match.group(1)


# --- request_link: the same work for every address ---------------------------------------------


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
        sign_in.request_link(deps, private_app, address, CLIENT, None)
    assert tokens(deps).tokens == {} and queue(deps).calls == []


def test_an_overlong_address_is_refused(deps: Dependencies, private_app: Application) -> None:
    address = "a" * 245 + "@example.com"  # 257 characters
    with pytest.raises(InvalidRequest):
        sign_in.request_link(deps, private_app, address, CLIENT, None)
    assert queue(deps).calls == []


def test_a_request_queues_a_task_that_carries_no_secret(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, 1)

    (task,) = queue(deps).calls
    request_id = task.payload["requestId"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert task.payload == {
        "kind": "sign-in",
        "requestId": request_id,
        "email": TESTER,
        "appId": private_app.id,
        "version": 1,
        "channel": None,
    }
    assert task.url == "https://email.example.test/send"
    assert task.at == NOW
    assert task.task_id == f"sign-in-{request_id}" == queued_task(deps).delivery_id
    assert tokens(deps).tokens == {}  # the worker mints the token, not the request


@pytest.mark.parametrize(
    ("access_type", "address"),
    [
        ("PRIVATE", TESTER),
        ("PRIVATE", OWNER),
        ("PRIVATE", STRANGER),
        ("PRIVATE", "tester@example.com.evil"),
        ("PUBLIC", "victim@example.com"),
    ],
)
def test_every_address_takes_the_same_path(
    deps: Dependencies, access_type: str, address: str
) -> None:
    """Allowed or not, public or private: one task of the same shape, and nothing else, so
    neither the answer nor its timing tells who has access."""
    app = install_page_app(
        deps.applications, access=access_type, allowed_users=(TESTER,), owner_email=OWNER
    )
    assert sign_in.request_link(deps, app, address, CLIENT, None) is None
    (task,) = queue(deps).calls
    assert set(task.payload) == {"kind", "requestId", "email", "appId", "version", "channel"}
    assert task.payload["email"] == address and task.payload["version"] is None
    assert tokens(deps).tokens == {}
    assert len(deps.rate_limits.counts) == 2


@pytest.mark.parametrize(
    "address", ["  Tester@Example.COM ", "TESTER@EXAMPLE.COM", "\ttester@example.com\n"]
)
def test_the_address_is_normalised(
    deps: Dependencies, private_app: Application, address: str
) -> None:
    sign_in.request_link(deps, private_app, address, CLIENT, None)
    assert queued_task(deps).email == TESTER


def test_each_request_is_its_own_task(deps: Dependencies, private_app: Application) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    assert len({task.task_id for task in queue(deps).calls}) == 2


# --- rate limits ----------------------------------------------------------------------------------


def test_requests_per_address_and_client_are_limited(
    deps: Dependencies, private_app: Application
) -> None:
    """Three a minute by default, counted for allowed and unknown addresses alike."""
    for _ in range(3):
        sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    with pytest.raises(RateLimited) as caught:
        sign_in.request_link(deps, private_app, " TESTER@example.com", CLIENT, None)
    assert caught.value.retry_after == 55  # the window ends at 12:01:00
    assert len(queue(deps).calls) == 3

    for _ in range(3):
        sign_in.request_link(deps, private_app, STRANGER, CLIENT, None)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, private_app, STRANGER, CLIENT, None)


def test_a_stranger_cannot_use_up_a_testers_limit(
    deps: Dependencies, private_app: Application
) -> None:
    """The per-address limit is keyed with the client: another client's requests for the
    tester's address leave the tester's own requests alone."""
    attacker = "198.51.100.66"
    for _ in range(3):
        sign_in.request_link(deps, private_app, TESTER, attacker, None)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, private_app, TESTER, attacker, None)

    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    assert queued_task(deps).email == TESTER
    assert len(queue(deps).calls) == 4


def test_requests_per_client_are_limited(deps: Dependencies, private_app: Application) -> None:
    for n in range(10):
        sign_in.request_link(deps, private_app, f"person{n}@example.com", CLIENT, None)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    assert len(queue(deps).calls) == 10  # a limited request queues nothing
    sign_in.request_link(deps, private_app, TESTER, "198.51.100.1", None)  # another client may
    assert len(queue(deps).calls) == 11


def test_the_limits_follow_the_settings() -> None:
    deps = fake_dependencies(sign_in_rate_limit_per_address=1, sign_in_rate_limit_per_client=2)
    deps.clock.now = NOW  # one rate-limit window
    app = install_page_app(deps.applications, access="PRIVATE", allowed_users=(TESTER,))
    sign_in.request_link(deps, app, TESTER, "198.51.100.1", None)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, app, TESTER, "198.51.100.1", None)
    sign_in.request_link(deps, app, "a@example.com", "198.51.100.3", None)
    sign_in.request_link(deps, app, "b@example.com", "198.51.100.3", None)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, app, "c@example.com", "198.51.100.3", None)


def test_the_limit_resets_the_next_minute(deps: Dependencies, private_app: Application) -> None:
    for _ in range(3):
        sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    with pytest.raises(RateLimited):
        sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    deps.clock.now += datetime.timedelta(minutes=1)
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    assert len(queue(deps).calls) == 4


def test_rate_limit_keys_do_not_hold_the_address_or_the_client(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    windows = " ".join(deps.rate_limits.counts)
    assert "tester" not in windows and CLIENT not in windows
    pair = "sign-in-address-" + hashlib.sha256(f"{TESTER}\n{CLIENT}".encode()).hexdigest()[:32]
    assert any(window.startswith(pair) for window in deps.rate_limits.counts)
    assert "sign-in-client-" in windows


def test_an_invalid_address_does_not_use_up_the_limit(
    deps: Dependencies, private_app: Application
) -> None:
    for _ in range(20):
        with pytest.raises(InvalidRequest):
            sign_in.request_link(deps, private_app, "nonsense", CLIENT, None)
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    assert len(queue(deps).calls) == 1


# --- issue_link and redeem_link -----------------------------------------------------------------


def test_the_link_carries_a_token_stored_by_hash_only(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, 1)
    request_id = queued_task(deps).requestId
    token = issued_token(deps, "1.0")

    assert token.startswith(f"{request_id}.")
    secret = token.split(".", 1)[1]
    assert tokens(deps).tokens == {
        request_id: {
            "tokenHash": hashlib.sha256(secret.encode()).hexdigest(),
            "email": TESTER,
            "appId": private_app.id,
            "version": "1.0",
            "channel": None,
            "expireAt": NOW + datetime.timedelta(minutes=15),
            "used": False,
        }
    }
    assert secret not in repr(tokens(deps).tokens)
    assert secret not in repr(queue(deps).calls)


def test_the_link_has_no_double_slash_when_the_base_url_ends_with_one() -> None:
    deps = fake_dependencies(public_base_url="https://apkdrop.example.test/")
    app = install_page_app(deps.applications, access="PRIVATE", allowed_users=(TESTER,))
    sign_in.request_link(deps, app, TESTER, CLIENT, None)
    assert issued_token(deps)


def test_a_link_works_once(deps: Dependencies, private_app: Application) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    token = issued_token(deps)

    assert sign_in.redeem_link(deps, token) == LinkTarget(TESTER, private_app.id, None)
    with pytest.raises(InvalidRequest) as caught:
        sign_in.redeem_link(deps, token)
    assert caught.value.detail == EXPIRED


def test_a_link_remembers_the_version(deps: Dependencies, private_app: Application) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, 1)
    target = sign_in.redeem_link(deps, issued_token(deps, "1.0"))
    assert target == LinkTarget(TESTER, private_app.id, "1.0")


def test_a_reissued_link_replaces_the_earlier_one(
    deps: Dependencies, private_app: Application
) -> None:
    """A retried send mints again: only the newest link of a request works."""
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    first, second = issued_token(deps), issued_token(deps)
    assert first != second
    with pytest.raises(InvalidRequest):
        sign_in.redeem_link(deps, first)
    assert sign_in.redeem_link(deps, second).email == TESTER


def test_a_link_works_until_its_fifteen_minutes_are_up(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    token = issued_token(deps)
    deps.clock.now += datetime.timedelta(minutes=14, seconds=59)
    assert sign_in.redeem_link(deps, token).email == TESTER


def test_an_expired_link_is_refused(deps: Dependencies, private_app: Application) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    token = issued_token(deps)
    deps.clock.now += datetime.timedelta(minutes=15)
    with pytest.raises(InvalidRequest) as caught:
        sign_in.redeem_link(deps, token)
    assert caught.value.detail == EXPIRED


@pytest.mark.parametrize(
    "token",
    [
        "",
        "short",
        "x" * 16,
        "A" * 43,
        "0" * 32 + "." + "A" * 43,  # the right shape, no such request
        "x" * 128,
        "y" * 5000,
        "../../etc",
        "0" * 32 + ".." + "A" * 42,
    ],
)
def test_unknown_tokens_are_refused_alike(
    deps: Dependencies, private_app: Application, token: str
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    issued_token(deps)
    with pytest.raises(InvalidRequest) as caught:
        sign_in.redeem_link(deps, token)
    assert caught.value.detail == EXPIRED


def test_the_request_id_alone_or_with_the_stored_hash_is_no_token(
    deps: Dependencies, private_app: Application
) -> None:
    """Whoever reads the task or the token collection cannot make a working link."""
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    token = issued_token(deps)
    request_id = queued_task(deps).requestId
    stored_hash = tokens(deps).tokens[request_id]["tokenHash"]
    for forged in (request_id, f"{request_id}.{stored_hash}", f"{request_id}.{stored_hash[:43]}"):
        with pytest.raises(InvalidRequest):
            sign_in.redeem_link(deps, forged)
    assert sign_in.redeem_link(deps, token).email == TESTER


def test_peeking_names_the_target_and_spends_nothing(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    token = issued_token(deps)
    for _ in range(3):
        assert sign_in.peek_link(deps, token) == sign_in.LinkShown(TESTER, "Secret App")
    assert sign_in.redeem_link(deps, token).email == TESTER


def test_peeking_names_no_app_once_the_app_is_gone(
    deps: Dependencies, private_app: Application
) -> None:
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    token = issued_token(deps)
    assert isinstance(deps.applications, FakeApplicationStore)
    del deps.applications.apps[private_app.id]
    assert sign_in.peek_link(deps, token) == sign_in.LinkShown(TESTER, None)


@pytest.mark.parametrize("spoil", ["redeemed", "expired", "reissued", "other secret", "nonsense"])
def test_peeking_refuses_what_redeeming_refuses(
    deps: Dependencies, private_app: Application, spoil: str
) -> None:
    """The same answer whichever it is: the page must not tell them apart."""
    sign_in.request_link(deps, private_app, TESTER, CLIENT, None)
    token = issued_token(deps)
    if spoil == "redeemed":
        sign_in.redeem_link(deps, token)
    elif spoil == "expired":
        deps.clock.now += sign_in.LINK_LIFETIME
    elif spoil == "reissued":
        issued_token(deps)
    elif spoil == "other secret":
        token = token.split(".")[0] + "." + "A" * 43
    else:
        token = "nonsense"
    with pytest.raises(InvalidRequest) as caught:
        sign_in.peek_link(deps, token)
    assert caught.value.detail == EXPIRED
