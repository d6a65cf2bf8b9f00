"""Sign-in emails in the worker: it decides, at send time, whether the address gets a link,
mints the token, and sends one valid link per request however often the task is delivered."""

import dataclasses
import datetime
import hashlib
import re

import pytest
from flask.testing import FlaskClient

from apkdrop.applications.models import Application
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, InvalidRequest
from apkdrop.install_pages import sign_in
from apkdrop.notifications import delivery
from apkdrop.notifications.models import EmailTaskBody, SignInEmailTask
from tests.fakes import FakeSignInTokens, ScriptedMailer, fake_dependencies, install_page_app

OWNER = "owner@example.com"
TESTER = "tester@example.com"
STRANGER = "stranger@example.com"
CLIENT = "203.0.113.7"
LINK = re.compile(r"https://apkdrop\.example\.test/auth/verify\?token=([0-9a-f]{32}\.[\w-]{43})")


@pytest.fixture
def mailer() -> ScriptedMailer:
    return ScriptedMailer()


@pytest.fixture
def deps(mailer: ScriptedMailer) -> Dependencies:
    return dataclasses.replace(fake_dependencies(), mailer=mailer)


def app_with(deps: Dependencies, access: str = "PRIVATE", versions: int = 1) -> Application:
    return install_page_app(
        deps.applications,
        access=access,
        allowed_users=(TESTER,),
        owner_email=OWNER,
        label="Secret App",
        version_names=tuple(f"{n}.0.0" for n in range(1, versions + 1)),
    )


def requested(deps: Dependencies, app: Application, email: str, version: int | None = None):
    """The task a sign-in request queued, as the worker reads it."""
    sign_in.request_link(deps, app, email, CLIENT, version)
    task = EmailTaskBody.model_validate(deps.email_queue.calls[-1].payload).root
    assert isinstance(task, SignInEmailTask)
    return task


def tokens(deps: Dependencies) -> FakeSignInTokens:
    assert isinstance(deps.sign_in_tokens, FakeSignInTokens)
    return deps.sign_in_tokens


def token_in(mail) -> str:
    match = LINK.search(mail.text)
    assert match, mail.text
    assert match.group(0) in mail.html
    return match.group(1)


@pytest.mark.parametrize("email", [TESTER, OWNER])
def test_an_address_with_access_gets_a_link(
    deps: Dependencies, mailer: ScriptedMailer, email: str
) -> None:
    app = app_with(deps)
    task = requested(deps, app, email)

    assert delivery.deliver_email(deps, task) == "sent"

    (mail,) = mailer.sent
    assert mail.to == [email]
    assert mail.subject == "Your sign-in link for Secret App on apkdrop"
    assert "15 minutes" in mail.text
    token = token_in(mail)
    request_id, secret = token.split(".")
    assert request_id == task.requestId
    stored = tokens(deps).tokens[request_id]
    assert stored["tokenHash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert (stored["email"], stored["appId"], stored["version"]) == (email, app.id, None)
    assert sign_in.redeem_link(deps, token).email == email


@pytest.mark.parametrize("email", [STRANGER, "tester@example.com.evil"])
def test_an_address_without_access_gets_nothing(
    deps: Dependencies, mailer: ScriptedMailer, email: str
) -> None:
    task = requested(deps, app_with(deps), email)
    assert delivery.deliver_email(deps, task) == "not sent"
    assert mailer.attempts == [] and tokens(deps).tokens == {}
    assert deps.deliveries.deliveries == {}


def test_a_public_version_gets_no_link(deps: Dependencies, mailer: ScriptedMailer) -> None:
    """Public versions need no sign-in: mailing links for them would mail anyone anything."""
    task = requested(deps, app_with(deps, access="PUBLIC"), "victim@example.com")
    assert delivery.deliver_email(deps, task) == "not sent"
    assert mailer.attempts == [] and tokens(deps).tokens == {}


@pytest.mark.parametrize(("app_id", "version"), [("NoSuchApp0123456789AB", None), (None, 7)])
def test_an_unknown_app_or_version_gets_nothing(
    deps: Dependencies, mailer: ScriptedMailer, app_id: str | None, version: int | None
) -> None:
    app = app_with(deps)
    task = requested(deps, app, TESTER, version).model_copy(update={"appId": app_id or app.id})
    assert delivery.deliver_email(deps, task) == "not sent"
    assert mailer.attempts == []


def test_the_link_remembers_the_version_asked_for(
    deps: Dependencies, mailer: ScriptedMailer
) -> None:
    app = app_with(deps, versions=2)
    delivery.deliver_email(deps, requested(deps, app, TESTER, 1))
    delivery.deliver_email(deps, requested(deps, app, TESTER))
    versions = [sign_in.redeem_link(deps, token_in(mail)).version for mail in mailer.sent]
    assert versions == ["1.0", None]


def test_a_redelivered_task_sends_nothing_more(deps: Dependencies, mailer: ScriptedMailer) -> None:
    task = requested(deps, app_with(deps), TESTER)
    assert delivery.deliver_email(deps, task) == "sent"
    stored = dict(tokens(deps).tokens[task.requestId])

    assert delivery.deliver_email(deps, task) == "duplicate"

    assert len(mailer.attempts) == 1
    assert tokens(deps).tokens[task.requestId] == stored
    assert sign_in.redeem_link(deps, token_in(mailer.sent[0])).email == TESTER


def test_a_retried_send_leaves_one_valid_link(deps: Dependencies) -> None:
    """SendGrid failed after a token was minted (perhaps after delivering): the retry mints
    again, and only its link works."""
    mailer = ScriptedMailer(BackendUnavailable("SendGrid is unavailable, retry later"))
    deps = dataclasses.replace(deps, mailer=mailer)
    task = requested(deps, app_with(deps), TESTER)

    with pytest.raises(BackendUnavailable):
        delivery.deliver_email(deps, task)
    assert delivery.deliver_email(deps, task) == "sent"

    first, second = (token_in(mail) for mail in mailer.attempts)
    assert first != second
    with pytest.raises(InvalidRequest):
        sign_in.redeem_link(deps, first)
    assert sign_in.redeem_link(deps, second).email == TESTER


def test_the_link_expires_fifteen_minutes_after_it_was_sent(deps: Dependencies) -> None:
    sent_at = datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.UTC)
    deps.clock.now = sent_at
    task = requested(deps, app_with(deps), TESTER)
    delivery.deliver_email(deps, task)
    expire_at = tokens(deps).tokens[task.requestId]["expireAt"]
    assert expire_at == sent_at + datetime.timedelta(minutes=15)


# --- through the worker's entry point -----------------------------------------------------------


@pytest.fixture
def worker(load_task) -> FlaskClient:
    return load_task("send_email")


def test_the_worker_answers_what_it_did(
    worker: FlaskClient, deps: Dependencies, mailer: ScriptedMailer
) -> None:
    app = app_with(deps)
    for email, outcome in ((TESTER, "sent"), (STRANGER, "not sent")):
        sign_in.request_link(deps, app, email, CLIENT, None)
        payload = deps.email_queue.calls[-1].payload
        response = worker.post("/", json=payload)
        assert response.status_code == 200
        assert response.json == {"delivery": f"sign-in-{payload['requestId']}", "outcome": outcome}
    assert [mail.to for mail in mailer.sent] == [[TESTER]]


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "sign-in", "email": TESTER, "appId": "x"},  # no request id
        {"kind": "sign-in", "requestId": "../x", "email": TESTER, "appId": "x"},
        {"kind": "sign-in", "requestId": "0" * 32, "email": TESTER, "appId": "x", "version": 0},
    ],
)
def test_a_malformed_sign_in_task_is_acknowledged_unsent(
    worker: FlaskClient, mailer: ScriptedMailer, payload: dict
) -> None:
    response = worker.post("/", json=payload)
    assert (response.status_code, list(response.json)) == (200, ["detail"])
    assert mailer.attempts == []
