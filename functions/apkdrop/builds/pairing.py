"""A context's pairing: its plain APK against the same app built with instrumentation.

Computed from the stored builds each time a build of the context is settled (and on a retried
settlement), so the second build to finish records it and a lost write is made up by the retry.
It pairs the newest FINISHED build of each type: a build becomes FINISHED once and leaves it only
when deleted, so a newer reading pairs ids at least as high, and a stale one never overwrites it.
"""

from apkdrop.apk.components import compare_sizes
from apkdrop.apk.models import ApkInfo
from apkdrop.builds.models import BuildType, Pairing, StoredBuild, StoredContext, UploadState
from apkdrop.dependencies import Dependencies


def record_pairing(deps: Dependencies[object], settled: StoredBuild) -> None:
    """Records the pairing of ``settled``'s context once both build types have FINISHED."""
    if settled.uploadState is not UploadState.FINISHED:
        return
    builds = deps.builds.builds_of_context(settled.contextId)
    apk = _newest_finished(builds, BuildType.APK)
    instrumented = _newest_finished(builds, BuildType.INSTRUMENTED_APK)
    if apk is None or instrumented is None:
        return
    pairing = compare(apk, instrumented)

    def decide(current: StoredContext) -> dict | None:
        recorded = current.pairing
        if recorded is not None and (
            recorded.apkBuildId >= pairing.apkBuildId
            and recorded.instrumentedBuildId >= pairing.instrumentedBuildId
        ):
            return None  # this pair, or a newer one, is already there
        return {"pairing": pairing.model_dump()}

    deps.builds.update_context(settled.contextId, decide)


def compare(apk: StoredBuild, instrumented: StoredBuild) -> Pairing:
    """Whether two FINISHED builds are the same app, version and signer, and how their sizes
    differ."""
    before, after = _info(apk), _info(instrumented)
    warnings = []
    same_package = before.packageName == after.packageName
    if not same_package:
        warnings.append(_differ("package names", before.packageName, after.packageName))
    versions = [(info.versionCode, info.versionName) for info in (before, after)]
    same_version = versions[0] == versions[1]
    if not same_version:
        labels = (f"{name or '?'} ({code})" for code, name in versions)
        warnings.append(_differ("versions", *labels))
    signers = [before.signer, after.signer]
    same_signer = signers[0] is not None and signers[0] == signers[1]
    if signers == [None, None]:
        warnings.append("neither build is signed")
    elif not same_signer:
        warnings.append(_differ("signers", *(signer or "unsigned" for signer in signers)))
    sizes_before, sizes_after = apk.componentSizes, instrumented.componentSizes
    return Pairing(
        apkBuildId=apk.id,
        instrumentedBuildId=instrumented.id,
        samePackageName=same_package,
        sameVersion=same_version,
        sameSigner=same_signer,
        warnings=warnings,
        size=compare_sizes(sizes_before, sizes_after) if sizes_before and sizes_after else None,
    )


def _newest_finished(builds: list[StoredBuild], kind: BuildType) -> StoredBuild | None:
    finished = [
        build
        for build in builds
        if build.buildType is kind
        and build.uploadState is UploadState.FINISHED
        and build.apkInfo is not None
    ]
    return max(finished, key=lambda build: build.id, default=None)


def _info(build: StoredBuild) -> ApkInfo:
    if build.apkInfo is None:
        raise ValueError(f"build {build.id} has no apkInfo to compare")
    return build.apkInfo


def _differ(what: str, apk: str, instrumented: str) -> str:
    return f"{what} differ: APK {apk}, INSTRUMENTED_APK {instrumented}"
