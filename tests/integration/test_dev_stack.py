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
