"""Every function refuses an oversized body (413) before parsing it, reading at most limit + 1
bytes of it: the real entry points of functions/main.py, served by functions_framework."""

import io
import json

import flask
import pytest
from flask.testing import FlaskClient

from apkdrop import request_body
from apkdrop.accounts import issue_api_key
from apkdrop.applications import api as application_api
from apkdrop.dependencies import Dependencies
from tests.fakes import FakeBucket, fake_dependencies
from tests.unit.test_task_auth import TASK_HANDLERS

JSON_LIMIT = 64 * 1024  # the defaults of max_json_body_bytes and max_form_body_bytes
FORM_LIMIT = 16 * 1024
UPLOAD_LIMIT = 1000  # max_direct_upload_bytes in these tests
URLENCODED = "application/x-www-form-urlencoded"
BOUNDARY = "limit-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
# (target, path, content type, limit): every function that reads a body, each kind it reads.
READ_BODIES = [
    pytest.param("build_api", "/api/v1/projects/demo/builds", "application/json", JSON_LIMIT,
                 id="build_api-json"),
    pytest.param("application_api", "/v1/application", URLENCODED, FORM_LIMIT,
                 id="application_api-urlencoded"),
    pytest.param("install_pages", "/auth/sign-in", URLENCODED, FORM_LIMIT,
                 id="install_pages-sign-in"),
]  # fmt: skip
# Bodies of a kind their route does not read: refused all the same when they declare too much.
BODIES = [
    *READ_BODIES,
    pytest.param("application_api", "/v1/application", "application/json", JSON_LIMIT,
                 id="application_api-json"),
    pytest.param("application_api", "/v1/application/uploads", MULTIPART, FORM_LIMIT,
                 id="application_api-multipart-elsewhere"),
    pytest.param("install_pages", "/auth/sign-in", "text/plain", JSON_LIMIT,
                 id="install_pages-other"),
]  # fmt: skip


class EndlessBody:
    """A request body that never ends and counts what is read of it. Past `cap` bytes it fails
    the test instead of running forever."""

    def __init__(self, prefix: bytes = b"", cap: int = 4 * 1024 * 1024) -> None:
        self.read_bytes = 0
        self.cap = cap
        self._prefix = prefix

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:  # all of it, as a server's input does
            while True:
                self.read(64 * 1024)
        size = min(size, 64 * 1024)
        self.read_bytes += size
        if self.read_bytes > self.cap:
            raise AssertionError(f"read {self.read_bytes} bytes of an endless body")
        chunk, self._prefix = (self._prefix + b"a" * size)[:size], self._prefix[size:]
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.fixture
def deps() -> Dependencies:
    return fake_dependencies(
        max_direct_upload_bytes=UPLOAD_LIMIT,
        session_signing_key="k" * 40,
        dev_allow_unauthenticated_tasks=True,  # the task handlers read the body
    )


@pytest.fixture
def auth(deps: Dependencies) -> dict[str, str]:
    return {"X-Api-Key": issue_api_key(deps.accounts, "ci@example.com")}


def send(
    client: FlaskClient,
    path: str,
    content_type: str,
    body: EndlessBody,
    declared: int | None,
    headers: dict[str, str] | None = None,
):
    """POSTs `body` as a server hands it on: with a Content-Length, or chunked (none, and
    an input stream the server ends, as gunicorn's does)."""
    if declared is None:  # werkzeug reads no length where the body is chunked
        framing = {"HTTP_TRANSFER_ENCODING": "chunked"}
    else:
        framing = {"CONTENT_LENGTH": str(declared)}
    return client.post(
        path,
        headers=headers,
        environ_overrides={
            "wsgi.input": body,
            "wsgi.input_terminated": True,
            "CONTENT_TYPE": content_type,  # as sent: the test client would make its own boundary
            **framing,
        },
    )


def assert_refused(response, limit: int) -> None:
    assert response.status_code == 413
    if response.mimetype == "application/json":
        assert response.json == {"detail": f"{_kind(response)} may have at most {limit} bytes"}
    else:  # the install pages answer with their page
        assert response.mimetype == "text/html"
        assert f"at most {limit} bytes" in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _kind(response) -> str:
    return "A form body" if "form" in response.json["detail"] else "A request body"


@pytest.mark.parametrize(("target", "path", "content_type", "limit"), BODIES)
def test_a_declared_oversized_body_is_refused_unread(
    load, target: str, path: str, content_type: str, limit: int
) -> None:
    body = EndlessBody()
    response = send(load(target), path, content_type, body, declared=32 * 1024 * 1024)

    assert_refused(response, limit)
    assert body.read_bytes == 0  # not by the view, nor by functions_framework afterwards


@pytest.mark.parametrize(("target", "path", "content_type", "limit"), READ_BODIES)
def test_a_chunked_oversized_body_is_refused_after_limit_plus_one_bytes(
    load, target: str, path: str, content_type: str, limit: int, auth: dict[str, str]
) -> None:
    body = EndlessBody()
    response = send(load(target), path, content_type, body, declared=None, headers=auth)

    assert_refused(response, limit)
    assert body.read_bytes <= limit + 1


@pytest.mark.parametrize("declared", [32 * 1024 * 1024, None], ids=["declared", "chunked"])
@pytest.mark.parametrize("target", TASK_HANDLERS)
def test_an_oversized_task_is_acknowledged_unread(load, target: str, declared: int | None) -> None:
    """Cloud Tasks would retry a 413 up to max_attempts (test_task_auth.py: a caller without a
    token is refused before anything reads the body)."""
    body = EndlessBody()
    response = send(load(target), "/", "application/json", body, declared)

    assert response.status_code == 200
    limit = f"A request body may have at most {JSON_LIMIT} bytes"
    assert response.json == {"detail": f"Acknowledged, never to be read: {limit}"}
    assert body.read_bytes <= (0 if declared else JSON_LIMIT + 1)


@pytest.mark.parametrize("declared", [32 * 1024 * 1024, None], ids=["declared", "chunked"])
def test_an_oversized_upload_is_refused_with_the_large_file_path(
    load, auth: dict[str, str], deps: Dependencies, declared: int | None
) -> None:
    file_part = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.apk"\r\n\r\n'
    )
    body = EndlessBody(prefix=file_part.encode())
    response = send(load("application_api"), "/v1/application", MULTIPART, body, declared, auth)

    assert response.status_code == 413
    assert response.json["detail"].startswith(f"The file is larger than {UPLOAD_LIMIT} bytes")
    assert "/v1/application/uploads" in response.json["detail"]
    assert body.read_bytes <= UPLOAD_LIMIT + application_api.FORM_OVERHEAD_BYTES + 1
    bucket = deps.bucket
    assert isinstance(bucket, FakeBucket)
    assert bucket.objects == {}


@pytest.mark.parametrize(
    ("target", "method", "path"),
    [
        ("build_api", "POST", "/nowhere"),
        ("build_api", "DELETE", "/api/v1/projects/demo/builds"),
        ("application_api", "GET", "/v1/application"),
        ("install_pages", "PUT", "/auth/sign-in"),
    ],
)
def test_a_body_nobody_reads_is_never_read(load, target: str, method: str, path: str) -> None:
    """functions_framework reads every request's body after the answer: not this one's."""
    body = EndlessBody()
    response = load(target).open(
        path,
        method=method,
        environ_overrides={
            "wsgi.input": body,
            "wsgi.input_terminated": True,
            "CONTENT_LENGTH": str(1024 * 1024 * 1024),
        },
    )
    assert response.status_code < 500
    assert body.read_bytes <= JSON_LIMIT + 1


def test_a_json_body_at_the_limit_is_parsed(load, auth: dict[str, str]) -> None:
    padding = JSON_LIMIT - len(json.dumps({"contextId": 1, "buildType": "APK", "x": ""}))
    body = json.dumps({"contextId": 1, "buildType": "APK", "x": "a" * padding})
    assert len(body) == JSON_LIMIT
    response = load("build_api").post(
        "/api/v1/projects/demo/builds", headers=auth, data=body, content_type="application/json"
    )
    assert response.status_code == 400  # parsed: refused by validation, not by size
    assert response.json["detail"].startswith("buildFileName")


def test_a_urlencoded_upload_within_the_limit_still_works(load, auth: dict[str, str]) -> None:
    response = load("application_api").post(
        "/v1/application", headers=auth, data={"uploadId": "NoSuchUploadId00000000x"}
    )
    assert response.mimetype == "application/json"
    assert response.status_code == 404, response.json  # read and looked up: not refused


def test_a_sign_in_form_within_the_limit_is_read(load) -> None:
    response = load("install_pages").post(
        "/auth/sign-in", data={"app": "NoSuchApp0123456789AB", "email": "a@example.com"}
    )
    assert response.status_code == 404


class RecordedInput(io.BytesIO):
    """A server's body stream that records the size of each read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(-1 if size is None else size)
        return super().read(size)


def test_the_body_is_read_from_the_server_in_large_pieces() -> None:
    """A parser's 64 KiB reads reach the server as reads of READ_BYTES (gunicorn copies its
    read-ahead on every read, so small reads of a large body cost much more)."""
    body = b"x" * (3 * request_body.READ_BYTES)
    server_input = RecordedInput(body)
    request = flask.Request.from_values(
        "/", method="POST", input_stream=server_input, content_length=len(body)
    )
    request_body.bound(request, request_body.BodyLimit(len(body), "too large"))

    read = b"".join(iter(lambda: request.stream.read(64 * 1024), b""))

    assert read == body
    assert server_input.sizes[:3] == [request_body.READ_BYTES] * 3
