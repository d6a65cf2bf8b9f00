"""Build-upload operations and settlement, against the in-memory fakes."""

import datetime
import io

import pytest
from pydantic import ValidationError

from apkdrop.accounts import Account, authenticate, issue_api_key
from apkdrop.apk_inspection import ApkError, inspect_apk
from apkdrop.builds import service, settlement
from apkdrop.builds.models import BuildRegistration, BuildType, UploadState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, NotFound
from apkdrop.shared_models import StorageObject
from apkdrop.timeutil import utc_now
from tests.fakes import FakeBuildStore, FakeScheduler, fake_bucket, fake_dependencies
from tests.fixtures.apk_builder import build_apk
from tests.paths import SETTINGS_APK, real_apk

GARBAGE = b"this is not an APK at all, just some bytes" * 10


def new_account(deps: Dependencies, email: str = "dev@example.com") -> Account:
    return authenticate(deps.accounts, {"X-Api-Key": issue_api_key(deps.accounts, email)})


def registration(context_id: int, **fields: object) -> BuildRegistration:
    body = {"contextId": context_id, "buildType": "APK", "buildFileName": "app-debug.apk"}
    return BuildRegistration.model_validate({**body, **fields})


def register(deps: Dependencies, account: Account, project: str = "demo", **fields: object):
    context = service.create_context(deps, account, project)
    return service.register_build(deps, account, project, registration(context.id, **fields))


def store(deps: Dependencies) -> FakeBuildStore:
    assert isinstance(deps.builds, FakeBuildStore)
    return deps.builds


def scheduler(deps: Dependencies) -> FakeScheduler:
    assert isinstance(deps.expiry_queue, FakeScheduler)
    return deps.expiry_queue


def upload(deps: Dependencies, build_id: int, data: bytes) -> StorageObject:
    """Puts `data` where the build's signed URL would, with the metadata the URL enforces."""
    build = deps.builds.get_build(build_id)
    assert build is not None
    return fake_bucket(deps).put(build.objectName, data, {service.BUILD_ID_METADATA: str(build_id)})


def finalized(uploaded: StorageObject, age_seconds: float = 0) -> settlement.FinalizedEvent:
    moment = utc_now() - datetime.timedelta(seconds=age_seconds)
    return settlement.FinalizedEvent(id="event-1", time=moment, object=uploaded)


# --- contexts ---------------------------------------------------------------------------------


def test_context_ids_increase_and_record_the_project(deps: Dependencies) -> None:
    account = new_account(deps)
    first = service.create_context(deps, account, "demo")
    second = service.create_context(deps, account, "demo")
    assert second.id > first.id
    assert (account.id, "demo") in store(deps).projects
    assert store(deps).get_context(first.id).accountId == account.id


def test_get_context_lists_its_builds_only(deps: Dependencies) -> None:
    account = new_account(deps)
    first = register(deps, account)
    register(deps, account)
    context = service.get_context(deps, account, "demo", first.build.contextId)
    assert [build.id for build in context.builds] == [first.build.id]


def test_get_context_of_another_account_is_not_found(deps: Dependencies) -> None:
    owner, other = new_account(deps, "a@example.com"), new_account(deps, "b@example.com")
    context = service.create_context(deps, owner, "demo")
    with pytest.raises(NotFound):
        service.get_context(deps, other, "demo", context.id)
    with pytest.raises(NotFound):
        service.get_context(deps, owner, "other-project", context.id)


# --- registering builds -----------------------------------------------------------------------


def test_register_build_signs_exactly_the_upload_headers(deps: Dependencies) -> None:
    registered = register(deps, new_account(deps))
    build_id = registered.build.id
    expected = {
        "Content-Type": "application/octet-stream",
        "X-Goog-Content-Length-Range": "0,1073741824",
        "x-goog-if-generation-match": "0",
        "x-goog-meta-build-id": str(build_id),
    }
    assert registered.uploadSpec.headers == expected
    assert registered.uploadSpec.method == "PUT"
    (call,) = fake_bucket(deps).signed
    assert call.headers == expected
    assert call.ttl == datetime.timedelta(seconds=deps.settings.upload_url_ttl_seconds)
    assert registered.uploadSpec.url == call.url


def test_upload_size_limit_follows_the_settings() -> None:
    deps = fake_dependencies(max_upload_bytes=5000)
    registered = register(deps, new_account(deps))
    assert registered.uploadSpec.headers["X-Goog-Content-Length-Range"] == "0,5000"


def test_registered_build_is_stored_uploading(deps: Dependencies) -> None:
    account = new_account(deps)
    registered = register(deps, account, name="nightly", buildType="instrumented_apk")
    stored = deps.builds.get_build(registered.build.id)
    assert stored.uploadState is UploadState.UPLOADING
    assert stored.buildType is BuildType.INSTRUMENTED_APK
    assert (stored.accountId, stored.projectName, stored.name) == (account.id, "demo", "nightly")
    assert registered.build == stored.public()
    assert "accountId" not in registered.build.model_dump()


def test_object_name_is_made_only_of_ids(deps: Dependencies) -> None:
    account = new_account(deps)
    registered = register(deps, account, buildFileName="My App (final).apk")
    stored = deps.builds.get_build(registered.build.id)
    expected = f"builds/{account.id}/{registered.build.contextId}/{registered.build.id}.apk"
    assert stored.objectName == expected
    assert fake_bucket(deps).signed[0].object_name == expected


@pytest.mark.parametrize(
    "file_name",
    ["../../etc/passwd.apk", "..\\..\\boot.apk", "a/b.apk", "bad\x00.apk", "..", "  ", ""],
)
def test_path_like_file_names_never_reach_the_object_name(
    deps: Dependencies, file_name: str
) -> None:
    account = new_account(deps)
    context = service.create_context(deps, account, "demo")
    try:
        body = registration(context.id, buildFileName=file_name)
    except ValidationError:
        return  # rejected before the service is even called
    service.register_build(deps, account, "demo", body)
    (call,) = fake_bucket(deps).signed
    assert ".." not in call.object_name and file_name.strip() not in call.object_name


def test_expiry_task_is_scheduled_after_ttl_plus_grace(deps: Dependencies) -> None:
    before = utc_now()
    registered = register(deps, new_account(deps))
    after = utc_now()
    build_id = registered.build.id
    (task,) = scheduler(deps).calls
    assert task.payload == {"buildId": build_id}
    assert task.task_id == f"expire-build-{build_id}"
    assert task.url == str(deps.settings.upload_expiry_url)
    delay = datetime.timedelta(
        seconds=deps.settings.upload_url_ttl_seconds + deps.settings.upload_expiry_grace_seconds
    )
    assert before + delay <= task.at <= after + delay


def test_each_build_gets_its_own_task(deps: Dependencies) -> None:
    account = new_account(deps)
    ids = {register(deps, account).build.id for _ in range(3)}
    assert {task.payload["buildId"] for task in scheduler(deps).calls} == ids
    assert len(scheduler(deps).tasks) == 3


def _assert_nothing_written(deps: Dependencies) -> None:
    assert store(deps).builds == {}
    assert scheduler(deps).calls == []
    assert fake_bucket(deps).signed == []
    assert "builds" not in store(deps).counters


def test_unknown_context_is_not_found_and_writes_nothing(deps: Dependencies) -> None:
    account = new_account(deps)
    with pytest.raises(NotFound, match="999"):
        service.register_build(deps, account, "demo", registration(999))
    _assert_nothing_written(deps)


def test_another_accounts_context_is_not_found_and_writes_nothing(deps: Dependencies) -> None:
    owner, other = new_account(deps, "a@example.com"), new_account(deps, "b@example.com")
    context = service.create_context(deps, owner, "demo")
    with pytest.raises(NotFound):
        service.register_build(deps, other, "demo", registration(context.id))
    _assert_nothing_written(deps)


def test_another_projects_context_is_not_found_and_writes_nothing(deps: Dependencies) -> None:
    account = new_account(deps)
    context = service.create_context(deps, account, "demo")
    with pytest.raises(NotFound):
        service.register_build(deps, account, "other", registration(context.id))
    _assert_nothing_written(deps)


def test_get_build_is_scoped_to_account_and_project(deps: Dependencies) -> None:
    owner, other = new_account(deps, "a@example.com"), new_account(deps, "b@example.com")
    build_id = register(deps, owner).build.id
    assert service.get_build(deps, owner, "demo", build_id).id == build_id
    with pytest.raises(NotFound):
        service.get_build(deps, other, "demo", build_id)
    with pytest.raises(NotFound):
        service.get_build(deps, owner, "other", build_id)
    with pytest.raises(NotFound):
        service.get_build(deps, owner, "demo", build_id + 1)


# --- settlement from the finalize event -------------------------------------------------------


def test_an_uploaded_apk_finishes_the_build(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    data = build_apk("com.example.shop", "2.5", 25, min_sdk=24, target_sdk=34)
    uploaded = upload(deps, build_id, data)

    settled = settlement.handle_finalized(deps, finalized(uploaded))

    assert settled == deps.builds.get_build(build_id)
    assert settled.uploadState is UploadState.FINISHED
    assert settled.failureReason is None
    assert settled.dateSettled is not None
    assert (settled.fileSize, settled.md5Hash) == (len(data), uploaded.md5Hash)
    assert settled.objectGeneration == uploaded.generation
    info = settled.apkInfo
    assert (info.packageName, info.versionName, info.versionCode) == ("com.example.shop", "2.5", 25)
    assert (info.minSdkVersion, info.targetSdkVersion) == (24, 34)
    assert info.hasInstrumentation is False


def test_garbage_fails_the_build_with_the_inspections_reason(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    with pytest.raises(ApkError) as raised:
        inspect_apk(io.BytesIO(GARBAGE))

    settled = settlement.handle_finalized(deps, finalized(upload(deps, build_id, GARBAGE)))

    assert settled.uploadState is UploadState.FAILED
    assert settled.failureReason == raised.value.reason == "not a zip archive"
    assert settled.apkInfo is None
    assert settled.fileSize == len(GARBAGE)


def test_a_duplicate_event_changes_nothing(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, build_apk())
    first = settlement.handle_finalized(deps, finalized(uploaded))
    second = settlement.handle_finalized(deps, finalized(uploaded))
    assert second == first
    assert second.dateSettled == first.dateSettled
    assert deps.builds.get_build(build_id) == first


def test_a_real_app_registered_as_instrumented_apk_finishes(deps: Dependencies) -> None:
    # An INSTRUMENTED_APK is the app built with a vendor's performance instrumentation, not a
    # test APK: it has no <instrumentation> element, and that is fine (issue #15).
    build_id = register(deps, new_account(deps), buildType="INSTRUMENTED_APK").build.id
    data = real_apk(SETTINGS_APK).read_bytes()
    settled = settlement.handle_finalized(deps, finalized(upload(deps, build_id, data)))
    assert settled.uploadState is UploadState.FINISHED
    assert settled.failureReason is None
    assert settled.apkInfo.packageName == "io.appium.settings"
    assert settled.apkInfo.hasInstrumentation is False


def test_instrumented_apk_with_instrumentation_finishes(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps), buildType="INSTRUMENTED_APK").build.id
    data = build_apk("com.example.app.test", instrumentation_target="com.example.app")
    settled = settlement.handle_finalized(deps, finalized(upload(deps, build_id, data)))
    assert settled.uploadState is UploadState.FINISHED
    assert settled.apkInfo.hasInstrumentation is True


def test_a_stale_event_is_dropped(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, build_apk())
    stale = finalized(uploaded, age_seconds=deps.settings.max_event_age_seconds + 60)
    assert settlement.handle_finalized(deps, stale) is None
    assert deps.builds.get_build(build_id).uploadState is UploadState.UPLOADING


def test_an_object_in_another_bucket_is_ignored(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, build_apk())
    elsewhere = uploaded.model_copy(update={"bucket": "someone-elses-bucket"})
    assert settlement.handle_finalized(deps, finalized(elsewhere)) is None
    assert deps.builds.get_build(build_id).uploadState is UploadState.UPLOADING


@pytest.mark.parametrize("metadata", [{}, {"build-id": ""}, {"build-id": "abc"}, {"other": "1"}])
def test_an_object_without_a_build_id_is_ignored(deps: Dependencies, metadata: dict) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, build_apk()).model_copy(update={"metadata": metadata})
    assert settlement.handle_finalized(deps, finalized(uploaded)) is None
    assert deps.builds.get_build(build_id).uploadState is UploadState.UPLOADING


def test_an_object_not_named_like_the_build_is_ignored(deps: Dependencies) -> None:
    account = new_account(deps)
    victim, attacker = register(deps, account).build.id, register(deps, account).build.id
    # The attacker's own upload, claiming the victim's build id in its metadata.
    data = build_apk()
    stray = upload(deps, attacker, data).model_copy(
        update={"metadata": {service.BUILD_ID_METADATA: str(victim)}}
    )
    assert settlement.handle_finalized(deps, finalized(stray)) is None
    assert deps.builds.get_build(victim).uploadState is UploadState.UPLOADING


def test_an_unknown_build_id_is_ignored(deps: Dependencies) -> None:
    uploaded = fake_bucket(deps).put("builds/x/1/77.apk", build_apk(), {"build-id": "77"})
    assert settlement.handle_finalized(deps, finalized(uploaded)) is None
    assert store(deps).builds == {}


def test_an_oversized_object_fails_without_being_read(deps: Dependencies) -> None:
    deps = fake_dependencies(max_upload_bytes=100)
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, build_apk())
    assert uploaded.size > 100
    settled = settlement.handle_finalized(deps, finalized(uploaded))
    assert settled.uploadState is UploadState.FAILED
    assert settled.failureReason == "file is larger than the limit of 100 bytes"
    assert settled.apkInfo is None


def test_a_vanished_object_is_acknowledged_and_changes_nothing(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, build_apk())
    del fake_bucket(deps).objects[uploaded.name]
    before = deps.builds.get_build(build_id)
    assert settlement.handle_finalized(deps, finalized(uploaded)) is None
    assert deps.builds.get_build(build_id) == before


# --- settlement from the expiry task ----------------------------------------------------------


def test_expiry_without_an_upload_fails_the_build(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    expired = settlement.expire_upload(deps, build_id)
    assert expired.uploadState is UploadState.FAILED
    assert expired.failureReason == settlement.EXPIRED_REASON == "upload URL expired"
    assert expired.dateSettled is not None
    assert deps.builds.get_build(build_id) == expired


def test_expiry_settles_an_upload_whose_event_never_came(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, build_apk())
    settled = settlement.expire_upload(deps, build_id)
    assert settled.uploadState is UploadState.FINISHED
    assert settled.objectGeneration == uploaded.generation
    assert deps.builds.get_build(build_id) == settled


def test_expiry_leaves_a_finished_build_alone(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    finished = settlement.handle_finalized(deps, finalized(upload(deps, build_id, build_apk())))
    del fake_bucket(deps).objects[finished.objectName]
    assert settlement.expire_upload(deps, build_id) == finished
    assert deps.builds.get_build(build_id) == finished


def test_expiry_of_an_unknown_build_does_nothing(deps: Dependencies) -> None:
    assert settlement.expire_upload(deps, 12345) is None
    assert store(deps).builds == {}


def test_expiry_runs_once(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    first = settlement.expire_upload(deps, build_id)
    assert settlement.expire_upload(deps, build_id) == first


def test_a_failed_upload_is_marked_for_the_lifecycle_rule(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, GARBAGE)

    settlement.handle_finalized(deps, finalized(uploaded))

    assert deps.bucket.marked_failed == [(uploaded.name, uploaded.generation)]


def test_a_finished_upload_is_not_marked(deps: Dependencies) -> None:
    build_id = register(deps, new_account(deps)).build.id
    settlement.handle_finalized(deps, finalized(upload(deps, build_id, build_apk())))
    assert deps.bucket.marked_failed == []


def test_a_storage_outage_while_marking_leaves_the_build_for_the_retry(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_id = register(deps, new_account(deps)).build.id
    uploaded = upload(deps, build_id, GARBAGE)

    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    monkeypatch.setattr(deps.bucket, "mark_failed", unavailable)
    with pytest.raises(BackendUnavailable):
        settlement.handle_finalized(deps, finalized(uploaded))
    assert deps.builds.get_build(build_id).uploadState is UploadState.UPLOADING
