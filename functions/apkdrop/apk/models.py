"""What inspection reports: ApkInfo is stored on the build and returned by the API as apkInfo."""

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from apkdrop.apk.bundle import FileType
from apkdrop.apk.components import ComponentSizes

IconMediaType = Literal["image/png", "image/webp"]
SigningScheme = Literal["v1", "v2", "v3", "v3.1"]
CheckId = Literal["page_size_16kb", "target_sdk", "target_sdk_declared", "debuggable", "signing"]
CheckStatus = Literal["pass", "warn", "fail"]


class ApkIcon(BaseModel):
    """Where the launcher icon is in the APK. Its bytes are not here (see ApkInspection)."""

    model_config = ConfigDict(frozen=True)

    path: str
    """The entry, e.g. ``res/mipmap-xxxhdpi-v4/ic_launcher.png``."""
    mediaType: IconMediaType
    density: int | None
    """Dots per inch of the file's configuration (160 mdpi ... 640 xxxhdpi); null without one."""
    size: int
    """Bytes of the file."""


class ApkSigning(BaseModel):
    """Which signature schemes the APK carries, and who signed it (not verified)."""

    model_config = ConfigDict(frozen=True)

    schemes: list[SigningScheme]
    """Oldest first; empty for an unsigned APK."""
    signerSha256: str | None
    """SHA-256 of the signer's DER certificate as uppercase hex pairs joined by colons, the form
    keytool, Gradle's signingReport and the Play Console print. From the newest scheme present
    (v3.1, v3, v2, then v1); null when unsigned."""


class ApkInfo(BaseModel):
    """What an APK says about itself, named as the API reports it; absent values are null.

    Builds stored before a field existed read back with its default.
    """

    model_config = ConfigDict(frozen=True)

    fileType: FileType = "APK"
    """``AAB`` for an Android App Bundle; builds stored before bundles were accepted are APKs."""
    packageName: str
    versionName: str | None
    versionCode: int | None
    minSdkVersion: int | None
    targetSdkVersion: int | None
    hasInstrumentation: bool
    instrumentationTargetPackage: str | None = None
    """The package an instrumentation (test) APK runs against."""
    debuggable: bool = False
    permissions: list[str] = []
    """Requested permissions (uses-permission and uses-permission-sdk-23), in manifest order."""
    nativeAbis: list[str] = []
    """ABIs with native libraries under lib/, e.g. ``arm64-v8a``; empty for pure JVM apps."""
    appLabel: str | None = None
    """The application label, from resources.arsc when the manifest refers to a resource."""
    icon: ApkIcon | None = None
    signing: ApkSigning | None = None
    """Always set by inspection; null only on builds stored before it was reported."""

    @property
    def signer(self) -> str | None:
        """The signer's fingerprint (ApkSigning.signerSha256); None when unsigned or unknown."""
        return self.signing.signerSha256 if self.signing else None


class PlayCheck(BaseModel):
    """One Play-readiness check: ``fail`` is what Google Play rejects, ``warn`` what could not
    be told for sure, ``pass`` the rest; ``reason`` is one line for people."""

    model_config = ConfigDict(frozen=True)

    id: CheckId
    status: CheckStatus
    reason: str


@dataclass(frozen=True)
class ApkInspection:
    """The result of inspect_apk: the info to store, the launcher icon's bytes if any, the
    entries' sizes by component (from the central directory) and the Play-readiness checks
    (empty when they were not asked for)."""

    info: ApkInfo
    icon: bytes | None
    components: ComponentSizes
    checks: list[PlayCheck] = field(default_factory=list)
