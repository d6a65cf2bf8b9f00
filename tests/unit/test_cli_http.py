"""The CLI's HTTP layer: retries with backoff and jitter, Retry-After, errors, signed PUTs."""

import gzip
import random
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from apkdrop_cli import http as cli_http
from apkdrop_cli.config import Config
from apkdrop_cli.errors import ExitCode, Refused, Unavailable
from apkdrop_cli.http import ApiClient, Retrier, RetryPolicy, retry_after_seconds, server_detail
from apkdrop_cli.storage import Storage
from tests.unit.cli_uploads import EndlessAnswer

KEY = "apkd_unit-test-key-0123456789"
SPEC = {
    "method": "PUT",
    "url": "https://storage.test/bucket/object.apk?X-Goog-Signature=abc%2Fdef",
    "headers": {
        "Content-Type": "application/octet-stream",
        "X-Goog-Content-Length-Range": "0,1073741824",
        "x-goog-if-generation-match": "0",
    },
}


class Script:
    """Answers requests in order from a list: a response, or an exception to raise."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(script: Script, sleeps: list[float], retries: int = 5) -> ApiClient:
    notes: list[str] = []
    retrier = Retrier(RetryPolicy(retries=retries), notify=notes.append, sleep=sleeps.append)
    config = Config(api_url="https://api.test", api_key=KEY)
    return ApiClient(config, retrier, transport=httpx.MockTransport(script))


def test_5xx_is_retried_with_growing_jittered_backoff():
    script = Script(
        httpx.Response(503, json={"detail": "down"}),
        httpx.Response(502),
        httpx.Response(500),
        httpx.Response(200, json={"data": []}),
    )
    sleeps: list[float] = []
    assert client(script, sleeps).get("/v1/application", "listing") == {"data": []}
    assert len(script.requests) == 4
    # Half of 1, 2, 4 seconds, plus up to as much again.
    for attempt, delay in enumerate(sleeps):
        assert 2**attempt / 2 <= delay <= 2**attempt


def test_backoff_is_capped_and_jittered():
    policy = RetryPolicy(base_seconds=1, cap_seconds=30)
    rng = random.Random(7)
    delays = [policy.backoff(10, rng) for _ in range(50)]
    assert all(15 <= delay <= 30 for delay in delays)
    assert len(set(delays)) > 1  # jitter: clients that failed together do not retry together


def test_429_waits_as_long_as_retry_after_says():
    script = Script(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "Rate limit"}),
        httpx.Response(200, json={"data": {"id": "x"}}),
    )
    sleeps: list[float] = []
    client(script, sleeps).post("/v1/application", "uploading", data={"apkUrl": "https://x"})
    assert sleeps == [7.0]
    assert len(script.requests) == 2


def test_retry_after_as_an_http_date_and_garbage():
    now = datetime(2024, 3, 7, 16, 55, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 07 Mar 2024 16:55:30 GMT", now) == 30
    assert retry_after_seconds("Thu, 07 Mar 2024 16:50:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None) is None


def test_an_absurd_retry_after_is_capped():
    script = Script(
        httpx.Response(503, headers={"Retry-After": "86400"}), httpx.Response(200, json={})
    )
    sleeps: list[float] = []
    client(script, sleeps).get("/x", "reading")
    assert sleeps == [RetryPolicy().max_retry_after_seconds]


def test_connection_errors_are_retried_then_reported_as_unavailable():
    script = Script(*[httpx.ConnectError("connection refused") for _ in range(3)])
    sleeps: list[float] = []
    with pytest.raises(Unavailable) as caught:
        client(script, sleeps, retries=2).get("/v1/application", "listing the applications")
    assert caught.value.exit_code == ExitCode.UNAVAILABLE
    assert "listing the applications failed after 3 attempts" in caught.value.message
    assert "connection refused" in caught.value.message
    assert len(sleeps) == 2


def test_a_post_is_not_repeated_when_it_may_have_been_processed():
    """A read timeout after the body went out: the upload may exist, so no second one."""
    script = Script(httpx.ReadTimeout("timed out"), httpx.Response(200, json={}))
    with pytest.raises(Unavailable):
        client(script, []).post("/v1/application", "uploading", data={"apkUrl": "https://x"})
    assert len(script.requests) == 1


def test_a_post_with_an_idempotency_key_is_repeated_with_the_same_key():
    """The server answers the repeat with the first answer: no second upload."""
    script = Script(
        httpx.ReadTimeout("timed out"),
        httpx.Response(503, json={"detail": "retry"}),
        httpx.Response(200, json={"data": {}}),
    )
    answer = client(script, []).post(
        "/v1/application", "uploading", idempotency_key="k-1", data={"apkUrl": "https://x"}
    )
    assert answer == {"data": {}}
    assert [request.headers["Idempotency-Key"] for request in script.requests] == ["k-1"] * 3
    assert len(set(script.bodies)) == 1


def test_a_post_without_a_key_sends_none():
    script = Script(httpx.Response(200, json={}))
    client(script, []).post("/v1/application", "uploading", data={"apkUrl": "https://x"})
    assert "Idempotency-Key" not in script.requests[0].headers


def test_a_post_that_never_connected_is_retried():
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json={"id": 1}))
    assert client(script, []).post("/api/v1/projects/p/build-uploads", "creating") == {"id": 1}


def test_a_read_is_retried_after_a_read_timeout():
    script = Script(httpx.ReadTimeout("timed out"), httpx.Response(200, json={"ok": True}))
    assert client(script, []).get("/x", "reading") == {"ok": True}


def test_5xx_left_after_every_retry_is_unavailable_with_the_request_id():
    failure = {"detail": "Firestore is unavailable", "requestId": "req-42"}
    script = Script(*[httpx.Response(503, json=failure) for _ in range(2)])
    with pytest.raises(Unavailable) as caught:
        client(script, [], retries=1).get("/x", "reading")
    assert "503 Firestore is unavailable (requestId req-42)" in caught.value.message


def test_4xx_is_not_retried_and_shows_the_detail():
    script = Script(httpx.Response(400, json={"detail": "contextId: Input should be valid"}))
    with pytest.raises(Refused) as caught:
        client(script, []).post("/api/v1/projects/p/builds", "registering app.apk", json={})
    assert caught.value.exit_code == ExitCode.FAILED
    assert caught.value.status == 400
    assert caught.value.message == "registering app.apk: 400 contextId: Input should be valid"
    assert len(script.requests) == 1


def test_an_answer_nested_too_deeply_is_not_json():
    deep = b"[" * 100_000 + b"]" * 100_000  # json.loads raises RecursionError, no ValueError
    with pytest.raises(Unavailable, match="the server's answer is not JSON"):
        client(Script(httpx.Response(200, content=deep)), []).get("/x", "reading")
    with pytest.raises(Refused) as caught:
        client(Script(httpx.Response(400, content=deep)), []).get("/x", "reading")
    assert caught.value.detail == "Bad Request"


def test_an_endless_answer_is_cut_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli_http, "MAX_ANSWER_BYTES", 1024 * 1024)
    stream = EndlessAnswer(cap=8 * 1024 * 1024)
    with pytest.raises(Unavailable, match="reading: the server's answer is over 1048576 bytes"):
        client(Script(httpx.Response(200, stream=stream)), []).get("/x", "reading")
    assert stream.sent <= 2 * 1024 * 1024


def test_a_compressed_answer_is_bounded_as_it_inflates(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli_http, "MAX_ANSWER_BYTES", 1024 * 1024)
    bomb = gzip.compress(b" " * (16 * 1024 * 1024))  # 16 KiB that inflate to 16 MiB
    answer = httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=bomb)
    with pytest.raises(Unavailable, match="the server's answer is over 1048576 bytes"):
        client(Script(answer), []).get("/x", "reading")


def test_a_compressed_answer_within_the_bound_is_read():
    answer = httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(b'{"ok": true}')
    )
    assert client(Script(answer), []).get("/x", "reading") == {"ok": True}


def test_the_key_goes_in_a_header_to_the_api():
    script = Script(httpx.Response(200, json={}))
    client(script, []).get("/v1/application", "listing")
    assert script.requests[0].headers["X-Api-Key"] == KEY
    assert script.requests[0].headers["User-Agent"].startswith("apkdrop-cli/")


def test_storage_errors_show_the_xml_message():
    response = httpx.Response(
        403,
        text="<?xml version='1.0'?><Error><Code>SignatureDoesNotMatch</Code>"
        "<Message>The request signature we calculated does not match</Message></Error>",
    )
    assert server_detail(response) == "The request signature we calculated does not match"


class Tracker:
    def __init__(self) -> None:
        self.sent = 0
        self.restarts = 0

    def advance(self, size: int) -> None:
        self.sent += size

    def restart(self) -> None:
        self.restarts += 1
        self.sent = 0


def storage(script: Script, sleeps: list[float]) -> Storage:
    retrier = Retrier(RetryPolicy(), notify=lambda _: None, sleep=sleeps.append)
    return Storage(retrier, 60, transport=httpx.MockTransport(script))


def test_put_sends_exactly_the_signed_headers_and_the_whole_file(tmp_path: Path):
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK" + bytes(3 * 1024 * 1024))
    script = Script(httpx.Response(200))
    tracker = Tracker()
    storage(script, []).put(SPEC, apk, tracker, "uploading app.apk")
    (request,) = script.requests
    assert request.method == "PUT"
    assert str(request.url) == SPEC["url"]
    for name, value in SPEC["headers"].items():
        assert request.headers[name] == value
    assert request.headers["Content-Length"] == str(apk.stat().st_size)
    assert "Transfer-Encoding" not in request.headers
    assert "X-Api-Key" not in request.headers and "Authorization" not in request.headers
    signed = {name.lower() for name in SPEC["headers"] if name.lower().startswith("x-goog")}
    assert {name for name in request.headers if name.startswith("x-goog")} == signed
    assert script.bodies[0] == apk.read_bytes()
    assert tracker.sent == apk.stat().st_size


def test_put_is_retried_from_the_start_and_a_412_after_a_retry_means_it_landed(tmp_path: Path):
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK" * 1000)
    script = Script(httpx.WriteError("broken pipe"), httpx.Response(412))
    tracker = Tracker()
    sleeps: list[float] = []
    storage(script, sleeps).put(SPEC, apk, tracker, "uploading app.apk")
    assert len(script.requests) == 2
    assert script.bodies[1] == apk.read_bytes()
    assert tracker.restarts == 2 and tracker.sent == 2000
    assert len(sleeps) == 1


def test_a_storage_refusal_is_reported(tmp_path: Path):
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK")
    script = Script(httpx.Response(400, text="<Error><Message>ExpiredToken</Message></Error>"))
    with pytest.raises(Refused) as caught:
        storage(script, []).put(SPEC, apk, Tracker(), "uploading app.apk")
    assert caught.value.message == "uploading app.apk: storage refused the upload: 400 ExpiredToken"
