"""The local stack's lifecycle parts: the state file's claim, the watchdog, stops that never
hang, and capped logs. Real processes (`sleep`), no network."""

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.capped_log import CappedLog
from infra.fake_sendgrid import FakeSendGrid
from infra.process_groups import STACK_ID_VARIABLE, live_groups
from infra.processes import ManagedProcess, stop_signals_held
from infra.stack_state import AlreadyRunning, StackState
from infra.watchdog import Watchdog

URL = "http://127.0.0.1:8080"


@pytest.fixture
def groups() -> Iterator:
    """Starts `sleep` in a process group of its own, marked with a stack id or not."""
    started: list[subprocess.Popen] = []

    def start(stack_id: str | None) -> int:
        env = {**os.environ, STACK_ID_VARIABLE: stack_id} if stack_id else dict(os.environ)
        process = subprocess.Popen(["sleep", "60"], env=env, start_new_session=True)
        started.append(process)
        return process.pid

    yield start
    for process in started:
        process.kill()
        process.wait()


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_second_claim_names_the_running_stack(tmp_path: Path) -> None:
    first = StackState(tmp_path / "stack.json", URL)
    first.claim()

    with pytest.raises(AlreadyRunning) as refused:
        StackState(tmp_path / "stack.json", "http://127.0.0.1:9").claim()

    assert str(refused.value) == f"apkdrop is already running at {URL} (pid {os.getpid()})"
    assert json.loads(first.path.read_text())["stackId"] == first.stack_id


def test_a_stale_claim_is_cleared_with_its_own_groups_only(tmp_path: Path, groups) -> None:
    ours, theirs = groups("old-stack"), groups(None)
    stale = {"url": URL, "pid": dead_pid(), "pidStartTime": 1, "stackId": "old-stack"}
    stale["processGroups"] = {"firestore": ours, "pubsub": theirs}
    (tmp_path / "stack.json").write_text(json.dumps(stale))

    state = StackState(tmp_path / "stack.json", URL)
    state.claim()

    assert json.loads(state.path.read_text())["stackId"] == state.stack_id
    assert live_groups([ours, theirs], None) == {theirs}


def test_a_pid_reused_by_another_process_is_stale(tmp_path: Path) -> None:
    reused = {"url": URL, "pid": os.getpid(), "pidStartTime": 1, "stackId": "old-stack"}
    (tmp_path / "stack.json").write_text(json.dumps(reused))

    StackState(tmp_path / "stack.json", URL).claim()


def test_release_removes_only_its_own_state(tmp_path: Path) -> None:
    first = StackState(tmp_path / "stack.json", URL)
    first.claim()
    refused = StackState(tmp_path / "stack.json", URL)
    with pytest.raises(AlreadyRunning):
        refused.claim()

    refused.release()
    assert first.path.exists()
    first.release()
    assert not first.path.exists()


def test_the_watchdog_stops_the_groups_once_its_stack_is_gone(tmp_path: Path, groups) -> None:
    state = StackState(tmp_path / "stack.json", URL)
    state.claim()
    watchdog = Watchdog(state.stack_id, state.path, tmp_path / "watchdog.log")
    ours, theirs = groups(state.stack_id), groups(None)
    watchdog.watch(ours)
    watchdog.watch(theirs)
    assert live_groups([ours], None) == {ours}

    watchdog.close()  # end of file on its stdin: what the kernel does when the stack dies

    assert live_groups([ours, theirs], None) == {theirs}
    assert not state.path.exists()


def test_stopping_a_fake_sendgrid_that_never_started_returns() -> None:
    fake = FakeSendGrid()
    stopping = threading.Thread(target=fake.stop, daemon=True)
    stopping.start()
    stopping.join(timeout=5)
    assert not stopping.is_alive()
    fake.stop()  # twice is fine too


def test_a_capped_log_keeps_at_most_two_files_of_the_cap(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    log = CappedLog(logs / "tasks.log", max_bytes=100)
    lines = [f"line {n:04}\n".encode() for n in range(1000)]
    for line in lines:
        log.write(line)
    log.close()

    current, previous = (logs / "tasks.log").read_bytes(), (logs / "tasks.log.1").read_bytes()
    assert len(current) <= 100 and len(previous) <= 100
    assert previous + current == b"".join(lines)[-len(previous + current) :]
    assert sorted(p.name for p in logs.iterdir()) == ["tasks.log", "tasks.log.1"]


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def test_a_stop_signal_another_thread_takes_is_held_too() -> None:
    """Blocking the signals held them in the main thread only: a SIGTERM the kernel gave to
    another thread still ran its handler in the main thread at once (the dev stack's SIGTERM
    during start-up then went unnoticed, now and then)."""
    done: list[str] = []
    waiting = threading.Event()
    other = threading.Thread(target=waiting.wait)
    other.start()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with pytest.raises(KeyboardInterrupt), stop_signals_held():
            assert other.ident is not None
            signal.pthread_kill(other.ident, signal.SIGTERM)
            time.sleep(0.2)  # where the handler ran
            done.append("the block")
        assert done, "the signal landed inside the block"
    finally:
        signal.signal(signal.SIGTERM, previous)
        waiting.set()
        other.join()


def test_a_stop_signal_during_a_spawn_lands_once_the_child_is_recorded(tmp_path: Path) -> None:
    """A SIGTERM that reached Popen's at-fork hooks was swallowed, and the stack went on
    starting (seen as a 30 s hang of a SIGTERM during start-up): it is held until the child is
    started and recorded, and the child itself gets the stop signals unblocked."""
    recorded: list[ManagedProcess] = []
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with pytest.raises(KeyboardInterrupt), stop_signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            child = ManagedProcess("sleeper", ["sleep", "60"], tmp_path, dict(os.environ), "s1")
            recorded.append(child)
        assert recorded, "the signal landed before the child was recorded"
        status = Path(f"/proc/{child.pid}/status").read_text()
        blocked = int(re.search(r"^SigBlk:\s*([0-9a-f]+)$", status, re.MULTILINE).group(1), 16)
        assert not blocked & (1 << (signal.SIGTERM - 1) | 1 << (signal.SIGINT - 1))
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in recorded:
            os.killpg(process.pid, signal.SIGKILL)
            process.reap()
