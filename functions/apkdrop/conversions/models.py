"""A bundle version's conversion to a universal APK, as its version records it."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, PositiveInt


class ConversionState(StrEnum):
    PENDING = "PENDING"
    """Queued: the converter has not finished it yet."""
    DONE = "DONE"
    """universalApk is stored."""
    FAILED = "FAILED"
    """bundletool or the check of its APK failed (reason)."""
    SKIPPED = "SKIPPED"
    """Not converted by design: no keystore, or over a limit (reason)."""


class UniversalApkView(BaseModel):
    """The universal APK as the API and webhooks show it: not where it is stored."""

    model_config = ConfigDict(frozen=True)

    size: int
    sha256: str
    signerSha256: str
    """The distribution key's fingerprint (the form ApkSigning.signerSha256 uses)."""


class UniversalApk(UniversalApkView):
    """The stored universal APK: what the install page's Download button serves."""

    objectName: str


class ConversionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: ConversionState
    reason: str | None = None
    """Why it FAILED or was SKIPPED; null otherwise."""
    universalApk: UniversalApkView | None = None
    """Set when DONE."""


class Conversion(BaseModel):
    """As the version records it: ConversionView with where its universal APK is stored."""

    model_config = ConfigDict(frozen=True)

    state: ConversionState
    reason: str | None = None
    universalApk: UniversalApk | None = None
    unfinishedAttempt: PositiveInt | None = None
    """PENDING: the queue's attempt (1 the first) that is converting, or was killed doing so
    (out of memory, the function's timeout): one that fails for a retry takes it back."""
    requeued: bool = False
    """PENDING: the retention sweep queued it once more, its first task having gone without
    an answer (stale_work.py); the next time it goes stale, the sweep gives up."""


PENDING = Conversion(state=ConversionState.PENDING)


class ConversionTask(BaseModel):
    """One version's bundle to convert, by its object's generation (a replaced file is not)."""

    appId: str
    versionNumber: PositiveInt
    generation: PositiveInt
    objectName: str | None = None
    """The bundle's object: where its universal APK goes, so a task whose version is gone can
    still delete one it stored. None in a task queued before tasks named it."""

    @property
    def task_id(self) -> str:
        return f"universal-apk-{self.appId}-{self.versionNumber}"


def universal_object_name(bundle_object: str) -> str:
    """Beside the bundle: `applications/<account>/<key>-universal.apk`."""
    return f"{bundle_object.removesuffix('.apk')}-universal.apk"
