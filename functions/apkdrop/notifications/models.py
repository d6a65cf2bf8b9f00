"""What a notification task carries, what the worker renders, and the status an app shows."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Discriminator, Field, PositiveInt, RootModel, Tag

from apkdrop.accounts import MAX_EMAIL_CHARS
from apkdrop.channels import CHANNEL_PATTERN
from apkdrop.ids import REQUEST_ID
from apkdrop.shared_models import Timestamp


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
    """An email task announcing one uploaded version."""

    kind: Literal["upload"] = "upload"
    appId: str = Field(min_length=1, max_length=64)
    version: PositiveInt

    @property
    def delivery_id(self) -> str:
        """One id per version: the task's name and the worker's once-only marker."""
        return f"upload-{self.appId}-{self.version}"


class SignInEmailTask(BaseModel):
    """A sign-in request for a version of an app. It carries no secret: the worker decides
    whether the address may have a link, and mints the token."""

    kind: Literal["sign-in"] = "sign-in"
    requestId: str = Field(pattern=f"^{REQUEST_ID}$")
    email: str = Field(min_length=3, max_length=MAX_EMAIL_CHARS)
    appId: str = Field(min_length=1, max_length=64)
    version: PositiveInt | None = None  # None: the latest (of `channel`, when given)
    channel: str | None = Field(default=None, pattern=f"^{CHANNEL_PATTERN.pattern}$")

    @property
    def delivery_id(self) -> str:
        return f"sign-in-{self.requestId}"


def _task_kind(value: object) -> str:
    """Tasks queued before sign-in emails existed carry no kind: they announce uploads."""
    if isinstance(value, dict):
        return value.get("kind", "upload")
    return getattr(value, "kind", "upload")


EmailTask = Annotated[
    Annotated[UploadNotificationTask, Tag("upload")] | Annotated[SignInEmailTask, Tag("sign-in")],
    Discriminator(_task_kind),
]


class EmailTaskBody(RootModel[EmailTask]):
    """The body of any email task."""


class RenderedEmail(BaseModel):
    to: list[str]
    subject: str
    html: str
    text: str
