"""SessionUpload: one resumable session, one streamed PUT, and what a failure becomes."""

import json
from collections.abc import Iterator

import pytest
import requests

from apkdrop.adapters.streamed_upload import WHOLE_STREAM, HashingWriter, SessionUpload
from apkdrop.errors import BackendUnavailable

SESSION = "https://storage.example.test/upload/session?upload_id=1"


class Blob:
    def __init__(self) -> None:
        self.sessions: list[dict] = []

    def create_resumable_upload_session(self, **options: object) -> str:
        self.sessions.append(options)
        return SESSION


class Http:
    """Takes the PUT's body as requests would stream it, and answers with `status` (with each
    of `statuses` in turn, when given)."""

    def __init__(self, status: int, body: dict, statuses: tuple[int, ...] = ()) -> None:
        self.statuses = list(statuses) or [status]
        self.body = body
        self.calls: list[tuple[str, str, dict]] = []
        self.sent = b""

    def put(
        self, url: str, headers: dict, timeout: float, data: Iterator[bytes] | None = None
    ) -> requests.Response:
        self.calls.append(("PUT", url, headers))
        self.sent += b"".join(data or ())
        response = requests.Response()
        response.status_code = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        response._content = json.dumps(self.body).encode()
        response.request = requests.Request("PUT", url).prepare()
        return response

    def delete(self, url: str, timeout: float) -> None:
        self.calls.append(("DELETE", url, {}))


def writer(http: Http, blob: Blob) -> HashingWriter:
    upload = SessionUpload(blob, http, "application/vnd.android.package-archive")  # type: ignore[arg-type]
    return HashingWriter(upload, 100, ValueError("too large"))


def test_the_bytes_go_in_one_put_of_the_whole_stream_to_a_session_of_a_new_object() -> None:
    blob = Blob()
    http = Http(200, {"bucket": "b", "name": "o", "generation": "7", "size": "6"})
    streamed = writer(http, blob)
    streamed.write(b"abc")
    streamed.write(b"def")
    streamed.finish()
    assert blob.sessions == [
        {"content_type": "application/vnd.android.package-archive", "if_generation_match": 0}
    ]
    assert http.calls == [("PUT", SESSION, WHOLE_STREAM)] and http.sent == b"abcdef"
    assert streamed.stored is not None and (streamed.stored.generation, streamed.stored.size) == (
        7,
        6,
    )


def test_a_stream_taken_as_a_first_part_is_finished_by_naming_its_total() -> None:
    """Should Cloud Storage answer 308 (more expected) to the whole stream, the empty request
    with `bytes */total` ends the upload, as a streaming upload's last request does."""
    body = {"bucket": "b", "name": "o", "generation": "7", "size": "6"}
    http = Http(200, body, statuses=(308, 200))
    streamed = writer(http, Blob())
    streamed.write(b"abc")
    streamed.write(b"def")
    streamed.finish()
    assert http.calls == [
        ("PUT", SESSION, WHOLE_STREAM),
        ("PUT", SESSION, {"Content-Range": "bytes */6"}),
    ]
    assert streamed.stored is not None and streamed.stored.size == 6


@pytest.mark.parametrize("status", [412, 503])
def test_a_refused_put_fails_the_upload_as_a_backend_failure(status: int) -> None:
    streamed = writer(Http(status, {"error": {"message": "no"}}), Blob())
    streamed.write(b"abc")
    with pytest.raises(BackendUnavailable):
        streamed.finish()
    assert streamed.stored is None


def test_an_abandoned_upload_cancels_its_session() -> None:
    http = Http(200, {"bucket": "b", "name": "o", "generation": "7", "size": "3"})
    streamed = writer(http, Blob())
    streamed.write(b"abc")
    streamed.abandon()
    assert ("DELETE", SESSION, {}) in http.calls
