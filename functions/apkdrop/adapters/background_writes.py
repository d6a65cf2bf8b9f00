"""Bytes handed to one call running in a background thread, so that receiving the next bytes
overlaps sending these (a socket send and hashlib both release the GIL).

The call takes the pieces as one iterator (a streamed request body, say). Bounded: once
MAX_QUEUED_BYTES wait, the caller waits. A failure in the thread is raised in the caller's next
call; `discard()` makes the iterator raise Abandoned, so the call never sees a normal end.
"""

import collections
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

MAX_QUEUED_BYTES = 8 * 1024 * 1024
Result = TypeVar("Result")


class Abandoned(Exception):
    """The pieces were discarded before their end."""


class BackgroundWrites(Generic[Result]):
    def __init__(self, consume: Callable[[Iterator[bytes]], Result]) -> None:
        self._consume = consume
        self._pieces: collections.deque[bytes | None] = collections.deque()
        self._queued_bytes = 0
        self._changed = threading.Condition()
        self._result: Result | None = None
        self._failure: BaseException | None = None
        self._discarding = False
        self._ended = False  # the call took the last piece
        self._thread = threading.Thread(target=self._run, name="background-writes", daemon=True)
        self._thread.start()

    def put(self, piece: bytes) -> None:
        """Queues `piece` (bytes are never changed in place, so it is not copied)."""
        self._raise_failure()
        self._enqueue(piece)

    def close(self) -> Result:
        """Ends the pieces; returns the call's result once it returns, or raises its failure."""
        self._stop()
        self._raise_failure()
        return self._result  # type: ignore[return-value]  # set whenever no failure was

    def discard(self) -> None:
        """Drops what is still queued and waits for the call to end (it sees Abandoned)."""
        self._discarding = True
        self._stop()

    def _enqueue(self, piece: bytes | None) -> None:
        with self._changed:
            # A piece larger than the bound still goes when nothing waits before it.
            while self._pieces and self._queued_bytes + len(piece or b"") > MAX_QUEUED_BYTES:
                self._changed.wait()
            self._pieces.append(piece)
            self._queued_bytes += len(piece or b"")
            self._changed.notify_all()

    def _take(self) -> bytes | None:
        with self._changed:
            while not self._pieces:
                self._changed.wait()
            piece = self._pieces.popleft()
            self._queued_bytes -= len(piece or b"")
            self._changed.notify_all()
            return piece

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._enqueue(None)
            self._thread.join()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _queued(self) -> Iterator[bytes]:
        while (piece := self._take()) is not None:
            if self._discarding:
                raise Abandoned
            yield piece
        self._ended = True
        if self._discarding:
            raise Abandoned

    def _run(self) -> None:
        try:
            self._result = self._consume(self._queued())
        except BaseException as exc:  # raised in the caller's thread instead
            self._failure = exc
        # Whatever the call left untaken is dropped, so the caller never waits for this thread.
        while not self._ended and self._take() is not None:
            pass
