"""Requests, stored records and responses of the build-upload API."""

import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)

from apkdrop.apk.bundle import FileType
from apkdrop.apk.components import ComponentSizes, SizeComparison
from apkdrop.apk.insights import Insights
from apkdrop.apk.models import ApkInfo, PlayCheck
from apkdrop.retention.models import MAX_AGE_DAYS
from apkdrop.shared_models import Id, Timestamp, UploadSpec


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
FileName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f\x7f]+$"
    ),
]


class BuildType(StrEnum):
    APK = "APK"
    INSTRUMENTED_APK = "INSTRUMENTED_APK"


class UploadState(StrEnum):
    UPLOADING = "UPLOADING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    DELETED = "DELETED"


class BuildRegistration(BaseModel):
    """Body of `POST .../builds`."""

    model_config = ConfigDict(extra="forbid")

    contextId: Id
    buildType: Annotated[BuildType, BeforeValidator(_upper)]
    buildFileName: FileName
    name: Text | None = None
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    sourceControlId: Text | None = None
    sourceControlIsoTimestamp: Timestamp | None = None


class UploadContext(BaseModel):
    """A build-upload context: what one CI run uploads together."""

    id: int
    dateCreated: Timestamp


class Pairing(BaseModel):
    """How a context's instrumented build compares with its plain one (the newest FINISHED of
    each type). A mismatch is a warning, never a failure."""

    apkBuildId: int
    instrumentedBuildId: int
    samePackageName: bool
    sameVersion: bool
    """Same versionCode and versionName."""
    sameSigner: bool
    """Same signing certificate (signerSha256); false when either is unsigned."""
    warnings: list[str]
    """One line per mismatch; empty when the two builds match."""
    size: SizeComparison | None
    """Before: the APK; after: the INSTRUMENTED_APK. Null for builds stored before sizes were."""


class StoredContext(UploadContext):
    accountId: str
    projectName: str
    dateDeleted: Timestamp | None = None
    pairing: Pairing | None = None
    # Deleted by retention, some of its builds maybe not yet: the sweep finishes it.
    retentionPending: bool = False


class Build(BaseModel):
    """A build as clients see it."""

    id: int
    contextId: int
    buildType: BuildType
    buildFileName: str
    name: str | None = None
    description: str | None = None
    sourceControlId: str | None = None
    sourceControlIsoTimestamp: Timestamp | None = None
    uploadState: UploadState
    dateCreated: Timestamp
    dateSettled: Timestamp | None = None
    fileSize: int | None = None
    md5Hash: str | None = None
    crc32c: str | None = None
    apkInfo: ApkInfo | None = None
    checks: list[PlayCheck] = []
    """The Play-readiness checks of a FINISHED build; empty otherwise, and on builds stored
    before they existed."""
    insights: Insights | None = None
    """A FINISHED build against the same build type in the project's previous context (the
    newest earlier one with a FINISHED build of that type); null when there is none."""
    failureReason: str | None = None
    dateDeleted: Timestamp | None = None

    @computed_field
    @property
    def fileType(self) -> FileType | None:
        """``APK`` or ``AAB`` once inspected (apkInfo's); null before. ``buildType`` says the
        build's role, this what the file is."""
        return self.apkInfo.fileType if self.apkInfo else None


class StoredBuild(Build):
    """A build with the fields only the backend uses."""

    accountId: str
    projectName: str
    objectName: str
    objectGeneration: int | None = None
    componentSizes: ComponentSizes | None = None
    # A DELETED build's objects not yet confirmed gone: a retried DELETE deletes them.
    pendingObjects: list[str] = []

    def public(self) -> Build:
        return Build.model_validate(self.model_dump(include=set(Build.model_fields)))

    @property
    def settled_by_object(self) -> bool:
        """An object has already decided this build; later events for it change nothing."""
        return self.objectGeneration is not None


def tombstone(at: datetime.datetime, pending_objects: list[str]) -> dict:
    """The fields that make a build DELETED; its files are listed until they are gone."""
    return {
        "uploadState": UploadState.DELETED.value,
        "dateDeleted": at,
        "pendingObjects": pending_objects,
    }


class RegisteredBuild(BaseModel):
    uploadSpec: UploadSpec
    build: Build


class ContextWithBuilds(UploadContext):
    dateDeleted: Timestamp | None = None
    builds: list[Build]
    pairing: Pairing | None = None
    """Set once both an APK and an INSTRUMENTED_APK of the context have FINISHED."""


class ProjectRetention(BaseModel):
    """Body and answer of `PUT`/`GET /api/v1/projects/{projectName}/retention`; without
    maxAgeDays, contexts are kept forever."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    maxAgeDays: int | None = Field(default=None, ge=1, le=MAX_AGE_DAYS, strict=True)


class StoredProjectRetention(BaseModel):
    """A project's policy as the sweep reads it, with the email its audit entries name."""

    accountId: str
    projectName: str
    maxAgeDays: int
    ownerEmail: str
