"""One local stack (emulators, functions, gateway) per test session, on free ports."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from tests.integration.apk_server import ApkServer
from tests.paths import ROOT

STARTUP_SECONDS = 180
# Short enough for the expiry test to wait for, long enough for every upload in the suite.
UPLOAD_URL_TTL_SECONDS = 6
EXPIRY_GRACE_SECONDS = 3
TEST_RATE_LIMIT = 1000
# apkUrl deadlines short enough to test, long enough for every other import in the suite.
URL_FETCH_TOTAL_TIMEOUT_SECONDS = 8
URL_FETCH_MIN_RATE_GRACE_SECONDS = 2


@dataclass
class RunningStack:
    url: str
    state: dict
    state_file: Path
    process: subprocess.Popen

    def function_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.state['ports'][name]}"

    @property
    def env(self) -> dict[str, str]:
        return self.state["env"]


def read_state(state_file: Path) -> dict:
    """The stack's state file, or {} before it exists (it is always replaced whole)."""
    try:
        return json.loads(state_file.read_text())
    except FileNotFoundError:
        return {}


def launch_stack(state_dir: Path, *extra_args: str) -> subprocess.Popen:
    """`python -m infra.dev` as `make dev` runs it. It stops as on SIGTERM if this process dies,
    and its watchdog stops its children if it dies itself (see infra/watchdog.py)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log = (state_dir / "stack.out").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.dev",
            "--port",
            "0",
            "--state-dir",
            str(state_dir),
            "--quiet",
            *extra_args,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def start_stack(state_dir: Path, *extra_args: str) -> RunningStack:
    """Starts the stack and waits until its state file says it is ready."""
    process = launch_stack(state_dir, *extra_args)
    state_file = state_dir / "stack.json"
    deadline = time.monotonic() + STARTUP_SECONDS
    while not (state := read_state(state_file)).get("ready"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_stack(RunningStack("", state, state_file, process))
            pytest.fail(f"the local stack did not start:\n{(state_dir / 'stack.out').read_text()}")
        time.sleep(0.3)
    return RunningStack(state["url"], state, state_file, process)


def stop_stack(stack: RunningStack, sig: signal.Signals = signal.SIGTERM) -> int:
    stack.process.send_signal(sig)
    return stack.process.wait(timeout=60)


@pytest.fixture(scope="session")
def apk_server() -> Iterator[ApkServer]:
    with ApkServer() as server:
        yield server


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, apk_server: ApkServer
) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("stack"),
        "--upload-url-ttl",
        str(UPLOAD_URL_TTL_SECONDS),
        "--expiry-grace",
        str(EXPIRY_GRACE_SECONDS),
        # Uploads are rate limited per key; each test has its own key, some upload a lot.
        "--set",
        f"UPLOAD_RATE_LIMIT_PER_MINUTE={TEST_RATE_LIMIT}",
        "--set",
        f"URL_FETCH_LOOPBACK_PORT={apk_server.port}",
        "--set",
        f"URL_FETCH_TOTAL_TIMEOUT_SECONDS={URL_FETCH_TOTAL_TIMEOUT_SECONDS}",
        "--set",
        f"URL_FETCH_MIN_RATE_GRACE_SECONDS={URL_FETCH_MIN_RATE_GRACE_SECONDS}",
        # Every test's browser is the same loopback client; the limit itself is unit-tested.
        "--set",
        f"SIGN_IN_RATE_LIMIT_PER_CLIENT={TEST_RATE_LIMIT}",
    )
    # Test code talks to the same emulators (to issue keys and to look behind the API).
    saved = dict(os.environ)
    os.environ.update(running.env)
    yield running
    os.environ.clear()
    os.environ.update(saved)
    stop_stack(running)


@pytest.fixture(scope="session")
def api_keys(stack: RunningStack):
    """Issues keys through the code `make api-key` runs."""
    from apkdrop.accounts import KeyScope
    from infra.api_key import issue_key_on_emulator

    def issue(email: str, scope: KeyScope = KeyScope.ADMIN) -> str:
        return issue_key_on_emulator(stack.env["GOOGLE_CLOUD_PROJECT"], email, scope)

    return issue


@pytest.fixture
def database(stack: RunningStack) -> Iterator[firestore.Client]:
    """The emulator's Firestore, to look behind the API."""
    client = firestore.Client(
        project=stack.env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials()
    )
    yield client
    client.close()


@pytest.fixture
def client(stack: RunningStack, api_keys) -> Iterator[httpx.Client]:
    """A client of a fresh account, through the gateway."""
    key = api_keys(f"ci-{time.monotonic_ns()}@example.com")
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60) as http:
        yield http
