"""Owners' changes and deletions over the fakes: the rules, and deletions that fail halfway."""

import datetime

import pytest

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import access_changes, deletion, queries
from apkdrop.applications.models import AccessType, ApplicationChange, VersionChange
from apkdrop.audit.models import AuditAction
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, InvalidRequest, NotFound
from tests.fakes import fake_bucket, fake_store
from tests.unit.test_application_service import apk, upload

OWNER = Caller(
    id="acct-owner", email="owner@example.com", keyPrefix="apkd_abcd", scope=KeyScope.ADMIN
)
QA = "qa@example.com"


@pytest.fixture(autouse=True)
def clock(deps: Dependencies) -> None:
    deps.clock.now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    deps.clock.step = datetime.timedelta(seconds=1)


def app_with(deps: Dependencies, count: int, **fields: str) -> str:
    app_id = upload(deps, OWNER, apk(code=1), **fields).data.id
    for code in range(2, count + 1):
        upload(deps, OWNER, apk(code=code))
    return app_id


def objects_of(deps: Dependencies, app_id: str, number: int) -> set[str]:
    version = fake_store(deps).get_version(app_id, number)[1]
    return {version.objectName, *([version.iconObject] if version.iconObject else [])}


def access(deps: Dependencies, app_id: str) -> list[tuple[str, AccessType, list[str]]]:
    return [(v.version, v.accessType, v.allowedUsers) for v in fake_store(deps).versions(app_id)]


def test_naming_testers_makes_a_version_private_and_public_lists_nobody(deps):
    app_id = app_with(deps, 1)
    change = VersionChange(allowedUsers=[f"{QA},Lead@Example.com", QA])
    view = access_changes.change_version(deps, OWNER, app_id, "1", change)
    assert (view.accessType, view.allowedUsers) == ("private", [QA, "lead@example.com"])
    view = access_changes.change_version(
        deps, OWNER, app_id, "1.0", VersionChange(accessType="public")
    )
    assert (view.accessType, view.allowedUsers) == ("public", [])


def test_private_alone_keeps_the_versions_testers(deps):
    app_id = app_with(deps, 1, accessType="PRIVATE", allowedUsers=QA)
    access_changes.change_version(deps, OWNER, app_id, "1.0", VersionChange(accessType="PRIVATE"))
    assert access(deps, app_id) == [("1.0", AccessType.PRIVATE, [QA])]


def test_the_upload_cap_on_testers_holds(deps):
    app_id = app_with(deps, 1)
    too_many = [f"t{n}@example.com" for n in range(deps.settings.max_allowed_users + 1)]
    with pytest.raises(InvalidRequest, match="at most"):
        access_changes.change_version(
            deps, OWNER, app_id, "1.0", VersionChange(allowedUsers=too_many)
        )


def test_an_app_wide_private_needs_testers_on_every_version_or_changes_none(deps):
    app_id = app_with(deps, 1, accessType="PRIVATE", allowedUsers=QA)
    upload(deps, OWNER, apk(code=2), accessType="PUBLIC")
    before = access(deps, app_id)
    with pytest.raises(InvalidRequest, match="allowedUsers is required"):
        access_changes.change_application(
            deps, OWNER, app_id, ApplicationChange(accessType="PRIVATE", name="Locked")
        )
    assert access(deps, app_id) == before
    assert fake_store(deps).get_app(app_id).name is None


def test_an_upload_racing_an_app_patch_inherits_the_patched_access(deps):
    app_id = app_with(deps, 1)  # public
    lock = ApplicationChange(accessType="PRIVATE", allowedUsers=[QA])
    # Between the upload's read of the latest version and its commit.
    fake_store(deps).before_commit = lambda: access_changes.change_application(
        deps, OWNER, app_id, lock
    )
    answer = upload(deps, OWNER, apk(code=2))
    assert (answer.data.version, answer.data.accessType) == ("2.0", "private")
    assert access(deps, app_id) == [
        ("2.0", AccessType.PRIVATE, [QA]),
        ("1.0", AccessType.PRIVATE, [QA]),
    ]


def test_a_version_delete_whose_last_firestore_write_fails_is_finished_by_a_retry(
    deps, monkeypatch
):
    app_id = app_with(deps, 2)
    objects = objects_of(deps, app_id, 2)

    def unavailable(app_id: str, number: int) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    with monkeypatch.context() as failing:
        failing.setattr(fake_store(deps), "finish_version_deletion", unavailable)
        with pytest.raises(BackendUnavailable):
            deletion.delete_version(deps, OWNER, app_id, "2.0")
    # The bucket answered: the files are gone, and nothing names them as there.
    assert not objects & set(fake_bucket(deps).objects)
    assert fake_store(deps).get_version(app_id, 2) is None
    assert fake_store(deps).get_app(app_id).latest_application_version == 1
    assert set(fake_store(deps).deleted_version(app_id, 2).pendingObjects) == objects

    deletion.delete_version(deps, OWNER, app_id, "2.0")  # the retry completes it
    assert fake_store(deps).deleted_version(app_id, 2).pendingObjects == []
    with pytest.raises(NotFound):
        deletion.delete_version(deps, OWNER, app_id, "2.0")
    deletions = [e for e in deps.audit.events if e.action is not AuditAction.UPLOAD]
    assert [event.action for event in deletions] == ["delete"]


def test_a_version_delete_whose_bucket_fails_is_finished_by_a_retry(deps, monkeypatch):
    app_id = app_with(deps, 2)
    objects = objects_of(deps, app_id, 2)

    def unavailable(name: str) -> None:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    with monkeypatch.context() as failing:
        failing.setattr(fake_bucket(deps), "delete_object", unavailable)
        with pytest.raises(BackendUnavailable):
            deletion.delete_version(deps, OWNER, app_id, "2.0")
    # The tombstone came first: the files are still there, and listed as pending.
    assert objects <= set(fake_bucket(deps).objects)
    assert set(fake_store(deps).deleted_version(app_id, 2).pendingObjects) == objects
    assert [v.versionNumber for v in fake_store(deps).versions(app_id)] == [1]

    deletion.delete_version(deps, OWNER, app_id, "2.0")
    assert not objects & set(fake_bucket(deps).objects)
    assert fake_store(deps).deleted_version(app_id, 2).pendingObjects == []


def test_an_app_delete_that_fails_halfway_is_finished_by_a_retry(deps, monkeypatch):
    app_id = app_with(deps, 2)
    objects = objects_of(deps, app_id, 1) | objects_of(deps, app_id, 2)

    def unavailable(app_id: str) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    with monkeypatch.context() as failing:
        failing.setattr(fake_store(deps), "finish_app_deletion", unavailable)
        with pytest.raises(BackendUnavailable):
            deletion.delete_application(deps, OWNER, app_id)
    assert not objects & set(fake_bucket(deps).objects)
    assert fake_store(deps).get_app(app_id) is None
    with pytest.raises(NotFound):
        queries.get_application(deps, OWNER, app_id)

    deletion.delete_application(deps, OWNER, app_id)
    assert fake_store(deps).deleted_app(app_id).pendingObjects == []
    assert fake_store(deps).versions(app_id) == []
    with pytest.raises(NotFound):
        deletion.delete_application(deps, OWNER, app_id)
    stranger = OWNER.model_copy(update={"id": "acct-stranger"})
    with pytest.raises(NotFound):
        deletion.delete_application(deps, stranger, app_id)


def test_an_app_deleted_with_no_versions_left_is_deleted(deps):
    app_id = app_with(deps, 1)
    deletion.delete_version(deps, OWNER, app_id, "1.0")
    assert queries.get_application(deps, OWNER, app_id).data.latestVersion is None
    deletion.delete_application(deps, OWNER, app_id)
    assert fake_store(deps).deleted_app(app_id) is not None


def test_a_version_label_that_names_no_version_is_not_found(deps):
    app_id = app_with(deps, 1)
    for label in ("1.5", "x", "0"):
        with pytest.raises(NotFound):
            deletion.delete_version(deps, OWNER, app_id, label)
