"""Process groups of one local stack, found in /proc and stopped with a bound.

Every child of a stack carries `APKDROP_STACK_ID=<its stack's id>` in its environment, and so do
its own children (gcloud's Java). A recorded process group is stopped only while one of its live
members carries that mark: a group id reused by some other program is never signalled.
"""

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

STACK_ID_VARIABLE = "APKDROP_STACK_ID"
STOP_GRACE_SECONDS = 5
POLL_SECONDS = 0.05
PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with its pid, it names the process."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def _carries(pid: int, stack_id: str) -> bool:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return f"{STACK_ID_VARIABLE}={stack_id}".encode() in environ.split(b"\0")


def live_groups(groups: Iterable[int], stack_id: str | None) -> set[int]:
    """Those of `groups` with a member that is not a zombie (and carries the stack's mark,
    unless `stack_id` is None)."""
    wanted, found = set(groups), set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if not fields or fields[0] == "Z" or int(fields[2]) not in wanted - found:
            continue
        if stack_id is None or _carries(int(entry.name), stack_id):
            found.add(int(fields[2]))
    return found


def stop_groups(groups: Iterable[int], stack_id: str, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to each of the stack's groups still alive, SIGKILL to what is left after `grace`
    seconds; returns when none is left, or `grace` seconds after the SIGKILL at most."""
    alive = set(groups)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = live_groups(alive, stack_id)
        for group in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, sig)
        deadline = time.monotonic() + grace
        while alive and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            alive = live_groups(alive, stack_id)
        if not alive:
            return
