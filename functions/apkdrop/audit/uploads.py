"""The `upload` events of both APIs: a published version, and a registered build."""

from apkdrop.accounts import Caller
from apkdrop.applications.models import Application, Version
from apkdrop.audit.models import AuditAction
from apkdrop.audit.service import record
from apkdrop.audit.targets import build_target
from apkdrop.builds.models import StoredBuild
from apkdrop.dependencies import Dependencies
from apkdrop.ids import derived_opaque_id
from apkdrop.links import version_path


def record_version(
    deps: Dependencies[object], caller: Caller, app: Application, version: Version
) -> None:
    details = {
        "package": app.packageName,
        "versionName": version.apkInfo.versionName,
        "sha256": version.sha256,
    }
    target = version_path(app.id, version.versionNumber)
    # One event per version, however often its upload is replayed.
    event_id = derived_opaque_id(AuditAction.UPLOAD.value, app.id, version.versionNumber)
    record(deps, caller, AuditAction.UPLOAD, target, details, event_id)


def record_build(deps: Dependencies[object], caller: Caller, build: StoredBuild) -> None:
    """At registration: the key acts then; the file lands later, through its signed URL."""
    details = {
        "contextId": build.contextId,
        "buildType": build.buildType.value,
        "buildFileName": build.buildFileName,
    }
    target = build_target(build.projectName, build.id)
    record(deps, caller, AuditAction.UPLOAD, target, details)
