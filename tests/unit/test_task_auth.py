"""Task handlers accept only the queue account's OIDC token, for their own URL.

`verify_task_caller` on its own, then through the real entry points (send_email and
expire_build_upload, loaded by functions_framework) and the Settings that switch it; last, every
task handler acknowledging an authenticated task whose body it can never read.
"""

import json
import sys

import pytest
from functions_framework import create_app
from google.auth import exceptions as auth_exceptions
from pydantic import ValidationError

from apkdrop import task_auth
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, Forbidden, Unauthenticated
from tests.fakes import EXPIRY_URL, AllSettings, fake_dependencies, make_settings
from tests.paths import MAIN

INVOKER = "tasks@apkdrop-test.iam.gserviceaccount.com"
AUDIENCE = "https://email.example.test/send"
INVOKER_CLAIMS = {"email": INVOKER, "email_verified": True, "aud": AUDIENCE}
BEARER = {"Authorization": "Bearer task-token"}


class TokenVerifier:
    """Stands in for `id_token.verify_oauth2_token`: records calls, answers or raises."""

    def __init__(self, answer: dict | Exception) -> None:
        self.answer = answer
        self.calls: list[tuple[str, object, str | None]] = []

    def __call__(self, token: str, request: object, audience: str | None = None) -> dict:
        self.calls.append((token, request, audience))
        if isinstance(self.answer, Exception):
            raise self.answer
        return dict(self.answer)


def install(monkeypatch: pytest.MonkeyPatch, answer: dict | Exception) -> TokenVerifier:
    verifier = TokenVerifier(answer)
    monkeypatch.setattr(task_auth, "verify_token", verifier)
    return verifier


# --- verify_task_caller -----------------------------------------------------------------------


def test_dev_setting_accepts_a_request_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = install(monkeypatch, AssertionError("no token may be verified"))
    settings = make_settings(dev_allow_unauthenticated_tasks=True)
    task_auth.verify_task_caller({}, settings, AUDIENCE)
    assert verifier.calls == []


def test_dev_setting_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, AssertionError("no token may be verified"))
    settings = make_settings(
        tasks_invoker_service_account=None, dev_allow_unauthenticated_tasks=True
    )
    task_auth.verify_task_caller({"Authorization": "garbage"}, settings, AUDIENCE)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": "Basic dGFza3M6c2VjcmV0"},
        {"Authorization": "task-token"},
        {"X-Api-Key": "task-token"},
    ],
    ids=["none", "empty", "bearer-only", "bearer-blank", "basic", "no-scheme", "other-header"],
)
def test_without_a_bearer_token_is_401(monkeypatch: pytest.MonkeyPatch, headers: dict) -> None:
    verifier = install(monkeypatch, INVOKER_CLAIMS)
    with pytest.raises(Unauthenticated) as caught:
        task_auth.verify_task_caller(headers, make_settings(), AUDIENCE)
    assert caught.value.detail == "Missing task token"
    assert verifier.calls == []


def test_the_right_token_passes_and_is_checked_for_this_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = install(monkeypatch, INVOKER_CLAIMS)
    task_auth.verify_task_caller(
        {"Authorization": "bearer  tok.en.sig "}, make_settings(), AUDIENCE
    )
    ((token, request, audience),) = verifier.calls
    assert token == "tok.en.sig"
    assert audience == AUDIENCE
    assert request is not None  # a transport to fetch Google's certificates with


@pytest.mark.parametrize(
    "error",
    [
        ValueError("Token expired"),
        ValueError("Token has wrong audience https://elsewhere.example.test"),
        ValueError("Wrong number of segments in token"),
        auth_exceptions.GoogleAuthError("Wrong issuer"),
        auth_exceptions.InvalidValue("bad signature"),
    ],
    ids=["expired", "audience", "malformed", "issuer", "invalid-value"],
)
def test_a_token_that_does_not_verify_is_401(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    install(monkeypatch, error)
    with pytest.raises(Unauthenticated) as caught:
        task_auth.verify_task_caller(BEARER, make_settings(), AUDIENCE)
    assert caught.value.detail == "Invalid task token"
    assert caught.value.__cause__ is error


def test_unreachable_certificates_are_a_backend_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    error = auth_exceptions.TransportError("Could not fetch certificates")
    install(monkeypatch, error)
    with pytest.raises(BackendUnavailable) as caught:
        task_auth.verify_task_caller(BEARER, make_settings(), AUDIENCE)
    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "someone@apkdrop-test.iam.gserviceaccount.com", "email_verified": True},
        {"email": INVOKER.upper(), "email_verified": True},
        {"email": INVOKER, "email_verified": False},
        {"email": INVOKER},
        {"email_verified": True},
        {"sub": "1234567890"},
    ],
    ids=["other-account", "other-case", "unverified", "no-verified-claim", "no-email", "bare"],
)
def test_a_valid_token_of_another_caller_is_403(
    monkeypatch: pytest.MonkeyPatch, claims: dict
) -> None:
    install(monkeypatch, claims)
    with pytest.raises(Forbidden) as caught:
        task_auth.verify_task_caller(BEARER, make_settings(), AUDIENCE)
    assert caught.value.detail == "This task token is not the queue's"


def test_audience_is_the_one_given(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = install(monkeypatch, INVOKER_CLAIMS)
    settings = make_settings()
    task_auth.verify_task_caller(BEARER, settings, EXPIRY_URL)
    task_auth.verify_task_caller(BEARER, settings, AUDIENCE)
    assert [audience for _, _, audience in verifier.calls] == [EXPIRY_URL, AUDIENCE]


# --- Settings ----------------------------------------------------------------------------------


def test_settings_refuse_to_load_without_a_way_to_authenticate_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TASKS_INVOKER_SERVICE_ACCOUNT")
    with pytest.raises(ValidationError, match="TASKS_INVOKER_SERVICE_ACCOUNT"):
        AllSettings()
    with pytest.raises(ValidationError, match="DEV_ALLOW_UNAUTHENTICATED_TASKS"):
        make_settings(tasks_invoker_service_account=None)
    monkeypatch.setenv("DEV_ALLOW_UNAUTHENTICATED_TASKS", "false")
    with pytest.raises(ValidationError):
        AllSettings()


def test_settings_load_with_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = AllSettings()
    assert loaded.tasks_invoker_service_account == INVOKER
    assert loaded.dev_allow_unauthenticated_tasks is False
    monkeypatch.delenv("TASKS_INVOKER_SERVICE_ACCOUNT")
    monkeypatch.setenv("DEV_ALLOW_UNAUTHENTICATED_TASKS", "true")
    loaded = AllSettings()
    assert loaded.tasks_invoker_service_account is None
    assert loaded.dev_allow_unauthenticated_tasks is True


def test_main_does_not_load_without_a_way_to_authenticate_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TASKS_INVOKER_SERVICE_ACCOUNT")
    monkeypatch.setitem(sys.modules, "main", None)
    with pytest.raises(ValidationError, match="TASKS_INVOKER_SERVICE_ACCOUNT"):
        create_app("send_email", str(MAIN), "http")


# --- through the entry points -----------------------------------------------------------------


@pytest.fixture
def dev_tasks() -> bool:
    return False


@pytest.fixture
def deps(dev_tasks: bool) -> Dependencies:
    return fake_dependencies(dev_allow_unauthenticated_tasks=dev_tasks)


TARGETS = {
    # target: (a body it accepts and acknowledges, what it answers)
    "send_email": (
        {"appId": "no-such-app", "version": 1},
        {"delivery": "upload-no-such-app-1", "outcome": "unknown"},
    ),
    "expire_build_upload": ({"buildId": 77}, {"buildId": 77, "uploadState": None}),
}


def audience_of(target: str, deps: Dependencies) -> str:
    url = (
        deps.settings.email_worker_url
        if target == "send_email"
        else deps.settings.upload_expiry_url
    )
    return str(url)


@pytest.mark.parametrize("target", TARGETS)
def test_entry_point_without_a_token_is_401(
    load, monkeypatch: pytest.MonkeyPatch, deps: Dependencies, target: str
) -> None:
    verifier = install(monkeypatch, INVOKER_CLAIMS)
    body, _ = TARGETS[target]
    response = load(target).post("/", json=body)
    assert (response.status_code, response.json) == (401, {"detail": "Missing task token"})
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="apkdrop"'
    assert verifier.calls == []
    assert deps.mailer.sent == [] and deps.deliveries.deliveries == {}


@pytest.mark.parametrize("target", TARGETS)
def test_entry_point_authenticates_before_reading_the_body(
    load, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    install(monkeypatch, INVOKER_CLAIMS)
    response = load(target).post("/", data="not json")
    assert (response.status_code, response.json) == (401, {"detail": "Missing task token"})


@pytest.mark.parametrize("target", TARGETS)
def test_entry_point_with_a_bad_token_is_401(
    load, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    install(monkeypatch, ValueError("Token expired"))
    body, _ = TARGETS[target]
    response = load(target).post("/", json=body, headers=BEARER)
    assert (response.status_code, response.json) == (401, {"detail": "Invalid task token"})


@pytest.mark.parametrize("target", TARGETS)
def test_entry_point_with_another_callers_token_is_403(
    load, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    install(monkeypatch, {"email": "intruder@example.com", "email_verified": True})
    body, _ = TARGETS[target]
    response = load(target).post("/", json=body, headers=BEARER)
    assert (response.status_code, response.json) == (
        403,
        {"detail": "This task token is not the queue's"},
    )


@pytest.mark.parametrize("target", TARGETS)
def test_entry_point_with_unreachable_certificates_is_503(
    load, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    install(monkeypatch, auth_exceptions.TransportError("certificates unreachable"))
    body, _ = TARGETS[target]
    response = load(target).post("/", json=body, headers=BEARER)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize("target", TARGETS)
def test_entry_point_with_a_valid_token_works_for_its_own_url(
    load, monkeypatch: pytest.MonkeyPatch, deps: Dependencies, target: str
) -> None:
    verifier = install(monkeypatch, INVOKER_CLAIMS)
    body, answer = TARGETS[target]
    response = load(target).post("/", json=body, headers=BEARER)
    assert (response.status_code, response.json) == (200, answer)
    ((token, _, audience),) = verifier.calls
    assert (token, audience) == ("task-token", audience_of(target, deps))


@pytest.mark.parametrize("dev_tasks", [True])
@pytest.mark.parametrize("target", TARGETS)
def test_entry_point_without_a_token_works_with_the_dev_setting(
    load, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    verifier = install(monkeypatch, AssertionError("no token may be verified"))
    body, answer = TARGETS[target]
    response = load(target).post("/", json=body)
    assert (response.status_code, response.json) == (200, answer)
    assert verifier.calls == []


# --- a task whose body can never be read ------------------------------------------------------

# Every Cloud Tasks handler. Cloud Tasks retries any answer but a 2xx (up to max_attempts).
TASK_HANDLERS = [
    "send_email",
    "expire_build_upload",
    "hash_apk",
    "deliver_webhook",
    "convert_bundle",
]
UNREADABLE = [
    pytest.param({"data": "not json", "content_type": "application/json"}, id="not-json"),
    pytest.param({"json": []}, id="not-an-object"),
    pytest.param({"json": {"unexpected": "secret-value"}}, id="wrong-fields"),
    pytest.param({"data": "x" * (64 * 1024 + 1), "content_type": "application/json"},
                 id="too-large"),
]  # fmt: skip


@pytest.mark.parametrize("kwargs", UNREADABLE)
@pytest.mark.parametrize("target", TASK_HANDLERS)
def test_an_authenticated_task_that_can_never_be_read_is_acknowledged(
    load,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    deps: Dependencies,
    target: str,
    kwargs: dict,
) -> None:
    install(monkeypatch, INVOKER_CLAIMS)
    worker = load(target)
    capsys.readouterr()
    response = worker.post("/", headers=BEARER, **kwargs)

    assert response.status_code == 200, response.json
    assert response.mimetype == "application/json"
    assert list(response.json) == ["detail"] and response.json["detail"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (error,) = [entry for entry in logged if entry["severity"] == "ERROR"]
    assert target in error["message"]
    assert "secret-value" not in error["message"] + response.get_data(as_text=True)
    assert deps.mailer.sent == [] and deps.deliveries.deliveries == {}


@pytest.mark.parametrize("kwargs", UNREADABLE)
@pytest.mark.parametrize("target", TASK_HANDLERS)
def test_an_unreadable_task_without_a_token_is_still_401(
    load, monkeypatch: pytest.MonkeyPatch, target: str, kwargs: dict
) -> None:
    verifier = install(monkeypatch, INVOKER_CLAIMS)
    response = load(target).post("/", **kwargs)
    assert (response.status_code, response.json) == (401, {"detail": "Missing task token"})
    assert verifier.calls == []


@pytest.mark.parametrize("target", TASK_HANDLERS)
def test_an_unreadable_task_of_another_caller_is_still_403(
    load, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    install(monkeypatch, {"email": "intruder@example.com", "email_verified": True})
    response = load(target).post("/", headers=BEARER, data="x" * (64 * 1024 + 1))
    assert response.status_code == 403
