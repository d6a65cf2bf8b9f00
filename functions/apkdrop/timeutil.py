"""Timestamps as the API shows them: UTC, milliseconds, a trailing Z."""

from collections.abc import Callable
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


# What services read the time from (`deps.clock`): utc_now, or a test's clock.
Clock = Callable[[], datetime]


def iso_millis(moment: datetime) -> str:
    """`2024-03-07T16:55:49.168Z`: UTC, milliseconds, a `Z` (what API clients parse)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
