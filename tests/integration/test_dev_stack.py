"""`make api-key` against a running stack, and a stack that leaves no process behind."""

import os
import signal
import subprocess

import httpx
import pytest

from tests.integration.conftest import start_stack, stop_stack
from tests.paths import ROOT

pytestmark = pytest.mark.integration


def test_make_api_key_prints_a_working_key_last(stack):
    run = subprocess.run(
        ["make", "-s", "api-key", "EMAIL=ci@example.com"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "APKDROP_STACK_STATE": str(stack.state_file)},
        check=False,
    )

    assert run.returncode == 0, run.stderr
    key = run.stdout.strip().splitlines()[-1]
    assert key.startswith("apkd_")
    created = httpx.post(stack.url + "/api/v1/projects/p/build-uploads", headers={"X-Api-Key": key})
    assert created.status_code == 200


def make_revoke_key(stack, key: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "revoke-key", f"KEY={key}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "APKDROP_STACK_STATE": str(stack.state_file)},
        check=False,
    )


def test_make_revoke_key_revokes_a_key_once(stack, api_keys):
    key = api_keys("revoked@example.com")
    url = stack.url + "/api/v1/projects/p/build-uploads"

    revoked = make_revoke_key(stack, key)

    assert revoked.returncode == 0, revoked.stderr
    assert "Key revoked" in revoked.stdout
    assert httpx.post(url, headers={"X-Api-Key": key}).json() == {"detail": "Invalid API Key"}
    again = make_revoke_key(stack, key)
    assert again.returncode != 0
    assert "Key not found" in again.stderr


def test_make_revoke_key_of_a_key_that_never_existed_says_not_found(stack):
    run = make_revoke_key(stack, "apkd_never-issued")
    assert run.returncode != 0
    assert "Key not found: nothing was revoked" in run.stderr
    assert "revoked." not in run.stdout


def test_make_api_key_without_a_running_stack_says_so(tmp_path):
    run = subprocess.run(
        ["make", "-s", "api-key", "EMAIL=ci@example.com"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "APKDROP_STACK_STATE": str(tmp_path / "none.json")},
        check=False,
    )

    assert run.returncode != 0
    assert "make dev" in run.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stopping_the_stack_stops_every_child_process(tmp_path, sig):
    running = start_stack(tmp_path / "stack")
    groups = running.state["processGroups"]
    assert set(groups) >= {"firestore", "pubsub", "storage", "tasks", "build-api"}

    assert stop_stack(running, sig) == 0

    for name, group in groups.items():
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
            pytest.fail(f"{name} (process group {group}) is still running")
