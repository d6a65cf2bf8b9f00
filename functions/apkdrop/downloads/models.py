"""One download of a version, as stored and as `GET /v1/application/{id}/downloads` shows it."""

from enum import StrEnum

from pydantic import BaseModel

from apkdrop.paging import Page
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


class DownloadView(BaseModel):
    version: str
    at: Timestamp
    visitor: str | None
    via: Via


class DownloadPage(Page[DownloadView]):
    """`GET /v1/application/{id}/downloads`: a page of the app's downloads, newest first."""
