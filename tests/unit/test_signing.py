"""Production signs V4 URLs through IAM signBlob; local dev with a key file. Both must agree."""

import base64
import datetime
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import google.auth
import google.auth.transport.requests
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage import _signing

from apkdrop.adapters import cloud_storage, signing
from apkdrop.errors import BackendUnavailable, Misconfigured
from apkdrop.signed_uploads import upload_headers
from tests.fakes import make_settings

FROZEN = ("20240307T165549Z", "20240307")
TTL = datetime.timedelta(hours=1)
OBJECT = "builds/acct/7/42.apk"
SIGNED_HEADERS = (
    "content-type;host;x-goog-content-length-range;x-goog-if-generation-match;x-goog-meta-build-id"
)


class FakeCredentials:
    """The few members of google.auth credentials that IamSigner touches."""

    def __init__(self, valid: bool = True, token: str = "t") -> None:
        self.valid = valid
        self.token = token
        self.refreshed_with: list[object] = []

    def refresh(self, request: object) -> None:
        self.refreshed_with.append(request)
        self.valid, self.token = True, "fresh-token"


class FakeResponse:
    def __init__(self, status: int, body: dict) -> None:
        self.status = status
        self.data = json.dumps(body).encode()
        self.headers: dict[str, str] = {}


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_signing, "get_v4_now_dtstamps", lambda: FROZEN)


@pytest.fixture
def key_info(signing_key_file: Path) -> dict:
    return json.loads(signing_key_file.read_text())


def upload_bucket(signer: signing.Signer | None) -> cloud_storage.UploadBucket:
    """The bucket as a function signing with `signer` has it; None: one that signs nothing."""
    client = storage.Client(project="p", credentials=AnonymousCredentials())
    url_signing = signer and signing.UrlSigning(signer, "https://storage.googleapis.com")
    return cloud_storage.UploadBucket(client, make_settings().upload_bucket, url_signing)


def fake_sign_blob(
    monkeypatch: pytest.MonkeyPatch, key_info: dict, status: int = 200
) -> list[dict]:
    """Answers the signBlob POST with the key file's own signature; returns the calls seen."""
    private_key = serialization.load_pem_private_key(key_info["private_key"].encode(), None)
    calls: list[dict] = []

    def call(self, url, method="GET", body=None, headers=None, **kwargs):
        calls.append({"url": url, "method": method, "headers": headers})
        payload = base64.b64decode(json.loads(body)["payload"])
        signature = private_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        signed = {"keyId": "k", "signedBlob": base64.b64encode(signature).decode()}
        return FakeResponse(status, signed if status == 200 else {"error": "denied"})

    monkeypatch.setattr(google.auth.transport.requests.Request, "__call__", call)
    return calls


def test_iam_and_key_file_sign_identical_urls(
    monkeypatch: pytest.MonkeyPatch, signing_key_file: Path, key_info: dict
) -> None:
    calls = fake_sign_blob(monkeypatch, key_info)
    email = key_info["client_email"]
    headers = upload_headers(1024**3, {"build-id": "42"})

    by_key_file = upload_bucket(signing.KeyFileSigner(str(signing_key_file)))
    by_iam = upload_bucket(signing.IamSigner(email, FakeCredentials()))
    key_file_url = by_key_file.signed_put_url(OBJECT, headers, TTL)
    assert calls == []  # the key-file path never calls IAM
    iam_url = by_iam.signed_put_url(OBJECT, headers, TTL)

    assert iam_url == key_file_url
    (call,) = calls
    assert call["method"] == "POST"
    assert f"/serviceAccounts/{email}:signBlob" in call["url"]
    assert call["url"].startswith("https://iamcredentials.googleapis.com/")
    assert call["headers"]["Authorization"] == "Bearer t"

    url = urlsplit(iam_url)
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc) == ("https", "storage.googleapis.com")
    assert url.path == f"/{make_settings().upload_bucket}/{OBJECT}"
    assert query["X-Goog-SignedHeaders"] == SIGNED_HEADERS
    assert query["X-Goog-Date"] == FROZEN[0]
    assert query["X-Goog-Expires"] == "3600"
    assert query["X-Goog-Credential"].startswith(f"{email}/{FROZEN[1]}/")
    assert headers == upload_headers(
        1024**3, {"build-id": "42"}
    )  # the caller's dict is left as it was


def test_signature_changes_with_the_signed_headers(
    monkeypatch: pytest.MonkeyPatch, key_info: dict
) -> None:
    fake_sign_blob(monkeypatch, key_info)
    bucket = upload_bucket(signing.IamSigner(key_info["client_email"], FakeCredentials()))
    first = bucket.signed_put_url(OBJECT, upload_headers(100, {"build-id": "42"}), TTL)
    second = bucket.signed_put_url(OBJECT, upload_headers(100, {"build-id": "43"}), TTL)
    assert first != second


def test_a_refused_sign_blob_is_backend_unavailable(
    monkeypatch: pytest.MonkeyPatch, key_info: dict
) -> None:
    fake_sign_blob(monkeypatch, key_info, status=403)
    bucket = upload_bucket(signing.IamSigner(key_info["client_email"], FakeCredentials()))
    with pytest.raises(BackendUnavailable, match="IAM signBlob"):
        bucket.signed_put_url(OBJECT, upload_headers(100, {"build-id": "42"}), TTL)


def test_iam_signer_refreshes_stale_credentials() -> None:
    credentials = FakeCredentials(valid=False, token="expired")
    arguments = signing.IamSigner("sa@p.iam.gserviceaccount.com", credentials).signing_arguments()
    assert arguments == {
        "service_account_email": "sa@p.iam.gserviceaccount.com",
        "access_token": "fresh-token",
    }
    (request,) = credentials.refreshed_with
    assert isinstance(request, google.auth.transport.requests.Request)


def test_iam_signer_keeps_valid_credentials() -> None:
    credentials = FakeCredentials(valid=True, token="t")
    arguments = signing.IamSigner("sa@p.iam.gserviceaccount.com", credentials).signing_arguments()
    assert arguments["access_token"] == "t"
    assert credentials.refreshed_with == []


def test_create_signer_picks_the_configured_way(
    monkeypatch: pytest.MonkeyPatch, signing_key_file: Path
) -> None:
    local = make_settings(
        signing_credentials_file=str(signing_key_file), signing_service_account_email=None
    )
    assert isinstance(signing.create_signer(local), signing.KeyFileSigner)

    credentials = FakeCredentials()
    scopes_asked: list[object] = []

    def default(scopes: object = None) -> tuple[FakeCredentials, str]:
        scopes_asked.append(scopes)
        return credentials, "p"

    monkeypatch.setattr(google.auth, "default", default)
    production = make_settings(signing_service_account_email="sa@p.iam.gserviceaccount.com")
    signer = signing.create_signer(production)
    assert isinstance(signer, signing.IamSigner)
    assert signer.signing_arguments()["service_account_email"] == "sa@p.iam.gserviceaccount.com"
    assert scopes_asked == [signing.IAM_SCOPES]


def test_a_bucket_without_signing_refuses_to_sign() -> None:
    """build-finalized and build-upload-expiry have no signing settings, hence no signer."""
    bucket = upload_bucket(None)
    with pytest.raises(Misconfigured, match="signs no URLs"):
        bucket.signed_put_url(OBJECT, {}, TTL)
    with pytest.raises(Misconfigured, match="signs no URLs"):
        bucket.signed_get_url(OBJECT, TTL)


def test_url_signing_names_the_configured_endpoint(signing_key_file: Path) -> None:
    settings = make_settings(
        signed_url_endpoint="http://127.0.0.1:4443/",
        signing_credentials_file=str(signing_key_file),
        signing_service_account_email=None,
    )
    url_signing = signing.create_url_signing(settings)
    assert isinstance(url_signing.signer, signing.KeyFileSigner)
    assert url_signing.endpoint == "http://127.0.0.1:4443"
