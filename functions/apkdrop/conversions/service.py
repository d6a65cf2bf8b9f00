"""The bundle converter: a bundle version's universal APK, built once, checked and stored.

The version is published PENDING; the task converts only a version still PENDING on the same
object generation, and records DONE (with the stored APK), FAILED or SKIPPED with a reason in
one transaction that again requires PENDING: a redelivered task finds the outcome and does
nothing; one that finds the APK an interrupted attempt stored checks and records it instead of
building it again; and an APK stored for a version deleted meanwhile is deleted again, by the
attempt that stored it or, if that one could not record its outcome, by the next. Cloud
Storage or Firestore failures raise BackendUnavailable (the task is retried, but on the queue's
last attempt: attempts.py).
"""

import contextlib
import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

from apkdrop.apk_inspection import ApkError, inspect_apk
from apkdrop.applications.models import Version
from apkdrop.byte_sizes import human_size
from apkdrop.conversions.bundletool import (
    UNIVERSAL_ENTRY,
    ConversionFailed,
    TooLarge,
    build_universal_apk,
)
from apkdrop.conversions.keystore import DistributionKeystore, read_keystore
from apkdrop.conversions.models import (
    Conversion,
    ConversionState,
    ConversionTask,
    UniversalApk,
    universal_object_name,
)
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, PayloadTooLarge
from apkdrop.settings import BundleConverterSettings
from apkdrop.shared_models import StorageObject

NO_KEYSTORE = "no distribution keystore configured"
COPY_CHUNK_BYTES = 8 * 1024**2


def waiting_version(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask
) -> Version | str:
    """The task's version if it still waits for this conversion, else what happened to it (a
    version gone or replaced loses the universal APK this task may have stored for it)."""
    found = deps.applications.get_version(task.appId, task.versionNumber)
    version = found[1] if found else None
    if version is None or version.objectGeneration != task.generation:
        _delete_orphan(deps, task, version)
        return "gone" if version is None else "replaced"
    if version.conversion is None or version.conversion.state is not ConversionState.PENDING:
        return "known"  # converted, failed or skipped already: never twice
    return version


def convert(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask, version: Version
) -> str:
    """Converts the waiting version's bundle and records the outcome; returns what happened."""
    outcome = _outcome(deps, version)
    try:
        recorded = record(deps, task, outcome)
    except BackendUnavailable:
        if outcome.universalApk is not None:
            # The record may have landed (the APK stays) or the version gone meanwhile (no
            # retry may come to delete it): waiting_version tells them apart.
            with contextlib.suppress(BackendUnavailable):
                waiting_version(deps, task)
        raise
    if not recorded and outcome.universalApk is not None:
        _delete_unless_recorded(deps, task, outcome.universalApk.objectName)
    return outcome.state.lower() if recorded else "changed"


def universal_apk_stored(deps: Dependencies[BundleConverterSettings], version: Version) -> bool:
    """Whether an earlier attempt stored the version's universal APK (one _converted reuses)."""
    return deps.bucket.find_object(universal_object_name(version.objectName)) is not None


def record(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask, conversion: Conversion
) -> bool:
    """Records `conversion` if the task's version is still PENDING on its generation."""
    return deps.applications.record_conversion(
        task.appId, task.versionNumber, task.generation, conversion
    )


def _delete_unless_recorded(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask, name: str
) -> None:
    """No orphan: an APK stored for a version deleted meanwhile goes; one a concurrent delivery
    recorded stays."""
    found = deps.applications.get_version(task.appId, task.versionNumber)
    conversion = found[1].conversion if found else None
    universal = conversion.universalApk if conversion else None
    if universal is None or universal.objectName != name:
        deps.bucket.delete_object(name)


def _delete_orphan(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask, version: Version | None
) -> None:
    """Deletes the universal APK this task may have stored (then been killed, or failed to
    record it) once its version is gone or on another file: no record will ever name it."""
    if task.objectName is None:  # queued before tasks named their object
        return
    if version is None or version.objectName != task.objectName:  # else the version's own name
        deps.bucket.delete_object(universal_object_name(task.objectName))


def _outcome(deps: Dependencies[BundleConverterSettings], version: Version) -> Conversion:
    settings = deps.settings
    if settings.distribution_keystore is None:
        return _skipped(NO_KEYSTORE)
    try:
        keystore = read_keystore(settings.distribution_keystore)
    except ValueError as exc:
        return _failed(str(exc))
    if version.size > settings.max_conversion_bundle_bytes:
        return _skipped(
            f"the bundle ({human_size(version.size)}) is over the "
            f"{human_size(settings.max_conversion_bundle_bytes)} apkdrop converts"
        )
    work = Path(tempfile.mkdtemp(prefix="bundle-"))
    try:
        return _converted(deps, version, keystore, work)
    except ConversionFailed as exc:
        return _failed(exc.reason)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _converted(
    deps: Dependencies[BundleConverterSettings],
    version: Version,
    keystore: DistributionKeystore,
    work: Path,
) -> Conversion:
    settings = deps.settings
    name = universal_object_name(version.objectName)
    earlier = deps.bucket.find_object(name)
    if earlier is not None:  # an interrupted attempt's, or a concurrent delivery's: not rebuilt
        apk = _copy(deps, earlier, work / UNIVERSAL_ENTRY)
        return _done(name, apk, _checked_signer(apk, version), _sha256_of(apk))
    bundle = _copy(deps, _bundle_object(deps, version), work / "app.aab")
    expanded = _uncompressed_bytes(bundle)
    if expanded > settings.max_conversion_bundle_bytes:  # what bundletool would write out
        return _skipped(
            f"the bundle's files ({human_size(expanded)} uncompressed) are over the "
            f"{human_size(settings.max_conversion_bundle_bytes)} apkdrop converts"
        )
    try:
        apk = build_universal_apk(
            bundle, keystore, work, settings.conversion_timeout_seconds, settings.max_upload_bytes
        )
    except TooLarge as exc:
        return _skipped(
            f"its universal APK ({human_size(exc.args[0])}) is over the upload limit "
            f"({human_size(settings.max_upload_bytes)})"
        )
    size = apk.stat().st_size
    signer = _checked_signer(apk, version)
    return _done(name, apk, signer, _store(deps, apk, name, size))


def _uncompressed_bytes(bundle: Path) -> int:
    """The bundle's entries' sizes once inflated, as its zip directory states them (bundletool
    refuses a bundle whose entries lie)."""
    try:
        with zipfile.ZipFile(bundle) as archive:
            return sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ConversionFailed("the bundle is not a readable zip") from exc


def _done(name: str, apk: Path, signer: str, sha256: str) -> Conversion:
    universal = UniversalApk(
        objectName=name, size=apk.stat().st_size, sha256=sha256, signerSha256=signer
    )
    return Conversion(state=ConversionState.DONE, universalApk=universal)


def _bundle_object(deps: Dependencies[BundleConverterSettings], version: Version) -> StorageObject:
    """The version's bundle: exactly the generation it names."""
    assert version.objectGeneration is not None  # checked against the task's
    return StorageObject(
        bucket=deps.bucket.name,
        name=version.objectName,
        generation=version.objectGeneration,
        size=version.size,
    )


def _copy(deps: Dependencies[BundleConverterSettings], stored: StorageObject, target: Path) -> Path:
    """`stored` to `target`, within its size."""
    with deps.bucket.open_object(stored) as reader, target.open("wb") as out:
        left = stored.size
        while left > 0 and (chunk := reader.read(min(COPY_CHUNK_BYTES, left))):
            out.write(chunk)
            left -= len(chunk)
    return target


def _checked_signer(apk: Path, version: Version) -> str:
    """The universal APK's signer, once apkdrop's own inspection reads it as the bundle's app."""
    try:
        with apk.open("rb") as source:
            info = inspect_apk(source).info
    except ApkError as exc:
        raise ConversionFailed(f"the universal APK is not a valid APK: {exc.reason}") from exc
    expected = (version.apkInfo.packageName, version.apkInfo.versionCode)
    if (info.packageName, info.versionCode) != expected or info.fileType != "APK":
        raise ConversionFailed("the universal APK is not the bundle's package and version")
    if info.signer is None:
        raise ConversionFailed("the universal APK is not signed")
    return info.signer


def _store(deps: Dependencies[BundleConverterSettings], apk: Path, name: str, size: int) -> str:
    writer = deps.bucket.start_object(name, size, PayloadTooLarge("universal APK grew"))
    try:
        with apk.open("rb") as source:
            while chunk := source.read(COPY_CHUNK_BYTES):
                writer.write(chunk)
        writer.finish()
    except BaseException:
        writer.abandon()
        raise
    return writer.sha256.hexdigest()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _skipped(reason: str) -> Conversion:
    return Conversion(state=ConversionState.SKIPPED, reason=reason)


def _failed(reason: str) -> Conversion:
    return Conversion(state=ConversionState.FAILED, reason=reason)
