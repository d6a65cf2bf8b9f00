"""A per-key request limit shared by every instance: fixed one-minute windows in Firestore."""

import datetime
import math
from typing import Protocol

from apkdrop.errors import RateLimited

WINDOW_SECONDS = 60
# Window documents carry this expiry for Firestore's TTL policy to delete them.
WINDOW_RETENTION = datetime.timedelta(hours=1)
RATE_LIMITED = "Rate limit exceeded. Please try again later."


class WindowCounter(Protocol):
    def increment(self, window_id: str, expires_at: datetime.datetime) -> int: ...


def enforce_rate_limit(
    counter: WindowCounter, key_id: str, limit: int, now: datetime.datetime
) -> None:
    """Counts this request in the key's current window; raises RateLimited past `limit`."""
    window = int(now.timestamp()) // WINDOW_SECONDS
    window_end = datetime.datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, datetime.UTC)
    count = counter.increment(f"{key_id}-{window}", expires_at=window_end + WINDOW_RETENTION)
    if count > limit:
        retry_after = max(1, math.ceil((window_end - now).total_seconds()))
        raise RateLimited(RATE_LIMITED, retry_after=retry_after)
