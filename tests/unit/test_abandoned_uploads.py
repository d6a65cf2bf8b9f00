"""The retention sweep's part for large uploads nobody published (retention/abandoned_uploads.py):
which records it deletes with their files, and its races with a finalize, both ways."""

import datetime

import pytest

from apkdrop.applications.deletion import delete_version
from apkdrop.applications.large_uploads import create_large_upload
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, NotFound
from apkdrop.retention.abandoned_uploads import ABANDONED_UPLOAD_GRACE, STALE_CLAIM
from apkdrop.retention.sweep import sweep
from tests.fakes import fake_bucket, fake_dependencies, fake_store
from tests.unit.test_application_service import (
    ALICE,
    apk,
    refused,
    upload,
)

START = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock(deps: Dependencies) -> None:
    deps.clock.now = START
    deps.clock.step = datetime.timedelta(seconds=1)


def put_large(deps: Dependencies, content: bytes = b"") -> tuple[str, str]:
    """A large upload and, given content, its PUT file: (uploadId, object name)."""
    upload_id = create_large_upload(deps, ALICE).uploadId
    object_name = fake_store(deps).uploads[upload_id]["objectName"]
    if content:
        fake_bucket(deps).put(object_name, content)
    return upload_id, object_name


def past_the_grace(deps: Dependencies) -> None:
    """The clock a second after every URL made so far expired, plus the grace."""
    ttl = datetime.timedelta(seconds=deps.settings.upload_url_ttl_seconds)
    deps.clock.now += ttl + ABANDONED_UPLOAD_GRACE + datetime.timedelta(seconds=1)


def test_the_sweep_deletes_expired_uploads_keeping_a_published_file_and_young_ones(
    deps: Dependencies,
) -> None:
    expired, expired_file = put_large(deps, apk())
    released, released_file = put_large(deps, b"not a zip")
    assert refused(deps, ALICE, uploadId=released).detail == "Invalid APK: not a zip archive"
    published, published_file = put_large(deps, apk())
    upload(deps, ALICE, uploadId=published)
    put_large(deps)  # never PUT: the record alone goes
    past_the_grace(deps)
    young, young_file = put_large(deps, apk())

    assert sweep(deps).model_dump() == {"deleted": 4, "staleWork": 0, "finished": True}

    assert set(fake_store(deps).uploads) == {young}  # a published one's record goes, not its file
    assert {expired_file, released_file} & set(fake_bucket(deps).objects) == set()
    assert {published_file, young_file} <= set(fake_bucket(deps).objects)
    error = refused(deps, ALICE, uploadId=expired)
    assert (type(error), error.detail) == (
        NotFound,
        f"Upload {expired} not found (or already used)",
    )
    assert upload(deps, ALICE, uploadId=young).data.version == "2.0"
    assert sweep(deps).model_dump() == {"deleted": 0, "staleWork": 0, "finished": True}


def test_an_upload_whose_url_has_not_expired_past_the_grace_is_kept(deps: Dependencies) -> None:
    upload_id, object_name = put_large(deps, apk())
    past_the_grace(deps)
    deps.clock.now -= datetime.timedelta(seconds=10)  # each reading of the sweep's moves it 1 s
    assert sweep(deps).deleted == 0
    assert object_name in fake_bucket(deps).objects
    assert upload(deps, ALICE, uploadId=upload_id).data.version == "1.0"


def test_the_sweep_is_bounded_and_the_next_run_goes_on() -> None:
    deps = fake_dependencies(retention_max_deletions_per_run=2)
    deps.clock.now = START
    uploads = [put_large(deps, apk()) for _ in range(3)]
    past_the_grace(deps)
    assert [sweep(deps).model_dump() for _ in range(3)] == [
        {"deleted": 2, "staleWork": 0, "finished": False},
        {"deleted": 1, "staleWork": 0, "finished": True},
        {"deleted": 0, "staleWork": 0, "finished": True},
    ]
    assert fake_store(deps).uploads == {}
    assert {name for _, name in uploads} & set(fake_bucket(deps).objects) == set()


def test_a_finalize_that_claims_first_keeps_its_file(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep has listed the upload; the finalize claims it before the sweep's transaction."""
    upload_id, object_name = put_large(deps, apk())
    past_the_grace(deps)
    listed = fake_store(deps).abandoned_large_uploads
    answers = []

    def list_then_finalize(expired_before: datetime.datetime, limit: int) -> list[str]:
        found = listed(expired_before, limit)
        answers.append(upload(deps, ALICE, uploadId=upload_id))
        return found

    monkeypatch.setattr(fake_store(deps), "abandoned_large_uploads", list_then_finalize)
    assert sweep(deps).deleted == 0

    (answer,) = answers
    (version,) = deps.applications.versions(answer.data.id)
    assert version.objectName == object_name
    assert object_name in fake_bucket(deps).objects
    assert fake_store(deps).uploads[upload_id]["claimed"] is True


def test_a_sweep_during_a_finalize_passes_the_claimed_upload_by(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_id, object_name = put_large(deps, apk())
    past_the_grace(deps)
    claim = fake_store(deps).claim_large_upload
    reports = []

    def claim_then_sweep(*args: str) -> dict | None:
        record = claim(*args)
        reports.append(sweep(deps))
        return record

    monkeypatch.setattr(fake_store(deps), "claim_large_upload", claim_then_sweep)
    answer = upload(deps, ALICE, uploadId=upload_id)

    assert [report.deleted for report in reports] == [0]
    (version,) = deps.applications.versions(answer.data.id)
    assert version.objectName == object_name
    assert object_name in fake_bucket(deps).objects


def test_a_finalize_after_the_sweep_abandoned_the_upload_is_not_found(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep wins the transaction, then fails to delete the file: a finalize coming between
    answers 404, and the next run deletes the file and the record."""
    upload_id, object_name = put_large(deps, apk())
    past_the_grace(deps)

    def unavailable(name: str) -> None:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    with monkeypatch.context() as patch:
        patch.setattr(fake_bucket(deps), "delete_object", unavailable)
        with pytest.raises(BackendUnavailable):
            sweep(deps)
    assert fake_store(deps).uploads[upload_id]["abandoned"] is True

    error = refused(deps, ALICE, uploadId=upload_id)
    assert (type(error), error.detail) == (
        NotFound,
        f"Upload {upload_id} not found (or already used)",
    )
    assert fake_store(deps).claims == []

    assert sweep(deps).model_dump() == {"deleted": 1, "staleWork": 0, "finished": True}
    assert upload_id not in fake_store(deps).uploads
    assert object_name not in fake_bucket(deps).objects


def test_a_claim_left_behind_is_swept_once_stale_and_not_before(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finalize whose instance was killed after its claim (or whose release failed) never
    releases it: the sweep deletes its file once the claim is older than any request."""
    upload_id, object_name = put_large(deps, b"not a zip")

    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    past_the_grace(deps)
    monkeypatch.setattr(fake_store(deps), "release_large_upload", unavailable)
    assert refused(deps, ALICE, uploadId=upload_id).detail == "Invalid APK: not a zip archive"
    monkeypatch.undo()
    assert sweep(deps).deleted == 0  # claimed a moment ago: a finalize may be publishing it
    assert object_name in fake_bucket(deps).objects
    deps.clock.now += STALE_CLAIM
    assert sweep(deps).deleted == 1
    assert (
        object_name not in fake_bucket(deps).objects and upload_id not in fake_store(deps).uploads
    )


def test_a_file_put_again_after_its_version_was_deleted_is_swept(deps: Dependencies) -> None:
    """The PUT URL outlives the version: a PUT after the deletion stores the file again, which
    no version keeps."""
    upload_id, object_name = put_large(deps, apk())
    answer = upload(deps, ALICE, uploadId=upload_id)
    delete_version(deps, ALICE, answer.data.id, "1.0")
    assert object_name not in fake_bucket(deps).objects
    fake_bucket(deps).put(object_name, apk())  # the URL is still valid
    past_the_grace(deps)
    assert sweep(deps).deleted == 1
    assert (
        object_name not in fake_bucket(deps).objects and upload_id not in fake_store(deps).uploads
    )


def test_a_file_a_version_keeps_is_kept_even_when_its_record_was_released(
    deps: Dependencies,
) -> None:
    """A commit that went through while its request failed (the record released): the
    version's file stays, whatever the record says."""
    upload_id, object_name = put_large(deps, apk())
    upload(deps, ALICE, uploadId=upload_id)
    fake_store(deps).release_large_upload(upload_id)
    past_the_grace(deps)
    assert sweep(deps).deleted == 1
    assert object_name in fake_bucket(deps).objects and upload_id not in fake_store(deps).uploads
