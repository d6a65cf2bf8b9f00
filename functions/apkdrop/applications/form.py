"""The fields of `POST /v1/application`: lenient where clients differ, strict where it matters."""

from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import is_email
from apkdrop.applications.models import Access, AccessType, VersionAction
from apkdrop.errors import InvalidRequest
from apkdrop.ids import OPAQUE_ID
from apkdrop.settings import Settings

MAX_RELEASE_NOTES_CHARS = 16_384
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}
# Fields read once: a second copy would be silently ignored. allowedUsers and
# notificationEmails are the repeatable ones.
SINGLE_VALUED = (
    "apkUrl",
    "uploadId",
    "accessType",
    "versionAction",
    "sendNotification",
    "releaseNotes",
    "appId",
)
Choice = TypeVar("Choice", bound=StrEnum)
Default = TypeVar("Default")


class UploadForm(BaseModel):
    apkUrl: str | None = None
    uploadId: str | None = None
    # None when omitted: the version then inherits the app's latest access (see versions.py).
    accessType: AccessType | None = None
    allowedUsers: list[str] = []
    versionAction: VersionAction = VersionAction.CREATE_NEW_VERSION
    sendNotification: bool = False
    notificationEmails: list[str] = []
    releaseNotes: str | None = None
    appId: str | None = None
    warnings: list[str] = []
    # Addresses were given for the notification, but none of them is valid.
    noValidNotificationEmail: bool = False


def read_upload_form(fields: MultiDict, has_file: bool, settings: Settings) -> UploadForm:
    """Validates every field; raises InvalidRequest naming what is wrong."""
    for name in SINGLE_VALUED:
        if len(fields.getlist(name)) > 1:
            raise InvalidRequest(f"{name} must be given at most once")
    apk_url = fields.get("apkUrl", "").strip() or None
    upload_id = fields.get("uploadId", "").strip() or None
    given = [has_file, apk_url is not None, upload_id is not None]
    if not any(given):
        raise InvalidRequest("Either file or apkUrl must be provided")
    if sum(given) > 1:
        raise InvalidRequest("Provide only one of file, apkUrl and uploadId")
    if upload_id is not None and not OPAQUE_ID.match(upload_id):
        raise InvalidRequest("uploadId is not one this API issued")

    access = _choice(fields, "accessType", AccessType, None)
    allowed = read_allowed_users(fields.getlist("allowedUsers"), settings)
    if access is None and allowed:
        access = AccessType.PRIVATE  # naming testers never leaves a version open to everyone
    if access is not None:
        access, allowed = checked_access(access, allowed)

    notify, invalid_notify = _emails(
        fields.getlist("notificationEmails"),
        "notificationEmails",
        settings.max_notification_recipients,
    )
    release_notes = fields.get("releaseNotes", "").strip() or None
    if release_notes and len(release_notes) > MAX_RELEASE_NOTES_CHARS:
        raise InvalidRequest(f"releaseNotes must be at most {MAX_RELEASE_NOTES_CHARS} characters")
    app_id = fields.get("appId", "").strip() or None
    if app_id is not None and not OPAQUE_ID.match(app_id):
        raise InvalidRequest("appId is not a valid application id")

    return UploadForm(
        apkUrl=apk_url,
        uploadId=upload_id,
        accessType=access,
        allowedUsers=allowed,
        versionAction=_choice(
            fields, "versionAction", VersionAction, VersionAction.CREATE_NEW_VERSION
        ),
        sendNotification=_boolean(fields, "sendNotification"),
        notificationEmails=notify,
        releaseNotes=release_notes,
        appId=app_id,
        warnings=[f"Ignored invalid notification email: {address!r}" for address in invalid_notify],
        noValidNotificationEmail=bool(invalid_notify) and not notify,
    )


def read_allowed_users(values: list[str], settings: Settings) -> list[str]:
    """allowedUsers as given (repeated or comma-separated): valid, distinct, within the cap."""
    allowed, invalid = _emails(values, "allowedUsers", settings.max_allowed_users)
    if invalid:
        raise InvalidRequest("Invalid email format in allowed users")
    return allowed


def checked_access(access: AccessType, allowed: list[str]) -> Access:
    """PRIVATE needs its testers; PUBLIC keeps none (anyone may open it)."""
    if access is AccessType.PRIVATE and not allowed:
        raise InvalidRequest("allowedUsers is required for PRIVATE applications")
    return access, allowed if access is AccessType.PRIVATE else []


def _choice(fields: MultiDict, name: str, kind: type[Choice], default: Default) -> Choice | Default:
    value = fields.get(name, "").strip().upper()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidRequest(f"{name} must be one of {allowed}") from exc


def _boolean(fields: MultiDict, name: str) -> bool:
    value = fields.get(name, "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InvalidRequest(f"{name} must be true or false")


def _emails(values: list[str], name: str, cap: int) -> tuple[list[str], list[str]]:
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
