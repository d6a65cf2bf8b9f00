"""Applications, their versions, and what the application upload API answers."""

import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, computed_field, field_validator

from apkdrop.apk.bundle import FileType
from apkdrop.apk.components import ComponentSizes
from apkdrop.apk.insights import Insights
from apkdrop.apk.models import ApkInfo, PlayCheck
from apkdrop.channels import DEFAULT_CHANNEL
from apkdrop.conversions.models import PENDING, Conversion, ConversionView
from apkdrop.notifications.models import Notification
from apkdrop.paging import Page, TimeCursor
from apkdrop.retention.models import RetentionPolicy
from apkdrop.shared_models import Timestamp, UploadSpec
from apkdrop.version_labels import label


class AccessType(StrEnum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


class HashState(StrEnum):
    """Whether apkdrop has computed a version's SHA-256 from its stored file yet."""

    COMPUTED = "COMPUTED"
    COMPUTING = "COMPUTING"
    FAILED = "FAILED"
    """The hash worker's queue gave up: it could not be computed, and never will be."""


class Awaited(StrEnum):
    """What a version may still wait for after its upload, by the field saying since when; the
    retention sweep queues again what waited too long (retention/stale_work.py)."""

    HASH = "hashWaitingSince"
    CONVERSION = "conversionWaitingSince"


class Hashing(BaseModel):
    """A large upload's SHA-256 while the hash worker has not recorded it (hashing.py)."""

    model_config = ConfigDict(frozen=True)

    unfinishedAttempt: PositiveInt | None = None
    """The hashes queue's attempt (1 the first) that is hashing it, or was killed doing so
    (out of memory, the function's timeout): one that fails for a retry takes it back."""
    failure: str | None = None
    """Why the queue gave up (sha256State FAILED)."""
    requeued: bool = False
    """The retention sweep queued the hash once more, its first task having gone without an
    answer (stale_work.py); the next time it goes stale, the sweep gives up."""


# The longest display name an owner may give an app.
MAX_APP_NAME_CHARS = 200
Access = tuple[AccessType, list[str]]  # a version's accessType and allowedUsers


class SignerPolicy(StrEnum):
    """What an upload signed by another key than the app's previous version meets."""

    WARN = "warn"
    """Stored, with a warning: testers must uninstall first."""
    REJECT = "reject"
    """Refused (409), nothing stored."""


class VersionAction(StrEnum):
    CREATE_NEW_VERSION = "CREATE_NEW_VERSION"
    CREATE_NEW_APP = "CREATE_NEW_APP"
    DO_NOTHING = "DO_NOTHING"


class PackageInfo(BaseModel):
    version_name: str | None
    version_code: int | None


class ApplicationMetaData(BaseModel):
    package_info: PackageInfo


class Version(BaseModel):
    """One uploaded APK of an application, numbered 1, 2, … and shown as "1.0", "2.0", …."""

    versionNumber: int
    application_meta_data: ApplicationMetaData
    apkInfo: ApkInfo
    # Play-readiness checks; versions stored before they existed have none.
    checks: list[PlayCheck] = Field(default_factory=list)
    size: int
    # None until the hash worker computed it from the stored object (hashing.py).
    sha256: str | None
    channel: str = DEFAULT_CHANNEL
    uploaderEmail: str
    uploadTime: Timestamp
    # Who may open this version. A document without it opens to the uploader only (fail closed).
    accessType: AccessType = AccessType.PRIVATE
    allowedUsers: list[str] = Field(default_factory=list)
    releaseNotes: str | None = None
    sendNotification: bool = False
    notificationEmails: list[str] = Field(default_factory=list)
    notification: Notification | None = None
    objectName: str
    # The generation of objectName published; None on versions stored before it was kept.
    objectGeneration: int | None = None
    iconObject: str | None = None
    # None on versions stored before sizes were; insights None for an app's first version.
    componentSizes: ComponentSizes | None = None
    insights: Insights | None = None
    # Counted by the download record (downloads/), one server-side increment per download:
    # change a version by updating fields, never by writing the whole document back.
    downloadCount: int = 0
    # Kept by every retention rule (it still counts toward keepLatest).
    pinned: bool = False
    # A bundle's universal APK (conversions/); None for an APK, and bundles stored before.
    conversion: Conversion | None = None
    # While sha256 is None: the hash worker's attempts (hashing.py); None before the first.
    hashing: Hashing | None = None
    # While the hash worker owes the version its SHA-256, or the converter its universal APK:
    # since when (its upload, or the sweep's requeue); None once done or given up (Awaited).
    hashWaitingSince: Timestamp | None = None
    conversionWaitingSince: Timestamp | None = None

    @property
    def version(self) -> str:
        return label(self.versionNumber)

    @computed_field
    @property
    def fileType(self) -> FileType:
        """``APK`` or ``AAB``: what inspection found (versions once stored ``"apk"`` here)."""
        return self.apkInfo.fileType

    @property
    def sha256State(self) -> HashState:
        if self.sha256 is not None:
            return HashState.COMPUTED
        failed = self.hashing is not None and self.hashing.failure is not None
        return HashState.FAILED if failed else HashState.COMPUTING


class NewVersion(BaseModel):
    """What an upload knows of the version it publishes; its number, and its access when the
    upload names none, come from the app it joins."""

    model_config = ConfigDict(frozen=True)

    appId: str | None  # the app asked for; None: per versionAction
    versionAction: VersionAction
    access: Access | None  # as the upload names it; None: inherited (see versions.py)
    apkInfo: ApkInfo
    checks: list[PlayCheck]
    componentSizes: ComponentSizes
    size: int
    sha256: str | None  # None: the hash worker computes it (hashing.py)
    objectName: str
    objectGeneration: int
    iconObject: str | None
    signerPolicy: SignerPolicy | None  # as the upload names it; None: the app's
    channel: str
    uploaderEmail: str
    uploadTime: datetime.datetime
    releaseNotes: str | None
    sendNotification: bool
    notificationEmails: list[str]
    notification: Notification | None

    @property
    def packageName(self) -> str:
        return self.apkInfo.packageName

    def access_or(self, inherited: Access) -> Access:
        """The access the upload names, else `inherited`: omitting it never widens anything."""
        return inherited if self.access is None else self.access

    def app_changes(self) -> dict:
        """What the version changes of its app's document: an upload may tighten the signer
        policy, never loosen it (see signer_policy.py)."""
        changes: dict = {"appLabel": self.apkInfo.appLabel}
        if self.signerPolicy is SignerPolicy.REJECT:
            changes["signerPolicy"] = SignerPolicy.REJECT.value
        return changes

    def as_version(self, number: int, access: Access, insights: Insights | None = None) -> Version:
        access_type, allowed_users = access
        info = self.apkInfo
        return Version(
            versionNumber=number,
            application_meta_data=ApplicationMetaData(
                package_info=PackageInfo(
                    version_name=info.versionName, version_code=info.versionCode
                )
            ),
            apkInfo=info,
            checks=self.checks,
            size=self.size,
            sha256=self.sha256,
            hashWaitingSince=self.uploadTime if self.sha256 is None else None,
            channel=self.channel,
            uploaderEmail=self.uploaderEmail,
            uploadTime=self.uploadTime,
            accessType=access_type,
            allowedUsers=allowed_users,
            releaseNotes=self.releaseNotes,
            sendNotification=self.sendNotification,
            notificationEmails=self.notificationEmails,
            notification=self.notification,
            objectName=self.objectName,
            objectGeneration=self.objectGeneration,
            iconObject=self.iconObject,
            componentSizes=self.componentSizes,
            insights=insights,
            # Published PENDING before its task exists, so the converter always finds it.
            conversion=PENDING if info.fileType == "AAB" else None,
            conversionWaitingSince=self.uploadTime if info.fileType == "AAB" else None,
        )


# The channels an app keeps and its answer lists: those most recently uploaded to (each one
# costs a query of its newest version).
MAX_CHANNELS_SHOWN = 20


class Application(BaseModel):
    """An app: one account's line of versions of a package.

    Access is each version's own: older app documents still hold an `accessType` and
    `allowedUsers`, which are ignored when read and grant nothing.
    """

    id: str
    accountId: str
    # The uploader may always open every version.
    ownerEmail: str | None = None
    packageName: str
    appLabel: str | None = None
    # The display name an owner gave it (PATCH); uploads never change it.
    name: str | None = None
    dateCreated: Timestamp
    # The newest remaining version; 0 once every version is deleted.
    latest_application_version: int
    # The highest number ever given, so a deleted number is never reused (None on documents from
    # before deletions, whose latest version is their highest).
    lastVersionNumber: int | None = None
    # When an owner last changed access; writing it makes a concurrent upload's commit retry.
    accessChangedAt: Timestamp | None = None
    signerPolicy: SignerPolicy = SignerPolicy.WARN
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    # The channels uploaded to, the most recent first, at most MAX_CHANNELS_SHOWN (each version
    # commit writes it). None on documents from before it until their next version commit
    # starts it: their newest version documents' channels are listed instead
    # (CHANNEL_SUMMARY_VERSIONS).
    channels: list[str] | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.appLabel or self.packageName

    @property
    def next_version_number(self) -> int:
        return max(self.lastVersionNumber or 0, self.latest_application_version) + 1

    def cursor(self) -> TimeCursor:
        return TimeCursor(self.dateCreated, self.id)

    def channel_change(self, channel: str, window: list[Version]) -> dict:
        """The document's change once a version of `channel` is stored: the channel moves to
        the front of `channels`, the least recent beyond MAX_CHANNELS_SHOWN drops off. A
        document without the list starts it from the channels of `window`, the remaining
        versions among its newest CHANNEL_SUMMARY_VERSIONS version documents, newest first:
        those it listed until then."""
        known = self.channels if self.channels is not None else [v.channel for v in window]
        others = [name for name in dict.fromkeys(known) if name != channel]
        return {"channels": [channel, *others][:MAX_CHANNELS_SHOWN]}


class UploadedApplication(BaseModel):
    """The `data` of a successful upload."""

    id: str
    magicLink: str
    versionedMagicLink: str
    accessType: str
    version: str
    channel: str
    channelMagicLink: str = Field(description="the install page of the channel's latest version")
    checks: list[PlayCheck]
    """The version's Play-readiness checks; each failed one is also a warning."""
    insights: Insights | None = Field(
        default=None,
        description="what changed since the app's previous version; null for a new app",
    )
    iconUrl: str | None = Field(
        default=None,
        description="the launcher icon, a signed URL valid for 7 days (CI summaries show it); "
        "null without an icon",
    )


class UploadAnswer(BaseModel):
    data: UploadedApplication
    warnings: list[str] = Field(default_factory=list)


class VersionView(BaseModel):
    version: str
    versionedMagicLink: str
    application_meta_data: ApplicationMetaData
    apkInfo: ApkInfo
    checks: list[PlayCheck]
    size: int
    sha256: str | None = Field(description="null while sha256State is COMPUTING, or FAILED")
    sha256State: HashState = Field(
        description="COMPUTED, COMPUTING until apkdrop has hashed the stored file, or FAILED: "
        "it could not be computed"
    )
    fileType: FileType
    channel: str
    uploaderEmail: str
    uploadTime: Timestamp
    accessType: str
    allowedUsers: list[str]
    releaseNotes: str | None
    sendNotification: bool
    notificationEmails: list[str]
    notification: Notification | None
    downloadCount: int
    pinned: bool = Field(description="kept by every retention rule")
    insights: Insights | None = Field(
        default=None, description="what changed since the previous version; null for the first"
    )
    conversion: ConversionView | None = Field(
        default=None,
        description="an App Bundle's universal APK (PENDING, DONE, FAILED or SKIPPED with a "
        "reason); null for an APK",
    )


class ApplicationView(BaseModel):
    id: str
    packageName: str
    appLabel: str | None
    name: str = Field(description="the display name: the owner's, else the APK's label")
    magicLink: str
    latestVersion: str | None = Field(description="null once every version is deleted")
    accessType: str = Field(description="the latest version's access")
    signerPolicy: SignerPolicy
    dateCreated: Timestamp


class ChannelView(BaseModel):
    channel: str
    latestVersion: str = Field(description="the channel's newest remaining version")
    channelMagicLink: str


# Where the channels of an app stored before apps named theirs are read from: its newest version
# documents (deleted ones included), so a channel older than those is not listed.
CHANNEL_SUMMARY_VERSIONS = 100


class ApplicationDetail(ApplicationView):
    channels: list[ChannelView] = Field(
        description=f"the {MAX_CHANNELS_SHOWN} channels most recently uploaded to that have a "
        "remaining version (an app stored before its channels were kept, until its next "
        f"upload: those with one among its newest {CHANNEL_SUMMARY_VERSIONS} version documents, "
        "a deleted version's included), by their newest version, the most recent first"
    )
    versions: list[VersionView]


class AccessChange(BaseModel):
    """`PATCH /v1/application/{id}/versions/{version}`: either field, or both.

    allowedUsers alone makes the version PRIVATE to them (as on upload); accessType alone keeps
    its allowedUsers (PRIVATE then needs some)."""

    model_config = ConfigDict(extra="forbid")

    accessType: AccessType | None = None
    allowedUsers: list[str] | None = Field(default=None, description="the whole new list")

    @field_validator("accessType", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class VersionChange(AccessChange):
    """`PATCH /v1/application/{id}/versions/{version}`: access, and whether it is pinned."""

    pinned: bool | None = Field(
        default=None, strict=True, description="kept by every retention rule"
    )


class ApplicationChange(AccessChange):
    """`PATCH /v1/application/{id}`: access applies to every remaining version at once, and
    so to what later uploads without accessType inherit."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_APP_NAME_CHARS)
    signerPolicy: SignerPolicy | None = None

    @field_validator("signerPolicy", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("name", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class ApplicationPage(Page[ApplicationView]):
    """`GET /v1/application`: a page of the account's apps, newest first."""


class ApplicationDetailAnswer(BaseModel):
    """The `{"data": ...}` answer of PATCH /v1/application/{appId}."""

    data: ApplicationDetail


class ApplicationDetailPage(BaseModel):
    """`GET /v1/application/{appId}`: the app with one page of its versions, newest first."""

    data: ApplicationDetail
    nextPageToken: str | None = Field(
        description="the next page's pageToken; null on the last page. A page may list fewer "
        "versions than its limit (a deleted version takes its place) and still have one"
    )


class VersionAnswer(BaseModel):
    """The `{"data": ...}` answer of PATCH /v1/application/{appId}/versions/{version}."""

    data: VersionView


class LargeUpload(BaseModel):
    """Where to PUT a file too large for one request, and the id that names it afterwards."""

    uploadId: str
    uploadSpec: UploadSpec
    expiresInSeconds: int
