"""Deleting builds and upload contexts, and the races with uploads, settlement and expiry."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

import pytest

from apkdrop.accounts import Caller, KeyScope, authenticate, issue_api_key
from apkdrop.audit.models import AuditAction
from apkdrop.builds import deletion, service, settlement
from apkdrop.builds.models import BuildRegistration, StoredBuild, UploadState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, Conflict, NotFound
from apkdrop.shared_models import StorageObject
from apkdrop.timeutil import utc_now
from tests.fakes import FakeAuditLog, FakeBuildStore, fake_bucket
from tests.fixtures.apk_builder import build_apk

PROJECT = "demo"
APK = build_apk(package="com.example.deleted")


def caller(deps: Dependencies, email: str = "dev@example.com") -> Caller:
    key = issue_api_key(deps.accounts, email, scope=KeyScope.ADMIN)
    return authenticate(deps.accounts, {"X-Api-Key": key})


def registration(context_id: int) -> BuildRegistration:
    return BuildRegistration(contextId=context_id, buildType="APK", buildFileName="app.apk")


def register(deps: Dependencies, owner: Caller, context_id: int | None = None) -> StoredBuild:
    if context_id is None:
        context_id = service.create_context(deps, owner, PROJECT).id
    registered = service.register_build(deps, owner, PROJECT, registration(context_id))
    build = deps.builds.get_build(registered.build.id)
    assert build is not None
    return build


def audit_events(deps: Dependencies) -> list:
    """The deletions' events (registering a build records an upload too)."""
    assert isinstance(deps.audit, FakeAuditLog)
    return [event for event in deps.audit.events if event.action is AuditAction.DELETE]


def upload(deps: Dependencies, build: StoredBuild, data: bytes = APK) -> StorageObject:
    """What a PUT to the build's signed URL leaves in the bucket."""
    return fake_bucket(deps).put(build.objectName, data, {service.BUILD_ID_METADATA: str(build.id)})


def finalized(uploaded: StorageObject) -> settlement.FinalizedEvent:
    return settlement.FinalizedEvent(id="event-1", time=utc_now(), object=uploaded)


def stored(deps: Dependencies, build_id: int) -> StoredBuild:
    build = deps.builds.get_build(build_id)
    assert build is not None
    return build


def settled_build(deps: Dependencies, owner: Caller) -> StoredBuild:
    build = register(deps, owner)
    settled = settlement.settle_upload(deps, build.id, upload(deps, build))
    assert settled is not None and settled.uploadState is UploadState.FINISHED
    return settled


# --- one build -------------------------------------------------------------------------------


def test_a_deleted_build_is_a_tombstone_and_its_file_is_gone(deps: Dependencies) -> None:
    owner = caller(deps)
    build = settled_build(deps, owner)
    deletion.delete_build(deps, owner, PROJECT, build.id)

    after = stored(deps, build.id)
    assert after.uploadState is UploadState.DELETED
    assert after.dateDeleted is not None and after.pendingObjects == []
    assert after.apkInfo == build.apkInfo  # what it was stays readable
    assert fake_bucket(deps).find_object(build.objectName) is None
    assert service.get_build(deps, owner, PROJECT, build.id).uploadState is UploadState.DELETED
    [event] = audit_events(deps)
    assert (event.action, event.target) == (
        AuditAction.DELETE,
        f"/api/v1/projects/{PROJECT}/builds/{build.id}",
    )
    assert event.actor.keyPrefix == owner.keyPrefix


def test_a_second_delete_is_not_found_and_audited_once(deps: Dependencies) -> None:
    owner = caller(deps)
    build = settled_build(deps, owner)
    deletion.delete_build(deps, owner, PROJECT, build.id)
    with pytest.raises(NotFound, match=f"Build {build.id} not found"):
        deletion.delete_build(deps, owner, PROJECT, build.id)
    assert len(audit_events(deps)) == 1


@pytest.mark.parametrize("who", ["stranger", "other project", "unknown id"])
def test_another_account_s_or_an_unknown_build_is_not_found(deps: Dependencies, who: str) -> None:
    owner = caller(deps)
    build = settled_build(deps, owner)
    actor, project, build_id = owner, PROJECT, build.id
    if who == "stranger":
        actor = caller(deps, "stranger@example.com")
    elif who == "other project":
        project = "other"
    else:
        build_id = build.id + 1000
    with pytest.raises(NotFound):
        deletion.delete_build(deps, actor, project, build_id)
    assert stored(deps, build.id).uploadState is UploadState.FINISHED
    assert fake_bucket(deps).find_object(build.objectName) is not None
    assert audit_events(deps) == []


def test_a_delete_that_failed_halfway_is_finished_by_a_retry(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = caller(deps)
    build = settled_build(deps, owner)

    def outage(object_name: str) -> None:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    with monkeypatch.context() as patch:
        patch.setattr(fake_bucket(deps), "delete_object", outage)
        with pytest.raises(BackendUnavailable):
            deletion.delete_build(deps, owner, PROJECT, build.id)
    half = stored(deps, build.id)
    # It no longer says its file is there, and remembers what is left to delete.
    assert half.uploadState is UploadState.DELETED
    assert half.pendingObjects == [build.objectName]
    assert audit_events(deps) == []

    deletion.delete_build(deps, owner, PROJECT, build.id)
    assert stored(deps, build.id).pendingObjects == []
    assert stored(deps, build.id).dateDeleted == half.dateDeleted
    assert fake_bucket(deps).find_object(build.objectName) is None
    assert len(audit_events(deps)) == 1
    with pytest.raises(NotFound):
        deletion.delete_build(deps, owner, PROJECT, build.id)


# --- races with the upload, the finalize trigger and the expiry task --------------------------


def test_a_file_arriving_after_the_delete_is_deleted_not_settled(deps: Dependencies) -> None:
    owner = caller(deps)
    build = register(deps, owner)
    deletion.delete_build(deps, owner, PROJECT, build.id)  # still UPLOADING: its URL is valid

    late = upload(deps, build)
    assert settlement.handle_finalized(deps, finalized(late)) is not None
    after = stored(deps, build.id)
    assert after.uploadState is UploadState.DELETED
    assert after.apkInfo is None and after.objectGeneration is None
    assert fake_bucket(deps).find_object(build.objectName) is None


def test_a_second_upload_after_a_settled_build_is_deleted(deps: Dependencies) -> None:
    """A FINISHED build's object is gone after the delete, so its URL (create-only) works
    again until it expires: that file goes too."""
    owner = caller(deps)
    build = settled_build(deps, owner)
    deletion.delete_build(deps, owner, PROJECT, build.id)
    settlement.handle_finalized(deps, finalized(upload(deps, build)))
    assert fake_bucket(deps).find_object(build.objectName) is None
    assert stored(deps, build.id).uploadState is UploadState.DELETED


def test_a_build_deleted_while_it_is_inspected_stays_deleted(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = caller(deps)
    build = register(deps, owner)
    uploaded = upload(deps, build)
    real_open = fake_bucket(deps).open_object

    @contextmanager
    def deleted_once_open(stored: StorageObject) -> Iterator[BinaryIO]:
        with real_open(stored) as reader:  # it has read what it needs
            deletion.delete_build(deps, owner, PROJECT, build.id)
            yield reader

    monkeypatch.setattr(fake_bucket(deps), "open_object", deleted_once_open)
    settled = settlement.settle_upload(deps, build.id, uploaded)
    assert settled is not None and settled.uploadState is UploadState.DELETED
    after = stored(deps, build.id)
    assert (after.uploadState, after.apkInfo, after.objectGeneration) == (
        UploadState.DELETED,
        None,
        None,
    )
    assert fake_bucket(deps).find_object(build.objectName) is None


def test_the_expiry_task_leaves_a_deleted_build_deleted(deps: Dependencies) -> None:
    owner = caller(deps)
    build = register(deps, owner)
    deletion.delete_build(deps, owner, PROJECT, build.id)
    before = stored(deps, build.id)
    assert settlement.expire_upload(deps, build.id) == before
    assert stored(deps, build.id) == before


def test_the_expiry_task_deletes_a_late_file_whose_event_was_lost(deps: Dependencies) -> None:
    owner = caller(deps)
    build = register(deps, owner)
    deletion.delete_build(deps, owner, PROJECT, build.id)
    upload(deps, build)  # its finalize event never comes
    settlement.expire_upload(deps, build.id)
    assert fake_bucket(deps).find_object(build.objectName) is None
    assert stored(deps, build.id).uploadState is UploadState.DELETED


def test_the_expiry_task_does_not_fail_a_build_deleted_while_it_runs(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = caller(deps)
    build = register(deps, owner)
    real_find = fake_bucket(deps).find_object

    def find_then_delete(object_name: str) -> StorageObject | None:
        deletion.delete_build(deps, owner, PROJECT, build.id)
        return real_find(object_name)

    monkeypatch.setattr(fake_bucket(deps), "find_object", find_then_delete)
    expired = settlement.expire_upload(deps, build.id)
    assert expired is not None and expired.uploadState is UploadState.DELETED
    assert stored(deps, build.id).failureReason is None


# --- a context -------------------------------------------------------------------------------


def test_deleting_a_context_deletes_every_build_of_it(deps: Dependencies) -> None:
    owner = caller(deps)
    context = service.create_context(deps, owner, PROJECT)
    finished = register(deps, owner, context.id)
    settlement.settle_upload(deps, finished.id, upload(deps, finished))
    pending = register(deps, owner, context.id)
    other = register(deps, owner)  # another context of the same project

    deletion.delete_context(deps, owner, PROJECT, context.id)
    listed = service.get_context(deps, owner, PROJECT, context.id)
    assert listed.dateDeleted is not None
    assert [(b.id, b.uploadState) for b in listed.builds] == [
        (finished.id, UploadState.DELETED),
        (pending.id, UploadState.DELETED),
    ]
    assert fake_bucket(deps).find_object(finished.objectName) is None
    assert stored(deps, other.id).uploadState is UploadState.UPLOADING
    [event] = audit_events(deps)
    assert event.target == f"/api/v1/projects/{PROJECT}/build-uploads/{context.id}"
    assert event.details == {"buildIds": [finished.id, pending.id]}


def test_a_deleted_context_takes_no_new_build_and_a_second_delete_is_not_found(
    deps: Dependencies,
) -> None:
    owner = caller(deps)
    context = service.create_context(deps, owner, PROJECT)
    deletion.delete_context(deps, owner, PROJECT, context.id)  # empty: nothing but the mark
    with pytest.raises(Conflict, match=f"Build upload context {context.id} was deleted"):
        service.register_build(deps, owner, PROJECT, registration(context.id))
    with pytest.raises(NotFound, match=f"Build upload context {context.id} not found"):
        deletion.delete_context(deps, owner, PROJECT, context.id)
    assert service.get_context(deps, owner, PROJECT, context.id).builds == []


def test_another_account_s_context_is_not_found(deps: Dependencies) -> None:
    owner = caller(deps)
    build = register(deps, owner)
    with pytest.raises(NotFound):
        deletion.delete_context(deps, caller(deps, "x@example.com"), PROJECT, build.contextId)
    assert stored(deps, build.id).uploadState is UploadState.UPLOADING
    assert deps.builds.get_context(build.contextId).dateDeleted is None


def test_a_context_delete_that_failed_halfway_is_finished_by_a_retry(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = caller(deps)
    context = service.create_context(deps, owner, PROJECT)
    first, second = register(deps, owner, context.id), register(deps, owner, context.id)
    real_delete = fake_bucket(deps).delete_object

    def fail_on_second(object_name: str) -> None:
        if object_name == second.objectName:
            raise BackendUnavailable("Cloud Storage is unavailable, retry later")
        real_delete(object_name)

    with monkeypatch.context() as patch:
        patch.setattr(fake_bucket(deps), "delete_object", fail_on_second)
        with pytest.raises(BackendUnavailable):
            deletion.delete_context(deps, owner, PROJECT, context.id)
    assert stored(deps, second.id).pendingObjects == [second.objectName]

    deletion.delete_context(deps, owner, PROJECT, context.id)
    assert stored(deps, second.id).pendingObjects == []
    assert stored(deps, first.id).uploadState is UploadState.DELETED
    assert audit_events(deps)[-1].details == {"buildIds": [second.id]}
    with pytest.raises(NotFound):
        deletion.delete_context(deps, owner, PROJECT, context.id)


def test_a_build_registered_while_its_context_is_deleted_is_withdrawn(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registration read the context before the deletion marked it, and creates its build
    after the deletion listed the builds: it must not survive as a live build."""
    owner = caller(deps)
    context = service.create_context(deps, owner, PROJECT)
    store = deps.builds
    assert isinstance(store, FakeBuildStore)
    real_create: Callable[[StoredBuild], None] = store.create_build

    def create_after_the_deletion(build: StoredBuild) -> None:
        deletion.delete_context(deps, owner, PROJECT, context.id)
        real_create(build)

    monkeypatch.setattr(store, "create_build", create_after_the_deletion)
    with pytest.raises(Conflict):
        service.register_build(deps, owner, PROJECT, registration(context.id))
    [build] = store.builds_of_context(context.id)
    assert build.uploadState is UploadState.DELETED and build.pendingObjects == []
