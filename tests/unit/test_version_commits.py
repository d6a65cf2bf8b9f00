"""ApplicationStore's commits of an upload's version when the commit answers with an error.

The client library resends a commit whose answer was lost, and the resend fails on the first
one's writes; any other error may follow an applied commit too. So the adapter reads back
whether its version is stored, and says when it cannot tell (CommitOutcomeUnknown): the upload
then deletes nothing a committed version could point at. Over a mocked client; the emulator
runs the same cases in tests/integration/contract/test_application_repository.py.
"""

from unittest.mock import MagicMock

import pytest
from google.api_core import exceptions as api_exceptions

from apkdrop.adapters.firestore_applications import ApplicationStore
from apkdrop.applications.models import Application, Version
from apkdrop.channels import DEFAULT_CHANNEL
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, CommitOutcomeUnknown
from tests.fakes import fake_store
from tests.unit.test_application_service import ALICE, apk, upload

# What a commit that was applied may answer: a resend's clash with its own writes, or a failure.
AFTER_AN_APPLIED_COMMIT = [
    api_exceptions.AlreadyExists("Document already exists"),
    api_exceptions.FailedPrecondition("the stored version does not match the required one"),
    api_exceptions.Aborted("Transaction lock timeout"),
    api_exceptions.DeadlineExceeded("Deadline exceeded"),
    api_exceptions.ServiceUnavailable("unavailable"),
    api_exceptions.RetryError("Timeout of 60.0s exceeded", None),
]
READ_FAILS = api_exceptions.ServiceUnavailable("unavailable")


@pytest.fixture
def uploaded(deps: Dependencies) -> tuple[Application, Version]:
    """An app and its version 1, as an upload makes them."""
    app_id = upload(deps, ALICE, apk()).data.id
    app = fake_store(deps).get_app(app_id)
    assert app is not None
    return app, fake_store(deps).versions(app_id)[0]


def adapter(
    monkeypatch: pytest.MonkeyPatch,
    app: Application,
    commit_answers: list[Exception | None],
    read_back: dict | Exception | None,
) -> tuple[ApplicationStore, MagicMock]:
    """The adapter over a client whose commits answer `commit_answers` in turn, and whose
    version documents read as `read_back` (raised if an error); and its commit."""
    db = MagicMock()
    commit = db.batch.return_value.commit
    commit.side_effect = commit_answers
    db.collection.return_value.document.return_value.get.return_value.to_dict.return_value = (
        app.model_dump()
    )
    version_document = MagicMock()
    if isinstance(read_back, Exception):
        version_document.get.side_effect = read_back
    else:
        version_document.get.return_value.to_dict.return_value = read_back
    applications = ApplicationStore(db)
    monkeypatch.setattr(applications, "_version_ref", lambda app_id, number: version_document)
    monkeypatch.setattr(applications, "_previous", lambda app, channel: None)
    return applications, commit


def own(version: Version) -> dict:
    return version.model_dump()


def another_uploads(version: Version) -> dict:
    return {**version.model_dump(), "objectName": "applications/acct-alice/another.apk"}


# --- create_app ---------------------------------------------------------------------------------


@pytest.mark.parametrize("error", AFTER_AN_APPLIED_COMMIT)
@pytest.mark.parametrize("claim_package", [True, False])
def test_a_created_app_whose_commit_answered_an_error_is_created(
    monkeypatch: pytest.MonkeyPatch,
    uploaded: tuple[Application, Version],
    error: Exception,
    claim_package: bool,
) -> None:
    """The app's id is new: its version 1 with this upload's file is this commit's. A resend's
    AlreadyExists once read as a package claimed by a concurrent upload."""
    app, first = uploaded
    applications, _ = adapter(monkeypatch, app, [error], own(first))
    assert applications.create_app(app, first, claim_package) is True


def test_a_claim_lost_to_another_app_is_false(
    monkeypatch: pytest.MonkeyPatch, uploaded: tuple[Application, Version]
) -> None:
    app, first = uploaded
    applications, _ = adapter(monkeypatch, app, [api_exceptions.AlreadyExists("exists")], None)
    assert applications.create_app(app, first, claim_package=True) is False


@pytest.mark.parametrize("claim_package", [True, False])
def test_a_timed_out_create_not_read_back_may_still_be_applied(
    monkeypatch: pytest.MonkeyPatch,
    uploaded: tuple[Application, Version],
    claim_package: bool,
) -> None:
    app, first = uploaded
    applications, _ = adapter(
        monkeypatch, app, [api_exceptions.DeadlineExceeded("Deadline exceeded")], None
    )
    # A timed-out commit may land after the read: its files must stay (the sweep decides).
    with pytest.raises(CommitOutcomeUnknown):
        applications.create_app(app, first, claim_package)


def test_an_app_id_taken_by_another_upload_fails_as_not_applied(
    monkeypatch: pytest.MonkeyPatch, uploaded: tuple[Application, Version]
) -> None:
    app, first = uploaded
    exists = api_exceptions.AlreadyExists("exists")
    applications, _ = adapter(monkeypatch, app, [exists], another_uploads(first))
    with pytest.raises(BackendUnavailable) as raised:
        applications.create_app(app, first, claim_package=False)
    assert not isinstance(raised.value, CommitOutcomeUnknown)


@pytest.mark.parametrize("claim_package", [True, False])
def test_a_create_whose_outcome_cannot_be_read_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
    uploaded: tuple[Application, Version],
    claim_package: bool,
) -> None:
    app, first = uploaded
    applications, _ = adapter(monkeypatch, app, [api_exceptions.AlreadyExists("x")], READ_FAILS)
    with pytest.raises(CommitOutcomeUnknown):
        applications.create_app(app, first, claim_package)


# --- append_version -----------------------------------------------------------------------------


def append(applications: ApplicationStore, app: Application, version: Version):
    return applications.append_version(
        app.id,
        DEFAULT_CHANNEL,
        lambda previous, number: version.model_copy(update={"versionNumber": number}),
        {},
    )


@pytest.mark.parametrize("error", AFTER_AN_APPLIED_COMMIT)
def test_an_appended_version_whose_commit_answered_an_error_is_appended(
    monkeypatch: pytest.MonkeyPatch, uploaded: tuple[Application, Version], error: Exception
) -> None:
    """Only the first three were read back: a DeadlineExceeded or a RetryError was a 503."""
    app, first = uploaded
    second = first.model_copy(update={"versionNumber": 2})
    applications, commit = adapter(monkeypatch, app, [error], own(second))
    updated, version = append(applications, app, first)
    assert (version, updated.latest_application_version) == (second, 2)
    assert commit.call_count == 1


def test_a_version_that_lost_to_a_concurrent_commit_is_made_again(
    monkeypatch: pytest.MonkeyPatch, uploaded: tuple[Application, Version]
) -> None:
    app, first = uploaded
    answers: list[Exception | None] = [api_exceptions.FailedPrecondition("changed"), None]
    applications, commit = adapter(monkeypatch, app, answers, another_uploads(first))
    _, version = append(applications, app, first)
    assert (version.objectName, commit.call_count) == (first.objectName, 2)


def test_a_timed_out_version_not_read_back_may_still_be_applied(
    monkeypatch: pytest.MonkeyPatch, uploaded: tuple[Application, Version]
) -> None:
    app, first = uploaded
    deadline = api_exceptions.DeadlineExceeded("Deadline exceeded")
    applications, commit = adapter(monkeypatch, app, [deadline], None)
    with pytest.raises(CommitOutcomeUnknown):
        append(applications, app, first)
    assert commit.call_count == 1


@pytest.mark.parametrize("error", AFTER_AN_APPLIED_COMMIT)
def test_a_version_whose_outcome_cannot_be_read_is_unknown(
    monkeypatch: pytest.MonkeyPatch, uploaded: tuple[Application, Version], error: Exception
) -> None:
    app, first = uploaded
    applications, _ = adapter(monkeypatch, app, [error], READ_FAILS)
    with pytest.raises(CommitOutcomeUnknown):
        append(applications, app, first)
