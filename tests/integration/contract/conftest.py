"""Real adapters on the local stack's emulators, for the contract suites beside this file.

Each suite is one set of tests parametrized over the in-memory fake (tests/fakes.py) and the
adapter, so the fake cannot drift from what the adapter does. Every test makes its own ids:
the suites share the stack's emulators with each other and with the other integration tests.
"""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.cloud import firestore as firestore_sdk
from google.cloud import storage

from apkdrop.adapters import cloud_storage, firestore, signing
from tests.fakes import AllSettings, make_settings
from tests.integration.conftest import RunningStack

# Not the stack's upload bucket: the stack's finalize function ignores objects of any other.
CONTRACT_BUCKET = f"apkdrop-contract-{uuid.uuid4().hex[:12]}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def unique_number() -> int:
    """A positive int64 no other test picks (Firestore integers are signed 64-bit)."""
    return uuid.uuid4().int >> 66


@pytest.fixture(scope="session")
def emulator_settings(stack: RunningStack) -> AllSettings:
    function_env = stack.state["functionEnvs"]["build-api"]  # a function that signs URLs
    return make_settings(
        google_cloud_project=stack.env["GOOGLE_CLOUD_PROJECT"],
        firestore_emulator_host=stack.env["FIRESTORE_EMULATOR_HOST"],
        storage_emulator_host=stack.env["STORAGE_EMULATOR_HOST"],
        upload_bucket=CONTRACT_BUCKET,
        signed_url_endpoint=function_env["SIGNED_URL_ENDPOINT"],
        signing_credentials_file=function_env["SIGNING_CREDENTIALS_FILE"],
        signing_service_account_email=None,
    )


@pytest.fixture(scope="package")
def firestore_client(emulator_settings: AllSettings) -> Iterator[firestore_sdk.Client]:
    """Closed after these suites: its gRPC threads would outlive them in the test process,
    which later tests fork functions from."""
    client = firestore.create_client(emulator_settings)
    yield client
    client.close()


@pytest.fixture(scope="session")
def storage_client(emulator_settings: AllSettings) -> storage.Client:
    client = cloud_storage.create_client(emulator_settings)
    client.create_bucket(emulator_settings.upload_bucket)
    return client


@pytest.fixture(scope="session")
def upload_bucket(
    emulator_settings: AllSettings, storage_client: storage.Client
) -> cloud_storage.UploadBucket:
    url_signing = signing.create_url_signing(emulator_settings)
    return cloud_storage.UploadBucket(storage_client, emulator_settings.upload_bucket, url_signing)


def fake_or_firestore(
    request: pytest.FixtureRequest, fake: Callable[[], Any], adapter: Callable[[Any], Any]
) -> Any:
    """The fake, or the adapter over the emulator's client (started only when asked for)."""
    if request.param == "fake":
        return fake()
    return adapter(request.getfixturevalue("firestore_client"))


IMPLEMENTATIONS = ["fake", "emulator"]
