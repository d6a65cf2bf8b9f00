"""`.dev/stack.json`: where a running stack is, which process groups it started, and a claim
that only one stack runs on a state directory.

The file is created when the stack starts, not when it is ready (`"ready": true`), so that the
groups of a stack killed while starting are known too. A file whose main process is gone (by
pid and start time) is stale: its groups still alive are stopped and it is removed.
"""

import contextlib
import json
import os
import secrets
from pathlib import Path

from infra.process_groups import start_time, stop_groups


class AlreadyRunning(Exception):
    pass


def _read(path: Path) -> dict:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _is_running(record: dict) -> bool:
    pid = record.get("pid")
    return isinstance(pid, int) and pid > 0 and start_time(pid) == record.get("pidStartTime")


def release(path: Path, stack_id: str) -> None:
    """Removes the file if it is still that stack's."""
    if _read(path).get("stackId") == stack_id:
        path.unlink(missing_ok=True)


class StackState:
    def __init__(self, path: Path, url: str) -> None:
        self.path = path
        self.stack_id = secrets.token_hex(8)
        pid = os.getpid()
        self._record: dict = {
            "url": url,
            "pid": pid,
            "pidStartTime": start_time(pid),
            "stackId": self.stack_id,
            "ready": False,
            "processGroups": {},
        }
        self._claimed = False

    def claim(self) -> None:
        """Creates the file, or raises AlreadyRunning naming the stack that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            draft = self._write_draft()
            try:
                os.link(draft, self.path)  # fails if the file exists; never half written
                self._claimed = True
                return
            except FileExistsError:
                self._clear_stale()
            finally:
                draft.unlink()
        raise AlreadyRunning(f"another stack keeps claiming {self.path}")

    def _clear_stale(self) -> None:
        record = _read(self.path)
        if _is_running(record):
            raise AlreadyRunning(
                f"apkdrop is already running at {record.get('url')} (pid {record['pid']})"
            )
        groups = record.get("processGroups")
        if isinstance(groups, dict) and isinstance(record.get("stackId"), str):
            stop_groups([g for g in groups.values() if isinstance(g, int)], record["stackId"])
        self.path.unlink(missing_ok=True)

    def update(self, **fields: object) -> None:
        self._record.update(fields)
        os.replace(self._write_draft(), self.path)

    def record_group(self, name: str, group: int) -> None:
        self.update(processGroups={**self._record["processGroups"], name: group})

    def release(self) -> None:
        if self._claimed:
            release(self.path, self.stack_id)

    def _write_draft(self) -> Path:
        draft = self.path.with_name(f".{self.path.name}.{self.stack_id}")
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()  # a leftover draft may still be a hard link to the file itself
        draft.write_text(json.dumps(self._record, indent=2))
        return draft
