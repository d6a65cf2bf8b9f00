"""What the notification services need from the database and the mail service."""

import datetime
from enum import StrEnum
from typing import Protocol

from apkdrop.notifications.models import RenderedEmail


class MailRefused(Exception):
    """The mail service refused the message for good (a 4xx other than 429): no retry helps."""


class Claim(StrEnum):
    CLAIMED = "claimed"  # this worker sends
    DONE = "done"  # sent or failed for good already: nothing to do
    BUSY = "busy"  # another worker is sending right now


class DeliveryRepository(Protocol):
    def claim(self, delivery_id: str, lease: datetime.timedelta) -> Claim: ...
    def finish(self, delivery_id: str, status: str, reason: str | None = None) -> None: ...
    def outcome(self, delivery_id: str) -> tuple[str, str | None]: ...
    def release(self, delivery_id: str) -> None: ...


class Mailer(Protocol):
    def send(self, email: RenderedEmail) -> None: ...
