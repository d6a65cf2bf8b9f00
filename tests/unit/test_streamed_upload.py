"""SignedPut: one streamed PUT to a URL signed for the object, and what a failure becomes."""

from collections.abc import Iterator

import pytest
import requests

from apkdrop.adapters.cloud_storage import STREAMED_PUT_HEADERS
from apkdrop.adapters.streamed_upload import HashingWriter, SignedPut
from apkdrop.errors import BackendUnavailable
from apkdrop.shared_models import StorageObject

SIGNED = "https://storage.example.test/bucket/app.apk?X-Goog-Signature=abc"
STORED = StorageObject(bucket="bucket", name="app.apk", generation=7, size=6)


class Http:
    """Takes the PUT's body as requests streams it (a generator: chunked), answers `status`."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.calls: list[tuple[str, dict]] = []
        self.sent = b""
        self.body_was_streamed = False

    def put(
        self, url: str, data: Iterator[bytes], headers: dict, timeout: float
    ) -> requests.Response:
        self.calls.append((url, headers))
        self.body_was_streamed = not isinstance(data, (bytes, bytearray))
        self.sent = b"".join(data)
        response = requests.Response()
        response.status_code = self.status
        response._content = b"<Error><Code>PreconditionFailed</Code></Error>"
        response.request = requests.Request("PUT", url).prepare()
        return response


def writer(http: Http, stored: StorageObject | None = STORED) -> HashingWriter:
    upload = SignedPut(lambda: SIGNED, STREAMED_PUT_HEADERS, lambda: stored, http)  # type: ignore[arg-type]
    return HashingWriter(upload, 100, ValueError("too large"))


def test_the_bytes_go_in_one_streamed_put_that_may_only_create_the_object() -> None:
    http = Http(200)
    streamed = writer(http)
    streamed.write(b"abc")
    streamed.write(b"def")
    streamed.finish()
    assert http.calls == [(SIGNED, STREAMED_PUT_HEADERS)] and http.sent == b"abcdef"
    assert http.body_was_streamed
    assert STREAMED_PUT_HEADERS["x-goog-if-generation-match"] == "0"
    assert streamed.stored == STORED


@pytest.mark.parametrize("status", [412, 503])
def test_a_refused_put_fails_the_upload_as_a_backend_failure(status: int) -> None:
    streamed = writer(Http(status))
    streamed.write(b"abc")
    with pytest.raises(BackendUnavailable):
        streamed.finish()
    assert streamed.stored is None


def test_an_object_gone_right_after_its_put_is_a_backend_failure() -> None:
    streamed = writer(Http(200), stored=None)
    streamed.write(b"abc")
    with pytest.raises(BackendUnavailable):
        streamed.finish()
