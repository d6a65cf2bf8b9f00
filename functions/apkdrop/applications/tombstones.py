"""What is left of a deleted version or app: who deleted it, when, and what still has to go.

A tombstone keeps the number (or id) taken, so a deleted version's number is never given again
and its links answer 410. `pendingObjects` lists the bucket objects not yet deleted: a delete
writes the tombstone first, deletes them, then clears the list, so a retry can finish the job.
`pendingSince` is set while the list is not empty, so the retention sweep can find (by one
indexed field) and finish a deletion whose request stopped halfway and was never repeated.
"""

from pydantic import BaseModel, Field

from apkdrop.applications.models import Version
from apkdrop.conversions.models import universal_object_name
from apkdrop.shared_models import Timestamp

DELETED_AT = "deletedAt"  # the field only a tombstone document has
PENDING_SINCE = "pendingSince"
# What a tombstone becomes once its objects are gone.
FINISHED = {"pendingObjects": [], PENDING_SINCE: None}
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
    pendingSince: Timestamp | None = None


class AppTombstone(BaseModel):
    id: str
    accountId: str
    deletedAt: Timestamp
    deletedBy: str
    # Every version's objects; its versions' documents become tombstones before this is cleared.
    pendingObjects: list[str] = Field(default_factory=list)
    pendingSince: Timestamp | None = None


def objects_of(version: Version) -> list[str]:
    """The bucket objects a version's document names, and a bundle's universal APK whether or
    not it is recorded yet (one stored by an attempt that failed to record it would otherwise
    outlive the version; deleting what is not there is not an error)."""
    return [
        version.objectName,
        *([version.iconObject] if version.iconObject else []),
        *([universal_object_name(version.objectName)] if version.conversion else []),
    ]
