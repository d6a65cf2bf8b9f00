"""What webhooks need from the database and from the network."""

import datetime
from typing import Protocol

from apkdrop.notifications.ports import Claim
from apkdrop.paging import TimeCursor
from apkdrop.webhooks.models import Delivery, DeliveryState, EventType, Hook


class HookRepository(Protocol):
    def add_hook(self, hook: Hook, max_hooks: int) -> bool:
        """Stores the hook, unless its account holds `max_hooks` already (then False)."""
        ...

    def hooks_of_account(self, account_id: str) -> list[Hook]:
        """Oldest first."""
        ...

    def get_hook(self, hook_id: str) -> Hook | None: ...
    def delete_hook(self, hook: Hook) -> None: ...


class DeliveryRecords(Protocol):
    """One record per (hook, event): the once-only marker of its delivery, and what
    `GET /v1/webhooks/{id}/deliveries` lists."""

    def claim(
        self,
        delivery_id: str,
        hook_id: str,
        event: tuple[str, EventType],
        lease: datetime.timedelta,
        now: datetime.datetime,
    ) -> Claim:
        """Counts an attempt and takes the delivery for `lease`, unless it is done (DONE) or
        another worker holds it (BUSY, no attempt counted). `event` is its id and type."""
        ...

    def finish(
        self,
        delivery_id: str,
        state: DeliveryState,
        status_code: int | None,
        error: str | None,
        now: datetime.datetime,
    ) -> None:
        """DELIVERED or FAILED (for good), or RETRYING: the next attempt may claim it."""
        ...

    def deliveries(
        self, hook_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[Delivery], TimeCursor | None]:
        """The hook's deliveries, newest first attempt first (ties by event id, descending),
        after the cursor; and the cursor of the last one when more follow."""
        ...


class ReceiverUnreachable(Exception):
    """A timeout or a connection failure: a retry may reach it."""


class HookSender(Protocol):
    def check(self, url: str) -> None:
        """Raises InvalidRequest unless `url` may receive webhooks (now: DNS changes)."""
        ...

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POSTs to the checked address of `url` (InvalidRequest if refused), following no
        redirect; returns the status. Raises ReceiverUnreachable."""
        ...
