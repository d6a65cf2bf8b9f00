"""Who signs V4 URLs: a key file locally, IAM signBlob (no private key) in production."""

from dataclasses import dataclass
from typing import TypedDict

import google.auth
import google.auth.credentials
import google.auth.transport.requests
from google.oauth2 import service_account

from apkdrop.errors import Misconfigured
from apkdrop.settings import SigningSettings

IAM_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


class SigningArguments(TypedDict, total=False):
    """The keyword arguments of `Blob.generate_signed_url` that say who signs."""

    credentials: google.auth.credentials.Credentials
    service_account_email: str
    access_token: str | None  # None only until refreshed, which signing_arguments does first


class KeyFileSigner:
    """Signs with a service-account key file's private key (local development)."""

    def __init__(self, key_file: str) -> None:
        self._credentials = service_account.Credentials.from_service_account_file(key_file)

    def signing_arguments(self) -> SigningArguments:
        return {"credentials": self._credentials}


class IamSigner:
    """Signs through IAM signBlob as `email`, with no private key on the instance."""

    def __init__(self, email: str, credentials: google.auth.credentials.Credentials) -> None:
        self._email = email
        self._credentials = credentials

    def signing_arguments(self) -> SigningArguments:
        if not self._credentials.valid:
            self._credentials.refresh(google.auth.transport.requests.Request())
        return {"service_account_email": self._email, "access_token": self._credentials.token}


Signer = KeyFileSigner | IamSigner


@dataclass(frozen=True)
class UrlSigning:
    """Who signs a function's V4 URLs, and the host the URLs name."""

    signer: Signer
    endpoint: str


def create_signer(settings: SigningSettings) -> Signer:
    if settings.signing_credentials_file:
        return KeyFileSigner(settings.signing_credentials_file)
    if not settings.signing_service_account_email:  # the settings' validator demands one of two
        raise Misconfigured("no way to sign URLs is configured")
    credentials, _ = google.auth.default(scopes=IAM_SCOPES)
    return IamSigner(settings.signing_service_account_email, credentials)


def create_url_signing(settings: SigningSettings) -> UrlSigning:
    return UrlSigning(create_signer(settings), str(settings.signed_url_endpoint).rstrip("/"))
