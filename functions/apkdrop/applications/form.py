"""The fields of `POST /v1/application`: lenient where clients differ, strict where it matters.

`read_upload_form` validates the multipart fields into an `UploadForm`: the model reads the
form's shape (fields given once, exactly one source), then each field's validator its value.
"""

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import is_email
from apkdrop.applications.models import Access, AccessType, SignerPolicy, VersionAction
from apkdrop.channels import CHANNEL_RULE, DEFAULT_CHANNEL, is_channel
from apkdrop.errors import InvalidRequest
from apkdrop.ids import OPAQUE_ID
from apkdrop.settings import ApplicationUploadSettings

MAX_RELEASE_NOTES_CHARS = 16_384
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}
# Fields read once: a second copy would be silently ignored.
SINGLE_VALUED = (
    "apkUrl",
    "uploadId",
    "accessType",
    "versionAction",
    "sendNotification",
    "releaseNotes",
    "appId",
    "signerPolicy",
    "channel",
)
# Repeated fields or comma-separated lists (or both).
REPEATABLE = ("allowedUsers", "notificationEmails")
Choice = TypeVar("Choice", bound=StrEnum)


@dataclass(frozen=True)
class FormContext:
    """What validation needs beyond the fields: whether a file came, and the address caps."""

    has_file: bool
    max_allowed_users: int
    max_notification_recipients: int


def refusal(detail: str) -> PydanticCustomError:
    """A validation error whose message is `detail`, as the client sees it."""
    # As a value, not the template: an address quoted in it is never read as a placeholder.
    return PydanticCustomError("upload_form", "{detail}", {"detail": detail})


def _opaque_id(detail: str) -> AfterValidator:
    def check(value: str | None) -> str | None:
        if value is not None and not OPAQUE_ID.fullmatch(value):
            raise refusal(detail)
        return value

    return AfterValidator(check)


def _choice(name: str, kind: type[Choice]) -> BeforeValidator:
    """Any case of a member's value."""
    members = {member.value.lower(): member for member in kind}

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value  # a member already, or for the type check to refuse
        if (member := members.get(value.lower())) is None:
            allowed = ", ".join(member.value for member in kind)
            raise refusal(f"{name} must be one of {allowed}")
        return member

    return BeforeValidator(parse)


def _boolean(value: object) -> object:
    if not isinstance(value, str):
        return value
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise refusal("sendNotification must be true or false")


def _release_notes(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_RELEASE_NOTES_CHARS:
        raise refusal(f"releaseNotes must be at most {MAX_RELEASE_NOTES_CHARS} characters")
    return value


def _channel(value: str) -> str:
    if not is_channel(value):
        raise refusal(CHANNEL_RULE)
    return value


class Recipients(BaseModel):
    """The notificationEmails field: its addresses, and what was no address (a warning each)."""

    valid: list[str] = Field(default_factory=list)
    ignored: list[str] = Field(default_factory=list)


class UploadForm(BaseModel):
    """The validated fields. Of several faults the first in this order is reported."""

    apkUrl: str | None = None
    uploadId: Annotated[str | None, _opaque_id("uploadId is not one this API issued")] = None
    # None when omitted: the version then inherits the app's latest access (see versions.py).
    accessType: Annotated[AccessType | None, _choice("accessType", AccessType)] = None
    allowedUsers: list[str] = Field(default_factory=list)
    notifications: Recipients = Field(default_factory=Recipients)
    releaseNotes: Annotated[str | None, AfterValidator(_release_notes)] = None
    appId: Annotated[str | None, _opaque_id("appId is not a valid application id")] = None
    versionAction: Annotated[VersionAction, _choice("versionAction", VersionAction)] = (
        VersionAction.CREATE_NEW_VERSION
    )
    sendNotification: Annotated[bool, BeforeValidator(_boolean)] = False
    # None when omitted: the app's policy holds (an upload only tightens it, signer_policy.py).
    signerPolicy: Annotated[SignerPolicy | None, _choice("signerPolicy", SignerPolicy)] = None
    channel: Annotated[str, AfterValidator(_channel)] = DEFAULT_CHANNEL

    @property
    def notificationEmails(self) -> list[str]:
        return self.notifications.valid

    @property
    def warnings(self) -> list[str]:
        return [
            f"Ignored invalid notification email: {address!r}"
            for address in self.notifications.ignored
        ]

    @property
    def noValidNotificationEmail(self) -> bool:
        """Addresses were given for the notification, but none of them is valid."""
        return bool(self.notifications.ignored) and not self.notifications.valid

    @model_validator(mode="before")
    @classmethod
    def _read_fields(cls, data: Any, info: ValidationInfo) -> Any:
        """The multipart fields as the model's: each stripped, blanks omitted."""
        if not isinstance(data, MultiDict):
            return data
        for name in SINGLE_VALUED:
            if len(data.getlist(name)) > 1:
                raise refusal(f"{name} must be given at most once")
        given = {name: value for name in SINGLE_VALUED if (value := data.get(name, "").strip())}
        sources = [_context(info).has_file, "apkUrl" in given, "uploadId" in given]
        if not any(sources):
            raise refusal("Either file or apkUrl must be provided")
        if sum(sources) > 1:
            raise refusal("Provide only one of file, apkUrl and uploadId")
        # Always present, even empty: a PRIVATE version is refused without allowedUsers.
        return {
            **given,
            "allowedUsers": data.getlist("allowedUsers"),
            "notifications": data.getlist("notificationEmails"),
        }

    @field_validator("allowedUsers", mode="before")
    @classmethod
    def _allowed_users(cls, values: list[str], info: ValidationInfo) -> list[str]:
        with _refused():
            allowed = read_allowed_users(values, _context(info).max_allowed_users)
            if info.data.get("accessType") is AccessType.PRIVATE:
                checked_access(AccessType.PRIVATE, allowed)
        return allowed

    @field_validator("notifications", mode="before")
    @classmethod
    def _notifications(cls, values: list[str] | Recipients, info: ValidationInfo) -> Recipients:
        if isinstance(values, Recipients):
            return values
        cap = _context(info).max_notification_recipients
        with _refused():
            valid, invalid = _emails(values, "notificationEmails", cap)
        return Recipients(valid=valid, ignored=invalid)

    @model_validator(mode="after")
    def _access(self) -> "UploadForm":
        if self.accessType is None and self.allowedUsers:
            self.accessType = AccessType.PRIVATE  # naming testers never opens it to everyone
        if self.accessType is not AccessType.PRIVATE:
            self.allowedUsers = []
        return self


def read_upload_form(
    fields: MultiDict, has_file: bool, settings: ApplicationUploadSettings
) -> UploadForm:
    """Validates every field; raises InvalidRequest naming what is wrong."""
    context = FormContext(
        has_file, settings.max_allowed_users, settings.max_notification_recipients
    )
    try:
        return UploadForm.model_validate(fields, context=context)
    except ValidationError as exc:
        raise InvalidRequest(exc.errors(include_url=False)[0]["msg"]) from exc


def read_allowed_users(values: Iterable[str], cap: int) -> list[str]:
    """allowedUsers as given (repeated or comma-separated): valid, distinct, within the cap.
    The upload form's rule, and an access change's."""
    allowed, invalid = _emails(values, "allowedUsers", cap)
    if invalid:
        raise InvalidRequest("Invalid email format in allowed users")
    return allowed


def checked_access(access: AccessType, allowed: list[str]) -> Access:
    """PRIVATE needs its testers; PUBLIC keeps none (anyone may open it)."""
    if access is AccessType.PRIVATE and not allowed:
        raise InvalidRequest("allowedUsers is required for PRIVATE applications")
    return access, allowed if access is AccessType.PRIVATE else []


@contextlib.contextmanager
def _refused() -> Iterator[None]:
    """A rule's InvalidRequest as the form's validation error, with the same detail."""
    try:
        yield
    except InvalidRequest as exc:
        raise refusal(exc.detail) from None


def _context(info: ValidationInfo) -> FormContext:
    if not isinstance(info.context, FormContext):
        raise TypeError("an UploadForm is read from a request by read_upload_form")
    return info.context


def _emails(values: Iterable[str], name: str, cap: int) -> tuple[list[str], list[str]]:
    """Repeated fields or comma-separated lists, empties and duplicates dropped: (valid, invalid).

    Linear in the input, and it stops at the first address beyond `cap` distinct ones.
    """
    seen: set[str] = set()
    # Dicts as ordered sets: the first spelling of each address, in the order given.
    valid: dict[str, None] = {}
    invalid: dict[str, None] = {}
    for address in _parts(values):
        if address in seen:
            continue
        seen.add(address)
        if is_email(address):
            valid[address.lower()] = None
        else:
            invalid[address] = None
        if len(valid) + len(invalid) > cap:
            raise InvalidRequest(f"{name} may list at most {cap} addresses")
    return list(valid), list(invalid)


def _parts(values: Iterable[str]) -> Iterator[str]:
    for value in values:
        for part in value.split(","):
            if address := part.strip():
                yield address
