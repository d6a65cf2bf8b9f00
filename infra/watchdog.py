"""The stack's watchdog: stops every process group of a stack whose main process is gone.

Why a separate process: each child runs in a process group of its own (so that a stop reaches
gcloud's Java grandchildren too), so nothing the kernel does when the main process dies reaches
a whole group. The direct children die with it (PR_SET_PDEATHSIG, see infra/processes.py); the
groups they leave behind are this process's job. It is started before any child, in a session of
its own (Ctrl-C in the terminal does not reach it), with a pipe from the main process as its
stdin: the main process writes each child's group id on it as it starts the child. End of file
means the main process is gone, however it went (a clean stop, a crash, SIGKILL): the watchdog
then stops the groups still alive (those of a clean stop are already gone) and removes the state
file if it is still its stack's.

    python -m infra.watchdog STACK_ID STATE_FILE
"""

import subprocess
import sys
from pathlib import Path

from infra import ROOT
from infra.process_groups import STOP_GRACE_SECONDS, stop_groups
from infra.stack_state import release


class Watchdog:
    def __init__(self, stack_id: str, state_file: Path, log_path: Path) -> None:
        with log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "infra.watchdog", stack_id, str(state_file)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self._process.pid

    def watch(self, group: int) -> None:
        self._process.stdin.write(f"{group}\n".encode())
        self._process.stdin.flush()

    def close(self) -> None:
        """After a clean stop: it finds nothing left to stop and exits."""
        if not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(2 * STOP_GRACE_SECONDS + 1)
        except subprocess.TimeoutExpired:
            self._process.kill()


def main() -> None:
    stack_id, state_file = sys.argv[1], Path(sys.argv[2])
    groups = {int(line) for line in sys.stdin.buffer}  # until the main process is gone
    stop_groups(groups, stack_id)
    release(state_file, stack_id)


if __name__ == "__main__":
    main()
