"""One download of a version, as stored and as `GET /v1/application/{id}/downloads` shows it."""

import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel

from apkdrop.shared_models import Timestamp


class Via(StrEnum):
    PAGE = "page"  # the install page's /app/{id}/download
    API = "api"  # GET /v1/application/{id}/versions/{version}/download


class DownloadEvent(BaseModel):
    """Recorded when the download's redirect to its signed URL is answered (the bytes come
    straight from the bucket: nothing sees them)."""

    id: str
    appId: str
    versionNumber: int
    at: Timestamp
    visitor: str | None  # the signed-in email (the page) or the key's account (the API)
    via: Via


class DownloadCursor(NamedTuple):
    """Where a page of an app's downloads, newest first, resumes: after this event."""

    at: datetime.datetime
    id: str


class DownloadView(BaseModel):
    version: str
    at: Timestamp
    visitor: str | None
    via: Via


class DownloadPage(BaseModel):
    data: list[DownloadView]
    nextPageToken: str | None
