"""MultipartUpload: one streamed multipart request of a new object, and what a failure becomes."""

import email.parser
import email.policy
import json
import threading
from collections.abc import Iterator

import pytest
import requests

from apkdrop.adapters.streamed_upload import (
    NEW_OBJECT_ONLY,
    PIECE_BYTES,
    HashingWriter,
    MultipartUpload,
)
from apkdrop.errors import BackendUnavailable

ENDPOINT = "https://storage.example.test"
APK_TYPE = "application/vnd.android.package-archive"
STORED = {"bucket": "uploads", "name": "applications/a/1.apk", "generation": "7", "size": "6"}


class Http:
    """Takes the POST's body as requests would stream it, and answers with `status`."""

    def __init__(self, status: int, body: dict) -> None:
        self.status = status
        self.body = body
        self.calls: list[tuple[str, dict, dict]] = []
        self.sent = b""
        self.reading = threading.Event()

    def post(
        self, url: str, params: dict, data: Iterator[bytes], headers: dict, timeout: float
    ) -> requests.Response:
        self.calls.append((url, params, headers))
        for piece in data:  # an abandoned upload's pieces raise here, as in requests
            self.sent += piece
            self.reading.set()
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.body).encode()
        response.request = requests.Request("POST", url).prepare()
        return response


def writer(http: Http, bucket: str = "uploads", limit: int = 100) -> HashingWriter:
    upload = MultipartUpload(http, ENDPOINT, bucket, "applications/a/1.apk", APK_TYPE)  # type: ignore[arg-type]
    return HashingWriter(upload, limit, ValueError("too large"))


def parts(http: Http) -> list[tuple[str, bytes]]:
    """The (content type, content) of each part of the multipart body sent."""
    (_, _, headers) = http.calls[0]
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + http.sent
    )
    return [
        (part.get_content_type(), part.get_payload(decode=True)) for part in message.iter_parts()
    ]


def test_the_bytes_go_in_one_multipart_request_of_a_new_object() -> None:
    http = Http(200, STORED)
    streamed = writer(http)
    streamed.write(b"abc")
    streamed.write(b"def")
    streamed.finish()
    [(url, params, headers)] = http.calls
    assert url == f"{ENDPOINT}/upload/storage/v1/b/uploads/o"
    assert params == NEW_OBJECT_ONLY == {"uploadType": "multipart", "ifGenerationMatch": "0"}
    assert headers["Content-Type"].startswith("multipart/related; boundary=")
    (metadata_type, metadata), (file_type, content) = parts(http)
    assert metadata_type == "application/json"
    assert json.loads(metadata) == {"name": "applications/a/1.apk", "contentType": APK_TYPE}
    assert (file_type, content) == (APK_TYPE, b"abcdef")
    assert streamed.stored is not None
    assert (streamed.stored.generation, streamed.stored.size) == (7, 6)


def test_each_request_has_its_own_random_boundary() -> None:
    boundaries = set()
    for _ in range(3):
        http = Http(200, STORED)
        streamed = writer(http)
        streamed.write(b"abc")
        streamed.finish()
        boundaries.add(http.calls[0][2]["Content-Type"])
    assert len(boundaries) == 3


def test_a_bucket_name_is_quoted_in_the_upload_url() -> None:
    http = Http(200, STORED)
    streamed = writer(http, bucket="odd/name")
    streamed.finish()
    assert http.calls[0][0] == f"{ENDPOINT}/upload/storage/v1/b/odd%2Fname/o"


@pytest.mark.parametrize("status", [412, 503])
def test_a_refused_request_fails_the_upload_as_a_backend_failure(status: int) -> None:
    streamed = writer(Http(status, {"error": {"message": "no"}}))
    streamed.write(b"abc")
    with pytest.raises(BackendUnavailable):
        streamed.finish()
    assert streamed.stored is None


def test_an_abandoned_upload_ends_its_request_without_the_closing_delimiter() -> None:
    """Cut short, the body is not a whole multipart message, so no object is created."""
    http = Http(200, STORED)
    streamed = writer(http, limit=2 * PIECE_BYTES)
    streamed.write(b"x" * PIECE_BYTES)  # one whole piece, so the request is under way
    assert http.reading.wait(timeout=10)
    streamed.abandon()
    boundary = http.calls[0][2]["Content-Type"].split("boundary=")[1]
    assert f"--{boundary}--".encode() not in http.sent
    assert streamed.stored is None
