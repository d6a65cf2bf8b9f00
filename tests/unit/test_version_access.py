"""The access an upload gives its version: named, inherited from the latest, never widened."""

import pytest

from apkdrop.applications import queries
from apkdrop.applications.models import AccessType, Application
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest
from tests.fakes import fake_store, install_page_app
from tests.unit.test_application_service import ALICE, apk, listed_apps, refused, upload

QA = "qa@example.com"


def access_of(deps: Dependencies, app_id: str) -> list[tuple[str, AccessType, list[str]]]:
    """Each version's access, newest first."""
    return [
        (version.version, version.accessType, version.allowedUsers)
        for version in deps.applications.versions(app_id)
    ]


def test_the_issues_scenario(deps: Dependencies) -> None:
    """1.0 public, 2.0 private to qa, 3.0 names no access: it inherits 2.0's, list included."""
    first = upload(deps, ALICE, apk()).data
    second = upload(deps, ALICE, apk(), accessType="PRIVATE", allowedUsers=QA).data
    third = upload(deps, ALICE, apk()).data

    assert [a.accessType for a in (first, second, third)] == ["public", "private", "private"]
    assert access_of(deps, first.id) == [
        ("3.0", AccessType.PRIVATE, [QA]),
        ("2.0", AccessType.PRIVATE, [QA]),
        ("1.0", AccessType.PUBLIC, []),
    ]


def test_an_upload_that_names_no_access_after_a_public_one_stays_public(
    deps: Dependencies,
) -> None:
    first = upload(deps, ALICE, apk()).data
    assert upload(deps, ALICE, apk()).data.accessType == "public"
    assert [access for _, access, _ in access_of(deps, first.id)] == [AccessType.PUBLIC] * 2


def test_a_named_access_replaces_the_latest(deps: Dependencies) -> None:
    first = upload(deps, ALICE, apk(), accessType="private", allowedUsers=QA).data
    upload(deps, ALICE, apk(), accessType="private", allowedUsers="lead@example.com")
    upload(deps, ALICE, apk(), accessType="public")
    assert access_of(deps, first.id) == [
        ("3.0", AccessType.PUBLIC, []),
        ("2.0", AccessType.PRIVATE, ["lead@example.com"]),
        ("1.0", AccessType.PRIVATE, [QA]),
    ]


def test_allowed_users_without_an_access_type_are_a_private_version(deps: Dependencies) -> None:
    """Fails closed, on a new app as after a public version: the named testers only."""
    first = upload(deps, ALICE, apk(), allowedUsers=QA).data
    upload(deps, ALICE, apk(), accessType="public")
    again = upload(deps, ALICE, apk(), allowedUsers="lead@example.com").data
    assert (first.accessType, again.accessType) == ("private", "private")
    assert access_of(deps, first.id)[0] == ("3.0", AccessType.PRIVATE, ["lead@example.com"])


def test_private_without_allowed_users_is_still_refused(deps: Dependencies) -> None:
    upload(deps, ALICE, apk(), accessType="private", allowedUsers=QA)
    error = refused(deps, ALICE, apk(), accessType="PRIVATE")
    assert isinstance(error, InvalidRequest)
    assert error.detail == "allowedUsers is required for PRIVATE applications"


def test_a_new_app_that_names_no_access_is_public(deps: Dependencies) -> None:
    """CREATE_NEW_APP starts a new line: it inherits nothing from the package's private app."""
    upload(deps, ALICE, apk(), accessType="private", allowedUsers=QA)
    created = upload(deps, ALICE, apk(), versionAction="create_new_app").data
    assert (created.version, created.accessType) == ("1.0", "public")


def test_app_id_inherits_from_that_apps_latest_version(deps: Dependencies) -> None:
    private = upload(deps, ALICE, apk(), accessType="private", allowedUsers=QA).data
    upload(deps, ALICE, apk(), versionAction="create_new_app")  # now the package's newest, public
    added = upload(deps, ALICE, apk(), appId=private.id).data
    assert (added.id, added.version, added.accessType) == (private.id, "2.0", "private")
    assert access_of(deps, private.id)[0] == ("2.0", AccessType.PRIVATE, [QA])


def test_the_inherited_access_is_the_one_committed_after(deps: Dependencies) -> None:
    """A concurrent private upload lands between our read and our commit: we retry after it,
    and inherit its access, not the public one we first read."""
    first = upload(deps, ALICE, apk()).data
    fake_store(deps).before_commit = lambda: upload(
        deps, ALICE, apk(), accessType="private", allowedUsers=QA
    )

    ours = upload(deps, ALICE, apk()).data

    assert (ours.version, ours.accessType) == ("3.0", "private")
    assert access_of(deps, first.id) == [
        ("3.0", AccessType.PRIVATE, [QA]),
        ("2.0", AccessType.PRIVATE, [QA]),
        ("1.0", AccessType.PUBLIC, []),
    ]


def test_a_missing_latest_version_document_is_inherited_as_owner_only(deps: Dependencies) -> None:
    first = upload(deps, ALICE, apk()).data
    del fake_store(deps).version_docs[first.id][1]
    assert upload(deps, ALICE, apk()).data.accessType == "private"
    assert access_of(deps, first.id) == [("2.0", AccessType.PRIVATE, [])]


# --- the owner's read API -----------------------------------------------------------------------


@pytest.fixture
def old_app(deps: Dependencies) -> Application:
    """An app document that still says PUBLIC, as old uploads wrote it, over private versions."""
    app = install_page_app(
        deps.applications,
        owner_email=ALICE.email,
        version_names=("1.0", "2.0"),
        accesses=(("PUBLIC", ()), ("PRIVATE", (QA,))),
    )
    stored = fake_store(deps).apps[app.id]
    stored.update(accountId=ALICE.id, accessType="PUBLIC", allowedUsers=[])
    return app


def test_the_list_shows_the_latest_versions_access(deps: Dependencies, old_app) -> None:
    (listed,) = listed_apps(deps, ALICE)
    assert (listed.id, listed.latestVersion, listed.accessType) == (old_app.id, "2.0", "private")


def test_the_detail_shows_each_versions_access(deps: Dependencies, old_app) -> None:
    detail = queries.get_application(deps, ALICE, old_app.id).data
    assert detail.accessType == "private"
    assert [(v.version, v.accessType, v.allowedUsers) for v in detail.versions] == [
        ("2.0", "private", [QA]),
        ("1.0", "public", []),
    ]


def test_an_empty_list_reads_no_versions(deps: Dependencies) -> None:
    assert listed_apps(deps, ALICE) == []
