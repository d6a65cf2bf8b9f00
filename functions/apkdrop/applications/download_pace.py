"""How long an `apkUrl` download may take: a total deadline and a minimum average rate.

Per-read timeouts alone let a server that trickles bytes hold an instance for as long as the
function may run.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from apkdrop.errors import InvalidRequest


@dataclass(frozen=True)
class DownloadPace:
    total_seconds: float
    min_bytes_per_second: int
    # A connection needs a moment to ramp up; a download that ends within it is never too slow.
    grace_seconds: float
    clock: Callable[[], float] = time.monotonic

    def start(self) -> "PaceWatch":
        return PaceWatch(self)


@dataclass
class PaceWatch:
    """One download, timed from its first connection through every redirect to its last byte."""

    pace: DownloadPace
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.pace.clock()

    def check_deadline(self) -> None:
        if self._elapsed() > self.pace.total_seconds:
            raise self.overdue()

    def seconds_left(self) -> float:
        return max(0.0, self.pace.total_seconds - self._elapsed())

    def overdue(self) -> InvalidRequest:
        return InvalidRequest(
            f"apkUrl download took longer than {self.pace.total_seconds:g} seconds"
        )

    def check(self, received: int) -> None:
        """After each read: the deadline, then the average rate since the start."""
        self.check_deadline()
        elapsed = self._elapsed()
        minimum = self.pace.min_bytes_per_second
        if elapsed > self.pace.grace_seconds and received < minimum * elapsed:
            raise InvalidRequest(f"apkUrl download was slower than {minimum} bytes per second")

    def _elapsed(self) -> float:
        return self.pace.clock() - self.started
