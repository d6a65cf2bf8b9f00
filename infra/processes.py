"""Child processes of the local stack: each in its own process group, marked with the stack's
id (see infra/process_groups.py), and sent SIGTERM by the kernel when the stack's main thread
dies (the watchdog, infra/watchdog.py, follows up with SIGKILL for the whole group)."""

import ctypes
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.capped_log import CappedLog
from infra.process_groups import STACK_ID_VARIABLE, STOP_GRACE_SECONDS

PR_SET_PDEATHSIG = 1
_PRCTL = getattr(ctypes.CDLL(None), "prctl", None) if sys.platform == "linux" else None


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> None:
    """The kernel sends `sig` to this process when the thread that started it exits; Linux only.
    Safe between fork and exec: the C function was looked up before the fork."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, int(sig))


@contextmanager
def stop_signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done, then arrive as usual.

    With a `preexec_fn`, Popen runs the at-fork hooks, where the KeyboardInterrupt of a stop
    signal is swallowed ("Exception ignored"): the stack then went on starting. Held, the
    signal lands after the child is started and recorded, so stopping finds it. Held by a
    handler that only notes it: a blocked mask holds it in this thread alone, and the kernel
    may hand it to another one, whose signal Python still handles here at once.
    """
    arrived: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda number, _: arrived.append(number)) for sig in STOP_SIGNALS
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(arrived):
            signal.raise_signal(sig)


class ManagedProcess:
    """A child whose output goes to a capped log file and, when `echo` is set, to our stdout.

    Started from the main thread: PR_SET_PDEATHSIG follows the thread that forked the child.
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        log_dir: Path,
        env: dict[str, str],
        stack_id: str,
        echo: bool = False,
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._echo = echo
        self._process = subprocess.Popen(
            command,
            env={**env, STACK_ID_VARIABLE: stack_id},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: gcloud's java child too
            preexec_fn=die_with_parent,  # between fork and exec
        )
        self._pump = threading.Thread(target=self._copy_output, name=f"log-{name}", daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        """Also its process group's id."""
        return self._process.pid

    def exited(self) -> int | None:
        return self._process.poll()

    def _copy_output(self) -> None:
        log = CappedLog(self.log_path)
        try:
            for line in self._process.stdout:
                log.write(line)
                if self._echo:
                    sys.stdout.buffer.write(line)
                    sys.stdout.flush()
        finally:
            log.close()

    def reap(self) -> None:
        """After its group was stopped (infra.process_groups.stop_groups)."""
        try:
            self._process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._pump.join(timeout=STOP_GRACE_SECONDS)
