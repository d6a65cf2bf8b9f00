"""What changed from one APK to the next: sizes, permissions, SDK levels, ABIs, versionCode and
signer. Versions compare with the app's previous version, builds with the same build type in the
project's previous context; both come here with what they stored of each APK.
"""

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from apkdrop.apk.components import (
    ComponentSizes,
    SizeChange,
    SizeComparison,
    compare_sizes,
    size_change,
)
from apkdrop.apk.models import ApkInfo
from apkdrop.apk.permissions import is_dangerous
from apkdrop.byte_sizes import signed_size


class ComparedToVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    """The app's version compared with, e.g. ``"2.0"``."""
    channel: str | None = None
    """Its channel: the upload's own, or another one's for a channel's first version (which
    compares with the app's latest). Null in insights stored before it was recorded."""


class ComparedToBuild(BaseModel):
    model_config = ConfigDict(frozen=True)

    contextId: int
    buildId: int


class SizeInsight(SizeComparison):
    """Each component's change (see SizeComparison), and the file's own."""

    file: SizeChange
    """The APK file's bytes: what testers download."""


class Permission(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    dangerous: bool
    """A runtime permission (apk/permissions.py): the user is asked for it."""


class PermissionChanges(BaseModel):
    model_config = ConfigDict(frozen=True)

    added: list[Permission]
    removed: list[Permission]


class LevelChange(BaseModel):
    """An API level before and after; null where the manifest does not declare it."""

    model_config = ConfigDict(frozen=True)

    before: int | None
    after: int | None
    changed: bool


class SdkChanges(BaseModel):
    model_config = ConfigDict(frozen=True)

    minSdkVersion: LevelChange
    targetSdkVersion: LevelChange


class AbiChanges(BaseModel):
    model_config = ConfigDict(frozen=True)

    added: list[str]
    removed: list[str]


class VersionCodeChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    before: int | None
    after: int | None
    increased: bool | None
    """False: testers cannot install it over the earlier one. Null when either has none."""


class SignerChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    changed: bool
    """True: every tester must uninstall the earlier one first."""
    before: str | None
    """SHA-256 fingerprint of the earlier signer (ApkSigning.signerSha256); null if unsigned."""
    after: str | None


class Insights(BaseModel):
    """How an APK differs from the one it is compared with."""

    model_config = ConfigDict(frozen=True)

    comparedTo: ComparedToVersion | ComparedToBuild
    size: SizeInsight | None
    """Null when the earlier one was stored before component sizes were."""
    permissions: PermissionChanges
    sdk: SdkChanges
    abis: AbiChanges
    versionCode: VersionCodeChange
    signer: SignerChange
    warnings: list[str]
    """The changes that stop testers installing it as an update, one line each."""

    @property
    def since(self) -> str:
        """What it is compared with, as a phrase: "2.0", "build 14 (context 3)"."""
        compared = self.comparedTo
        if isinstance(compared, ComparedToVersion):
            return compared.version
        return f"build {compared.buildId} (context {compared.contextId})"

    @property
    def size_line(self) -> str | None:
        """The file's size change, e.g. "+1.3 MB since 2.0"; None without sizes."""
        if self.size is None:
            return None
        return f"{signed_size(self.size.file.delta)} since {self.since}"


@dataclass(frozen=True)
class StoredApk:
    """What a version or a build keeps of its APK."""

    info: ApkInfo
    file_size: int
    components: ComponentSizes | None


def compare_apks(
    compared_to: ComparedToVersion | ComparedToBuild, before: StoredApk, after: StoredApk
) -> Insights:
    old, new = before.info, after.info
    signer = SignerChange(before=old.signer, after=new.signer, changed=old.signer != new.signer)
    code = VersionCodeChange(
        before=old.versionCode,
        after=new.versionCode,
        increased=None
        if old.versionCode is None or new.versionCode is None
        else new.versionCode > old.versionCode,
    )
    insights = Insights(
        comparedTo=compared_to,
        size=_size(before, after),
        permissions=PermissionChanges(
            added=_permissions(new.permissions, old.permissions),
            removed=_permissions(old.permissions, new.permissions),
        ),
        sdk=SdkChanges(
            minSdkVersion=_level(old.minSdkVersion, new.minSdkVersion),
            targetSdkVersion=_level(old.targetSdkVersion, new.targetSdkVersion),
        ),
        abis=AbiChanges(
            added=[abi for abi in new.nativeAbis if abi not in old.nativeAbis],
            removed=[abi for abi in old.nativeAbis if abi not in new.nativeAbis],
        ),
        versionCode=code,
        signer=signer,
        warnings=[],
    )
    return insights.model_copy(update={"warnings": _warnings(insights)})


def signer_changed_warning(insights: Insights) -> str:
    signer = insights.signer
    return (
        f"The signer changed since {insights.since} ({signer.before or 'unsigned'} -> "
        f"{signer.after or 'unsigned'}): testers must uninstall it before installing this one"
    )


def _warnings(insights: Insights) -> list[str]:
    warnings = []
    if insights.signer.changed:
        warnings.append(signer_changed_warning(insights))
    code = insights.versionCode
    if code.increased is False:
        warnings.append(
            f"versionCode {code.after} is not higher than {code.before} of {insights.since}: "
            "testers cannot install it as an update"
        )
    return warnings


def _size(before: StoredApk, after: StoredApk) -> SizeInsight | None:
    if before.components is None or after.components is None:
        return None
    file = size_change(before.file_size, after.file_size)
    components = compare_sizes(before.components, after.components)
    return SizeInsight(**dict(components), file=file)


def _permissions(these: list[str], minus: list[str]) -> list[Permission]:
    """`these` not in `minus`, each once, in manifest order."""
    return [
        Permission(name=name, dangerous=is_dangerous(name))
        for name in dict.fromkeys(these)
        if name not in minus
    ]


def _level(before: int | None, after: int | None) -> LevelChange:
    return LevelChange(before=before, after=after, changed=before != after)
