"""A build's insights: against the same build type in the project's previous context."""

from apkdrop.apk.insights import ComparedToBuild, Insights, StoredApk, compare_apks
from apkdrop.apk.models import ApkInspection
from apkdrop.builds.models import StoredBuild
from apkdrop.dependencies import Dependencies


def build_insights(
    deps: Dependencies[object], build: StoredBuild, inspection: ApkInspection, file_size: int
) -> Insights | None:
    """Read when the build settles, so they are stored with its FINISHED state in one write."""
    previous = deps.builds.previous_finished_build(build)
    if previous is None or previous.apkInfo is None or previous.fileSize is None:
        return None
    return compare_apks(
        ComparedToBuild(contextId=previous.contextId, buildId=previous.id),
        StoredApk(previous.apkInfo, previous.fileSize, previous.componentSizes),
        StoredApk(inspection.info, file_size, inspection.components),
    )
