"""Child processes of the local stack: each in its own process group, so stopping kills all."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

STOP_GRACE_SECONDS = 5


class ManagedProcess:
    """A child whose output goes to a log file and, when `echo` is set, to our stdout."""

    def __init__(
        self, name: str, command: list[str], log_dir: Path, env: dict[str, str], echo: bool = False
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._echo = echo
        self._process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: gcloud's java child too
        )
        self._pump = threading.Thread(target=self._copy_output, name=f"log-{name}", daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def exited(self) -> int | None:
        return self._process.poll()

    def _copy_output(self) -> None:
        with self.log_path.open("wb") as log:
            for line in self._process.stdout:
                log.write(line)
                log.flush()
                if self._echo:
                    sys.stdout.buffer.write(line)
                    sys.stdout.flush()

    def stop(self) -> None:
        """SIGTERM to the whole group, then SIGKILL to whatever is left of it."""
        self._signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(STOP_GRACE_SECONDS)
        # The group can outlive its leader (gcloud's java child), so it always gets a SIGKILL.
        self._signal_group(signal.SIGKILL)
        self._process.wait()
        self._wait_for_group_to_empty()
        self._pump.join(timeout=STOP_GRACE_SECONDS)

    def _wait_for_group_to_empty(self) -> None:
        """SIGKILL is delivered asynchronously; return once no member of the group is left."""
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline:
            try:
                os.killpg(self._process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, sig)
