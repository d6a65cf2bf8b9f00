"""Webhooks as registered, stored and listed; the events they receive; one delivery's record."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from apkdrop.channels import CHANNEL_PATTERN
from apkdrop.ids import OPAQUE_ID
from apkdrop.paging import Page, TimeCursor
from apkdrop.shared_models import Timestamp
from apkdrop.url_guard import MAX_URL_CHARS


class HookKind(StrEnum):
    JSON = "json"  # a signed POST of the event
    SLACK = "slack"  # a Slack incoming-webhook message (Block Kit)


class EventType(StrEnum):
    VERSION_CREATED = "version.created"
    VERSION_DELETED = "version.deleted"
    BUILD_FINISHED = "build.finished"
    BUILD_FAILED = "build.failed"


class HookRequest(BaseModel):
    """`POST /v1/webhooks`. `appId` and `channel` narrow what the hook receives; a hook
    with either receives no build events (builds belong to projects, not apps or channels)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL_CHARS)
    kind: HookKind
    events: list[EventType] = Field(min_length=1, max_length=len(EventType))
    appId: str | None = Field(default=None, pattern=OPAQUE_ID.pattern)
    channel: str | None = Field(default=None, pattern=f"^{CHANNEL_PATTERN.pattern}$")


class HookView(BaseModel):
    """A hook as `GET /v1/webhooks` lists it: never its secret."""

    id: str
    url: str
    kind: HookKind
    events: list[EventType]
    appId: str | None
    channel: str | None
    createdAt: Timestamp


class Hook(HookView):
    """As stored: in the account that registered it."""

    accountId: str

    def receives(self, event: EventType, app_id: str | None, channel: str | None) -> bool:
        """Whether an event about `app_id`'s `channel` (None for a build) goes to this hook;
        a narrowed hook never receives what it cannot tell is in its narrowing."""
        if event not in self.events:
            return False
        if self.appId is not None and app_id != self.appId:
            return False
        return self.channel is None or channel == self.channel


class HookCreated(HookView):
    secret: str = Field(description="shown only in this answer: it signs every delivery")


class HookCreatedAnswer(BaseModel):
    data: HookCreated


class HookList(BaseModel):
    data: list[HookView]


class Envelope(BaseModel):
    """What a json hook receives, and what every hook's task carries."""

    id: str = Field(pattern=OPAQUE_ID.pattern, description="the event's id, one per event")
    type: EventType
    createdAt: Timestamp
    data: dict[str, JsonValue]


class HookTask(BaseModel):
    """One event for one hook. `iconObject` lets a Slack message show the app's icon."""

    hookId: str = Field(pattern=OPAQUE_ID.pattern)
    event: Envelope
    iconObject: str | None = Field(default=None, max_length=1024)

    @property
    def delivery_id(self) -> str:
        """The task's name and the delivery record's id: one per (hook, event)."""
        return f"{self.hookId}-{self.event.id}"


class DeliveryState(StrEnum):
    SENDING = "sending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"  # for good: a 4xx, or a URL refused at delivery


class Delivery(BaseModel):
    """One (hook, event)'s attempts, as `GET /v1/webhooks/{id}/deliveries` lists them."""

    eventId: str
    eventType: EventType
    state: DeliveryState
    attempts: int
    statusCode: int | None = None
    lastError: str | None = None
    firstAttemptAt: Timestamp
    lastAttemptAt: Timestamp
    deliveredAt: Timestamp | None = None

    def cursor(self) -> TimeCursor:
        return TimeCursor(self.firstAttemptAt, self.eventId)


class DeliveryPage(Page[Delivery]):
    """`GET /v1/webhooks/{id}/deliveries`: newest first."""
