"""`make api-key` against a running stack, and a stack that leaves no process behind.

Leftovers are looked for by the process groups the stack recorded, never by name.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infra.process_groups import live_groups
from tests.integration.conftest import launch_stack, read_state, start_stack, stop_stack
from tests.paths import ROOT

pytestmark = pytest.mark.integration


def make_api_key(stack, *variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "api-key", "EMAIL=ci@example.com", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "APKDROP_STACK_STATE": str(stack.state_file)},
        check=False,
    )


def test_make_api_key_prints_a_working_key_last(stack):
    run = make_api_key(stack)

    assert run.returncode == 0, run.stderr
    assert "New admin-scoped API key for ci@example.com" in run.stdout
    key = run.stdout.strip().splitlines()[-1]
    assert key.startswith("apkd_")
    created = httpx.post(stack.url + "/api/v1/projects/p/build-uploads", headers={"X-Api-Key": key})
    assert created.status_code == 200
    assert httpx.get(stack.url + "/v1/audit", headers={"X-Api-Key": key}).status_code == 200


def test_make_api_key_with_scope_upload_makes_a_ci_key(stack):
    run = make_api_key(stack, "SCOPE=upload")

    assert run.returncode == 0, run.stderr
    assert "New upload-scoped API key for ci@example.com" in run.stdout
    key = run.stdout.strip().splitlines()[-1]
    created = httpx.post(stack.url + "/api/v1/projects/p/build-uploads", headers={"X-Api-Key": key})
    assert created.status_code == 200
    refused = httpx.get(stack.url + "/v1/audit", headers={"X-Api-Key": key})
    assert refused.status_code == 403


def test_make_api_key_with_another_scope_is_refused_with_usage(stack):
    run = make_api_key(stack, "SCOPE=owner")

    assert run.returncode == 2
    assert "SCOPE must be upload or admin" in run.stderr
    assert "usage: make api-key EMAIL=" in run.stderr
    assert "apkd_" not in run.stdout


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

    # A member may linger a moment as a zombie until init reaps it: dead, holding nothing.
    left = wait_until_gone(set(groups.values()), 10)
    assert left == set(), {name: group for name, group in groups.items() if group in left}


def recorded_groups(state: dict) -> set[int]:
    return {*state["processGroups"].values(), state["watchdog"]}


def wait_until_gone(groups: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while (alive := live_groups(groups, None)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def dev(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "infra.dev", "--quiet", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_busy_port_exits_1_at_once_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        run = dev("--port", str(port), "--state-dir", str(tmp_path), timeout=30)

    assert time.monotonic() - started < 5
    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"apkdrop dev stack failed to start: port {port} is in use (another `make dev`?); "
        "choose another with `python -m infra.dev --port N`"
    )
    assert list(tmp_path.iterdir()) == []  # no state file: nothing was started


def test_a_second_stack_on_the_same_state_names_the_first(stack) -> None:
    run = dev("--port", "0", "--state-dir", str(stack.state_file.parent), timeout=30)

    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"apkdrop is already running at {stack.url} (pid {stack.process.pid})"
    )
    assert read_state(stack.state_file)["pid"] == stack.process.pid
    assert httpx.get(stack.url + "/healthz").status_code == 200


def test_sigkill_of_the_main_process_leaves_nothing_within_10s(tmp_path: Path) -> None:
    running = start_stack(tmp_path / "stack")
    groups = recorded_groups(running.state)
    assert set(running.state["processGroups"]) >= {"firestore", "pubsub", "tasks", "build-api"}

    running.process.kill()
    running.process.wait()

    assert wait_until_gone(groups, 10) == set()
    assert not running.state_file.exists()  # the watchdog removed it


def test_sigterm_while_starting_stops_what_was_started(tmp_path: Path) -> None:
    process = launch_stack(tmp_path)
    deadline = time.monotonic() + 60
    while "pubsub" not in (state := read_state(tmp_path / "stack.json")).get("processGroups", {}):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    assert not state["ready"]

    process.terminate()

    assert process.wait(timeout=30) == 0
    output = (tmp_path / "stack.out").read_text()
    assert "Traceback" not in output
    assert output.strip().endswith("apkdrop dev stack stopped")
    assert wait_until_gone(recorded_groups(state), 10) == set()
    assert not (tmp_path / "stack.json").exists()


def test_the_gateway_answers_a_non_ascii_header_value_with_400(stack) -> None:
    response = httpx.get(stack.url + "/v1/application", headers={"X-Name": "café".encode()})
    assert (response.status_code, response.json()) == (400, {"detail": "Malformed request"})


def test_a_killed_parent_stops_the_stack(tmp_path: Path) -> None:
    """As when `make dev` or `make test` is killed: the stack stops as on SIGTERM."""
    starter = "import subprocess, sys, time; subprocess.Popen(sys.argv[1:]); time.sleep(600)"
    dev_command = ["-m", "infra.dev", "--port", "0", "--state-dir", str(tmp_path), "--quiet"]
    with (tmp_path / "stack.out").open("wb") as out:
        parent = subprocess.Popen(
            [sys.executable, "-c", starter, sys.executable, *dev_command],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180
    while not (state := read_state(tmp_path / "stack.json")).get("ready"):
        assert time.monotonic() < deadline, (tmp_path / "stack.out").read_text()
        time.sleep(0.3)

    parent.kill()
    parent.wait()

    assert wait_until_gone(recorded_groups(state), 30) == set()
    deadline = time.monotonic() + 30
    while "stopped" not in (tmp_path / "stack.out").read_text():
        assert time.monotonic() < deadline, (tmp_path / "stack.out").read_text()
        time.sleep(0.1)
