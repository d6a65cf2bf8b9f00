"""Serving a version's download, recorded before it is handed out, and reading the record."""

import re

from apkdrop.accounts import Caller
from apkdrop.apk.bundle import MEDIA_TYPES, FileType
from apkdrop.applications.models import Application, Version
from apkdrop.applications.queries import owned_app
from apkdrop.conversions.models import UniversalApk
from apkdrop.dependencies import Dependencies
from apkdrop.downloads.models import DownloadEvent, DownloadPage, DownloadView, Via
from apkdrop.errors import InvalidRequest, NotFound
from apkdrop.ids import new_opaque_id
from apkdrop.paging import TIME_CURSOR, PageRequest, TimeCursor, page_token
from apkdrop.ttls import DOWNLOAD_URL_TTL
from apkdrop.version_labels import label, parse_label

UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def signed_download(
    deps: Dependencies[object],
    app: Application,
    version: Version,
    visitor: str | None,
    via: Via,
    universal: bool = False,
    probe: bool = False,
) -> str | None:
    """The short-lived signed URL of the version's file (with `universal`, a bundle's universal
    APK when it is built), once its download is recorded.

    A download whose record cannot be written is refused (the adapter's 503): nothing is
    downloaded unrecorded. A `probe` (a HEAD), authorised by the caller as its download is, is
    no download: nothing is minted or recorded (None).
    """
    if probe:
        return None
    built = universal_apk(version) if universal else None
    file_type: FileType = "APK" if built else version.fileType
    url = deps.bucket.signed_get_url(
        built.objectName if built else version.objectName,
        DOWNLOAD_URL_TTL,
        download_name=download_name(app, version, file_type),
        media_type=MEDIA_TYPES[file_type],
    )
    deps.downloads.record(
        DownloadEvent(
            id=new_opaque_id(),
            appId=app.id,
            versionNumber=version.versionNumber,
            at=deps.clock(),
            visitor=visitor,
            via=via,
        )
    )
    return url


def api_download(
    deps: Dependencies[object],
    caller: Caller,
    app_id: str,
    version_label: str,
    probe: bool = False,
) -> str | None:
    """A version of the caller's own app, downloaded as the key's account (a `probe`: None).

    The owner is checked on the app `get_version` reads anyway; only a miss reads it again.
    """
    number = parse_label(version_label)
    found = None if number is None else deps.applications.get_version(app_id, number)
    if found is None or found[0].accountId != caller.id:
        owned_app(deps, caller, app_id)  # not found: the app (or another account's)
        raise NotFound(f"Application {app_id} has no version {version_label}")
    app, version = found
    return signed_download(deps, app, version, caller.email, Via.API, probe=probe)


def downloads_page(
    deps: Dependencies[object],
    caller: Caller,
    app_id: str,
    version_label: str | None,
    page: PageRequest[TimeCursor],
) -> DownloadPage:
    """The caller's app's downloads (of one version, if named), newest first.

    A version ever numbered lists its downloads (none yet is an empty list); a number the app
    never reached is not found.
    """
    app = owned_app(deps, caller, app_id)
    number = None if version_label is None else parse_label(version_label)
    if version_label is not None and number is None:
        raise InvalidRequest("version must be a version label such as 2.0")
    if number is not None and number >= app.next_version_number:  # deleted ones included
        raise NotFound(f"Application {app_id} has no version {version_label}")
    # One more than the page holds tells whether another page follows.
    events = deps.downloads.newest(app.id, number, page.limit + 1, page.after)
    shown = events[: page.limit]
    return DownloadPage(
        data=[
            DownloadView(version=label(e.versionNumber), at=e.at, visitor=e.visitor, via=e.via)
            for e in shown
        ],
        nextPageToken=page_token(TimeCursor(shown[-1].at, shown[-1].id), TIME_CURSOR)
        if len(events) > page.limit
        else None,
    )


def universal_apk(version: Version) -> UniversalApk | None:
    """A bundle version's stored universal APK; None for an APK, or before it is built."""
    return version.conversion.universalApk if version.conversion else None


def download_name(app: Application, version: Version, file_type: FileType | None = None) -> str:
    """`Label-1.2.3.apk` (`.aab` for a bundle), with anything unsafe in a file name replaced."""
    label_part = UNSAFE_FILE_CHARACTERS.sub("_", app.appLabel or "").strip("._-")
    version_name = UNSAFE_FILE_CHARACTERS.sub(
        "_", version.apkInfo.versionName or version.version
    ).strip("._-")
    stem = f"{label_part or app.packageName}-{version_name or version.version}"
    return stem.replace("..", "_")[:120] + "." + (file_type or version.fileType).lower()
