"""What a notification task carries, what the worker renders, and the status an app shows."""

import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, PositiveInt

from apkdrop.builds.models import Timestamp


class NotificationState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class Notification(BaseModel):
    """A version's notification, as `GET /v1/application/{id}` shows it."""

    status: NotificationState
    recipients: list[str]
    queuedAt: Timestamp
    sentAt: Timestamp | None = None
    failedAt: Timestamp | None = None
    failureReason: str | None = None


class UploadNotificationTask(BaseModel):
    """The body of an email task: which version to announce."""

    appId: str = Field(min_length=1, max_length=64)
    version: PositiveInt

    @property
    def delivery_id(self) -> str:
        """One id per version: the task's name and the worker's once-only marker."""
        return f"upload-{self.appId}-{self.version}"


class RenderedEmail(BaseModel):
    to: list[str]
    subject: str
    html: str
    text: str


class DeliveryClaim(BaseModel):
    """The worker's marker for one delivery; `sending` holds a lease against duplicates."""

    status: str
    leaseUntil: datetime.datetime | None = None
