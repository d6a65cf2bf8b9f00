"""What every function answers, whatever happens: JSON (or the install pages' HTML) with the
safe headers, never the framework's HTML. Through functions_framework.create_app."""

import json

import pytest
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest, RequestHeaderFieldsTooLarge, UnsupportedMediaType

from apkdrop.accounts import issue_api_key
from apkdrop.builds import service as build_service
from apkdrop.builds import settlement
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.install_pages import views as install_views
from apkdrop.timeutil import iso_millis, utc_now
from infra.bridge import cloud_event_headers
from tests.fakes import install_page_app

APP_ID = "AppForInstallPages0001"
JSON_TARGETS = ["build_api", "application_api", "expire_build_upload", "send_email"]


@pytest.fixture
def auth(deps: Dependencies) -> dict[str, str]:
    return {"X-Api-Key": issue_api_key(deps.accounts, "ci@example.com")}


def assert_safe_headers(response) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert "detail" in response.json
    assert_safe_headers(response)
    return response.json


# --- headers ------------------------------------------------------------------------------------


def test_json_answers_are_not_cached_or_sniffed(load, auth: dict[str, str]) -> None:
    api = load("build_api")
    created = api.post("/api/v1/projects/demo/build-uploads", headers=auth)
    assert created.status_code == 200
    assert_safe_headers(created)
    assert_json_error(api.post("/api/v1/projects/demo/build-uploads"), 401)
    assert_safe_headers(load("application_api").get("/openapi.json"))


def test_the_download_redirect_is_not_cached(load, deps: Dependencies) -> None:
    install_page_app(deps.applications, APP_ID)
    response = load("install_pages").get(f"/app/{APP_ID}/download")
    assert response.status_code == 302
    assert_safe_headers(response)


def test_pages_are_not_sniffed(load, deps: Dependencies) -> None:
    install_page_app(deps.applications, APP_ID)
    response = load("install_pages").get(f"/app/{APP_ID}")
    assert response.status_code == 200
    assert_safe_headers(response)


# --- an unexpected exception --------------------------------------------------------------------


def test_a_bug_is_a_json_500_with_the_request_id_in_the_logs(
    load, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(build_service, "create_context", broken)
    api = load("build_api")
    capsys.readouterr()

    response = api.post("/api/v1/projects/demo/build-uploads", headers=auth)

    body = assert_json_error(response, 500)
    assert body == {"detail": "Internal error", "requestId": response.headers["X-Request-Id"]}
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (error,) = [entry for entry in logged if entry["severity"] == "ERROR"]
    assert error["requestId"] == body["requestId"]
    assert "KeyError: 'a bug'" in error["exception"]  # the traceback, under the request id


def test_a_bug_on_the_install_pages_is_their_page_with_the_request_id(
    load, deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_page_app(deps.applications, APP_ID)
    monkeypatch.setattr(install_views, "segno", None)  # the QR code fails
    response = load("install_pages").get(f"/app/{APP_ID}", headers={"X-Request-Id": "req-7"})

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Internal error" in response.text
    assert "req-7" in response.text
    assert_safe_headers(response)


# --- werkzeug's own errors, inside our functions -----------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BadRequest(), 400),  # e.g. a broken multipart body, a client that disconnects
        (UnsupportedMediaType(), 415),
        (RequestHeaderFieldsTooLarge(), 431),
    ],
)
def test_werkzeug_errors_keep_their_status_as_json(
    load, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    def refuse(*_: object) -> None:
        raise error

    monkeypatch.setattr(build_service, "create_context", refuse)
    response = load("build_api").post("/api/v1/projects/demo/build-uploads", headers=auth)
    assert assert_json_error(response, status) == {"detail": error.name}


def test_werkzeug_errors_on_the_install_pages_are_their_page(
    load, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise BadRequest()

    monkeypatch.setattr(install_views.service, "request_sign_in", refuse)
    monkeypatch.setattr(install_views, "_app_id", lambda text: text)
    response = load("install_pages").post("/auth/sign-in", data={"email": "a@example.com"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Bad Request" in response.text
    assert_safe_headers(response)


# --- what functions_framework answers before our code runs -------------------------------------


@pytest.mark.parametrize("target", JSON_TARGETS)
@pytest.mark.parametrize("path", ["/favicon.ico", "/robots.txt"])
def test_the_frameworks_own_routes_answer_json(load, target: str, path: str) -> None:
    response = load(target).get(path)
    assert assert_json_error(response, 404) == {"detail": "Not Found"}
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize("path", ["/favicon.ico", "/robots.txt"])
def test_the_frameworks_own_routes_on_the_install_pages_are_their_page(load, path: str) -> None:
    response = load("install_pages").get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in response.text
    assert_safe_headers(response)


@pytest.fixture
def finalize(load) -> FlaskClient:
    return load("build_finalized", "cloudevent")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_wrong_method_on_the_event_function_is_json(finalize: FlaskClient, method: str) -> None:
    response = finalize.open("/", method=method)
    assert assert_json_error(response, 405) == {"detail": "Method Not Allowed"}
    assert response.headers["Allow"] == "POST"


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, b"<not a cloudevent>"),  # neither a CloudEvent nor a background event (a 415)
        ({"Content-Type": "application/cloudevents+json"}, b"{not json"),
        ({"ce-specversion": "1.0", "ce-id": "1"}, b"{}"),  # binary mode, attributes missing
        (JSON, b"{}"),
        # Background events that functions_framework's conversion fails on (a 500 before).
        (JSON, b'"<not a cloudevent>"'),
        (JSON, b'{"context": 1, "data": {}}'),
        (JSON, b'{"context": {"eventType": "x", "resource": 1}, "data": {}}'),
    ],
)
def test_an_event_functions_framework_cannot_read_is_acknowledged(
    finalize: FlaskClient, caplog: pytest.LogCaptureFixture, headers: dict[str, str], body: bytes
) -> None:
    """Only Eventarc may call the function (Cloud Run IAM), and it delivers any answer but a
    2xx again: a 400 or 415 would come back for a day, for nothing."""
    response = finalize.post("/", headers={"X-Request-Id": "event-req", **headers}, data=body)

    assert response.status_code == 200
    assert list(response.json) == ["detail"] and response.mimetype == "application/json"
    assert_safe_headers(response)
    assert b"not a cloudevent>" not in response.data  # never echoes the request
    assert response.headers["X-Request-Id"] == "event-req"
    (error,) = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert error.startswith("build_finalized acknowledged what it can never read: ")
    assert "not a cloudevent>" not in error


def test_a_failure_in_the_event_function_is_json_and_retried(
    finalize: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(settlement, "handle_finalized", down)
    resource = {"bucket": "b", "name": "n", "generation": "1", "size": "1"}
    attributes = {"bucketId": "b", "objectId": "n", "eventTime": iso_millis(utc_now())}
    headers = cloud_event_headers(attributes, "ev-9")
    response = finalize.post("/", headers=headers, data=json.dumps(resource))

    body = assert_json_error(response, 503)  # not 2xx: Eventarc delivers it again
    assert body["requestId"] == "ev-9" == response.headers["X-Request-Id"]
