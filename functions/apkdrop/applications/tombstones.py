"""What is left of a deleted version or app: who deleted it, when, and what still has to go.

A tombstone keeps the number (or id) taken, so a deleted version's number is never given again
and its links answer 410. `pendingObjects` lists the bucket objects not yet deleted: a delete
writes the tombstone first, deletes them, then clears the list, so a retry can finish the job.
"""

from pydantic import BaseModel, Field

from apkdrop.applications.models import Version
from apkdrop.shared_models import Timestamp

DELETED_AT = "deletedAt"  # the field only a tombstone document has
DELETED_DURING_UPLOAD = (
    "The application was deleted while this upload ran: upload again to create a new app"
)


def is_tombstone(document: dict) -> bool:
    return DELETED_AT in document


class VersionTombstone(BaseModel):
    versionNumber: int
    deletedAt: Timestamp
    deletedBy: str  # the account's email, as the deleting key acted for it
    pendingObjects: list[str] = Field(default_factory=list)


class AppTombstone(BaseModel):
    id: str
    accountId: str
    deletedAt: Timestamp
    deletedBy: str
    # Every version's objects; its versions' documents become tombstones before this is cleared.
    pendingObjects: list[str] = Field(default_factory=list)


def objects_of(version: Version) -> list[str]:
    """The bucket objects a version's document names (a bundle's universal APK too)."""
    universal = version.conversion.universalApk if version.conversion else None
    return [
        version.objectName,
        *([version.iconObject] if version.iconObject else []),
        *([universal.objectName] if universal else []),
    ]
