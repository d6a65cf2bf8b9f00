"""Types more than one feature uses: timestamps and ids as the APIs show them, a direct-to-bucket
upload, and the stored object it leaves."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from apkdrop.ids import parse_id
from apkdrop.timeutil import iso_millis


def _positive_int(value: Any) -> Any:
    """Accepts 28 or "28" (clients send either), never true/false or 28.5."""
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    if isinstance(value, str):
        return parse_id(value) or value  # a string that is no id fails the int check
    return value


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # year 1 at +05:00, say
        raise ValueError("is out of range") from exc


# Stored as native timestamps; shown as `2024-03-07T16:55:49.168Z`.
Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_utc),
    PlainSerializer(iso_millis, return_type=str, when_used="json"),
]


Id = Annotated[int, BeforeValidator(_positive_int), Field(gt=0, strict=True)]


class UploadSpec(BaseModel):
    method: str = "PUT"
    url: str
    headers: dict[str, str]


class StorageObject(BaseModel):
    """The object resource a storage-finalize event carries (only what we use)."""

    model_config = ConfigDict(extra="ignore")

    bucket: str
    name: str
    generation: Annotated[int, BeforeValidator(_positive_int)]
    size: Annotated[int, BeforeValidator(_positive_int), Field(ge=0)] = 0
    md5Hash: str | None = None
    crc32c: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    timeCreated: datetime | None = None
