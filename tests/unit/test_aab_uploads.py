"""Both APIs take Android App Bundles: a build's fileType, a version's fileType and its
download's name say AAB; documents stored before say APK."""

import functools

from apkdrop.applications.models import Version
from apkdrop.builds import settlement
from apkdrop.builds.models import UploadState
from apkdrop.dependencies import Dependencies
from apkdrop.downloads.models import Via
from apkdrop.downloads.service import download_name, signed_download
from tests.fixtures.aab_builder import build_bundle, malformed_bundle
from tests.unit.test_application_service import ALICE, apk, upload
from tests.unit.test_build_service import finalized, new_account, register
from tests.unit.test_build_service import upload as put_build


@functools.cache
def bundle(code: int = 3) -> bytes:
    return build_bundle("com.example.bundle", code, f"{code}.0", label="Bundle Demo", target_sdk=35)


def test_an_uploaded_bundle_finishes_the_build_with_file_type_aab(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps), buildFileName="app-release.aab").build.id
    settled = settlement.handle_finalized(deps, finalized(put_build(deps, build_id, bundle())))
    assert settled.uploadState is UploadState.FINISHED
    assert settled.buildType == "APK"  # the build's role; fileType says what the file is
    assert settled.fileType == "AAB"
    assert settled.public().model_dump()["fileType"] == "AAB"
    assert settled.apkInfo is not None and settled.apkInfo.appLabel == "Bundle Demo"


def test_a_malformed_bundle_fails_the_build_with_its_reason(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    data = malformed_bundle()
    settled = settlement.handle_finalized(deps, finalized(put_build(deps, build_id, data)))
    assert settled.uploadState is UploadState.FAILED
    assert settled.failureReason == "bundle manifest is not a valid protobuf XmlNode"
    assert settled.fileType is None


def test_a_build_not_yet_inspected_has_no_file_type(deps: Dependencies) -> None:
    assert register(deps, new_account(deps)).build.fileType is None


def test_an_uploaded_bundle_is_a_version_of_file_type_aab(deps: Dependencies) -> None:
    answer = upload(deps, ALICE, bundle())
    (version,) = deps.applications.versions(answer.data.id)
    assert version.fileType == "AAB"
    assert version.apkInfo.packageName == "com.example.bundle"
    app = deps.applications.get_app(answer.data.id)
    assert app is not None and download_name(app, version) == "Bundle_Demo-3.0.aab"


def test_a_version_stored_with_the_old_lowercase_file_type_reads_as_apk(
    deps: Dependencies,
) -> None:
    answer = upload(deps, ALICE, build_bundle())
    (version,) = deps.applications.versions(answer.data.id)
    old = version.model_dump()
    old["fileType"] = "apk"
    old["apkInfo"].pop("fileType")
    assert Version.model_validate(old).fileType == "APK"


def test_a_bundle_downloads_as_plain_bytes_and_an_apk_as_a_package(deps: Dependencies) -> None:
    # Android's package installer opens the APK media type: a bundle it cannot install.
    for content, media_type in [
        (bundle(), "application/octet-stream"),
        (apk(), "application/vnd.android.package-archive"),
    ]:
        answer = upload(deps, ALICE, content)
        (version,) = deps.applications.versions(answer.data.id)
        app = deps.applications.get_app(answer.data.id)
        assert app is not None
        signed_download(deps, app, version, ALICE.email, Via.API)
        assert deps.bucket.served_as[version.objectName] == media_type
