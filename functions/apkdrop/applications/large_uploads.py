"""The large-file path: a signed PUT for a file too big for one request, published later."""

import datetime

from apkdrop.accounts import Account
from apkdrop.applications.models import LargeUpload
from apkdrop.applications.object_names import apk_object_name
from apkdrop.dependencies import Dependencies
from apkdrop.ids import new_opaque_id
from apkdrop.settings import ApplicationApiSettings
from apkdrop.shared_models import UploadSpec
from apkdrop.signed_uploads import upload_headers


def too_large_detail(limit: int) -> str:
    return (
        f"The file is larger than {limit} bytes, the most one request can carry: "
        "POST /v1/application/uploads for a signed upload URL, PUT the file there, "
        "then POST /v1/application with its uploadId"
    )


def create_large_upload(
    deps: Dependencies[ApplicationApiSettings], account: Account
) -> LargeUpload:
    """A signed URL for a file too large for one request, and the id that publishes it.

    The PUT goes where the version will keep the file, so publishing it copies nothing; the
    URL may only create that object, so it can never replace a published file. Never claimed,
    the record and its file are deleted by the retention sweep (abandoned_uploads.py).
    """
    settings = deps.settings
    upload_id = new_opaque_id()
    object_name = apk_object_name(account.id, upload_id)
    ttl = datetime.timedelta(seconds=settings.upload_url_ttl_seconds)
    headers = upload_headers(settings.max_upload_bytes)
    url = deps.bucket.signed_put_url(object_name, headers, ttl)
    now = deps.clock()
    deps.applications.create_large_upload(
        upload_id, _upload_record(account.id, object_name, now, now + ttl)
    )
    return LargeUpload(
        uploadId=upload_id,
        uploadSpec=UploadSpec(url=url, headers=headers),
        expiresInSeconds=settings.upload_url_ttl_seconds,
    )


def leave_to_sweep(
    deps: Dependencies[object], account_id: str, object_name: str, icon_object: str | None
) -> None:
    """Has the retention sweep delete `object_name` and its icon unless a live version keeps
    the APK, for files that may or may not be a committed version's: recorded as a large upload
    whose URL has just expired, under an id no client knows (abandoned_uploads.py)."""
    now = deps.clock()
    record = _upload_record(account_id, object_name, now, now)
    if icon_object:
        record["iconObject"] = icon_object
    deps.applications.create_large_upload(new_opaque_id(), record)


def _upload_record(
    account_id: str, object_name: str, created: datetime.datetime, url_expires: datetime.datetime
) -> dict:
    return {
        "accountId": account_id,
        "objectName": object_name,
        "dateCreated": created,
        "urlExpiresAt": url_expires,
        "claimed": False,
    }
