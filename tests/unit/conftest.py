"""Every unit test starts from a known environment: no emulator, no stray settings, a dev key."""

import logging
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from apkdrop import logs, task_auth, wiring
from apkdrop.dependencies import Dependencies
from apkdrop.settings import FUNCTION_SETTINGS
from infra.signing_key import write_dev_signing_key
from tests.fakes import fake_dependencies
from tests.paths import MAIN

PROJECT = "apkdrop-test"
# The OIDC claims of the account Cloud Tasks calls the task handlers as, in these settings.
TASK_INVOKER = {"email": f"tasks@{PROJECT}.iam.gserviceaccount.com", "email_verified": True}
# Read by functions_framework's create_app; it also writes the first two back.
FRAMEWORK_VARIABLES = {
    "FUNCTION_TARGET",
    "FUNCTION_SIGNATURE_TYPE",
    "FUNCTION_SOURCE",
    "ENTRY_POINT",
}
SETTINGS_VARIABLES = {
    name.upper() for settings in FUNCTION_SETTINGS.values() for name in settings.model_fields
}
MINIMAL_ENVIRONMENT = {
    "GOOGLE_CLOUD_PROJECT": PROJECT,
    "REGION": "europe-west1",
    "UPLOAD_BUCKET": "apkdrop-test-uploads",
    "PUBLIC_BASE_URL": "https://apkdrop.example.test",
    "UPLOAD_EXPIRY_QUEUE": "upload-expiry",
    "UPLOAD_EXPIRY_URL": "https://expiry.example.test/expire",
    "TASKS_INVOKER_SERVICE_ACCOUNT": TASK_INVOKER["email"],
    "EMAIL_QUEUE": "emails",
    "EMAIL_WORKER_URL": "https://email-worker.example.test/",
    "HASH_QUEUE": "hashes",
    "HASH_WORKER_URL": "https://hash-worker.example.test/",
    "BUNDLE_CONVERSION_QUEUE": "bundle-conversions",
    "BUNDLE_CONVERTER_URL": "https://bundle-converter.example.test/",
    "EMAIL_FROM": "apkdrop <notifications@apkdrop.example.test>",
    "RETENTION_SWEEPER_URL": "https://retention-sweeper.example.test/",
    "RETENTION_SCHEDULER_SERVICE_ACCOUNT": "scheduler@apkdrop-test.iam.gserviceaccount.com",
    "WEBHOOK_QUEUE": "webhooks",
    "WEBHOOK_WORKER_URL": "https://webhook-worker.example.test/",
}


@pytest.fixture(scope="session")
def _session_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RSA key generation is slow, so one key serves the session; each test gets a copy."""
    return write_dev_signing_key(tmp_path_factory.mktemp("signing"), PROJECT)


@pytest.fixture
def signing_key_file(tmp_path: Path, _session_signing_key: Path) -> Path:
    return Path(shutil.copy(_session_signing_key, tmp_path / "signing-key.json"))


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, signing_key_file: Path) -> None:
    """Clears what Settings and functions_framework read, then sets a valid minimal set.

    Settings match variable names case-insensitively, so lower-case spellings go too.
    """
    for name in list(os.environ):
        upper = name.upper()
        if (
            upper in SETTINGS_VARIABLES
            or upper in FRAMEWORK_VARIABLES
            or upper.endswith("_EMULATOR_HOST")
        ):
            monkeypatch.delenv(name)
    # Recorded as unset, so whatever create_app writes there is removed afterwards.
    for name in FRAMEWORK_VARIABLES:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    for name, value in MINIMAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SIGNING_CREDENTIALS_FILE", str(signing_key_file))


@pytest.fixture(autouse=True)
def restored_process_state(monkeypatch: pytest.MonkeyPatch):
    """`logs.configure` rewires the root logger and create_app extends sys.path: undo both."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = {
        name: logging.getLogger(name).level
        for name in ("urllib3", "google", "grpc", "pyaxmlparser")
    }
    monkeypatch.setattr(sys, "path", sys.path[:])
    token = logs.request_id.set("-")
    yield
    logs.request_id.reset(token)
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, noisy_level in noisy.items():
        logging.getLogger(name).setLevel(noisy_level)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit test that reaches for the network (a client not faked) fails instead of hanging."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"unit tests must not use the network: {args[1:] or args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def deps() -> Dependencies:
    """Fakes for every adapter; a test module overrides this to change them."""
    return fake_dependencies()


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch, deps: Dependencies):
    """Loads main.py as functions_framework does, for one target, and gives it `deps`."""
    # Each function wires its adapters on first use: hand it the fakes so nothing connects.
    monkeypatch.setattr(wiring, "dependencies_for", lambda function, settings: deps)
    monkeypatch.setitem(sys.modules, "main", None)  # create_app's module goes when we do

    def client(target: str, signature_type: str = "http") -> FlaskClient:
        return create_app(target, str(MAIN), signature_type).test_client()

    return client


@pytest.fixture
def load_task(monkeypatch: pytest.MonkeyPatch, load):
    """Loads a Cloud Tasks handler as `load` does, called with the queue account's token (its
    check patched to accept it as TASK_INVOKER's)."""
    monkeypatch.setattr(task_auth, "verify_token", lambda *_, **__: dict(TASK_INVOKER))

    def client(target: str) -> FlaskClient:
        worker = load(target)
        worker.environ_base["HTTP_AUTHORIZATION"] = "Bearer task-token"
        return worker

    return client
