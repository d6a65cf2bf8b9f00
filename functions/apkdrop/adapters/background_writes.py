"""Writes done by one background thread, so that receiving the next bytes overlaps sending
these (a socket send and hashlib both release the GIL).

Bounded: at most MAX_QUEUED_PIECES pieces wait (4 MiB of werkzeug's 64 KiB multipart reads),
then the caller waits. A failure in the thread is raised in the caller's next call.
"""

import queue
import threading
from collections.abc import Callable

MAX_QUEUED_PIECES = 64


class BackgroundWrites:
    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self._pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=MAX_QUEUED_PIECES)
        self._failure: BaseException | None = None
        self._discarding = False
        self._thread = threading.Thread(target=self._run, name="background-writes", daemon=True)
        self._thread.start()

    def put(self, piece: bytes) -> None:
        """Queues `piece` (bytes are never changed in place, so it is not copied)."""
        self._raise_failure()
        self._pieces.put(piece)

    def close(self) -> None:
        """Returns once every queued piece is written; raises the thread's first failure."""
        self._stop()
        self._raise_failure()

    def discard(self) -> None:
        """Drops what is still queued and stops the thread."""
        self._discarding = True
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._pieces.put(None)
            self._thread.join()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        while (piece := self._pieces.get()) is not None:
            if self._failure is not None or self._discarding:
                continue  # keep taking pieces, so the caller never waits for a dead thread
            try:
                self._write(piece)
            except BaseException as exc:  # raised in the caller's thread instead
                self._failure = exc
