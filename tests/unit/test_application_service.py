"""UploadSession, large uploads and the read queries, over the in-memory fakes.

The APK goes through `session.file_writer()` as werkzeug's multipart parser sends it.
"""

import datetime
import functools
import hashlib

import pytest
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import queries
from apkdrop.applications.form import read_upload_form
from apkdrop.applications.large_uploads import create_large_upload, too_large_detail
from apkdrop.applications.models import AccessType, ApplicationView, UploadAnswer
from apkdrop.applications.object_names import apk_object_name
from apkdrop.applications.service import UploadSession
from apkdrop.dependencies import Dependencies
from apkdrop.errors import (
    BackendUnavailable,
    CommitOutcomeUnknown,
    Conflict,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
)
from apkdrop.paging import DEFAULT_PAGE_SIZE, PageRequest
from apkdrop.retention.abandoned_uploads import (
    ABANDONED_UPLOAD_GRACE,
    STALE_CLAIM,
    delete_abandoned_uploads,
)
from apkdrop.signed_uploads import upload_headers
from tests.fakes import (
    FakeWeb,
    fake_bucket,
    fake_dependencies,
    fake_store,
)
from tests.fixtures.apk_builder import build_apk, build_zip, play_ready
from tests.unit.test_notification_delivery import apk_with_icon

CONFLICT = (
    "Application with package name '{}' already exists. Use versionAction='create_new_version' "
    "to create a new version or 'create_new_app' to create a separate app entry."
)
CHUNK = 64 * 1024
ALICE = Caller(
    id="acct-alice", email="alice@example.com", keyPrefix="apkd_test", scope=KeyScope.UPLOAD
)
BOB = Caller(id="acct-bob", email="bob@example.com", keyPrefix="apkd_test", scope=KeyScope.UPLOAD)


@functools.cache
def apk(package: str = "com.example.app", name: str = "1.0", code: int = 1, **kw) -> bytes:
    return build_apk(package, name, code, **{**play_ready(), **kw})


@pytest.fixture(autouse=True)
def clock(deps: Dependencies) -> None:
    """Every reading of the clock is one second after the previous one."""
    deps.clock.now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    deps.clock.step = datetime.timedelta(seconds=1)


def app_objects(deps: Dependencies) -> set[str]:
    return {name for name in fake_bucket(deps).objects if name.startswith("applications/")}


def upload(
    deps: Dependencies, account: Caller, content: bytes | None = None, **fields: str
) -> UploadAnswer:
    """One request: the file (if any) streamed in chunks, then the fields read and published."""
    with UploadSession(deps, account) as session:
        if content is not None:
            writer = session.file_writer()
            for start in range(0, len(content), CHUNK):
                writer.write(content[start : start + CHUNK])
        form = read_upload_form(
            MultiDict(fields), has_file=content is not None, settings=deps.settings
        )
        return session.publish(form)


def refused(deps: Dependencies, account: Caller, content: bytes | None = None, **fields):
    """The error an upload raises; its session has cleaned up by the time this returns."""
    with pytest.raises((InvalidRequest, NotFound, Conflict, PayloadTooLarge)) as caught:
        upload(deps, account, content, **fields)
    return caught.value


# --- the documented flows -----------------------------------------------------------------------


def test_first_upload_creates_version_1(deps: Dependencies) -> None:
    content = apk("com.example.flow", "1.2.3", 123, label="Flow")

    answer = upload(deps, ALICE, content, releaseNotes="First!")

    data = answer.data
    assert (data.version, data.accessType) == ("1.0", "public")
    assert data.magicLink == f"https://apkdrop.example.test/app/{data.id}"
    assert data.versionedMagicLink == f"{data.magicLink}?version=1.0"
    assert len(data.id) == 22 and answer.warnings == []

    app = deps.applications.get_app(data.id)
    assert (app.accountId, app.packageName, app.appLabel) == (ALICE.id, "com.example.flow", "Flow")
    assert app.latest_application_version == 1
    (version,) = deps.applications.versions(data.id)
    assert (version.versionNumber, version.accessType) == (1, AccessType.PUBLIC)
    assert version.size == len(content)
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.uploaderEmail == "alice@example.com"
    assert version.releaseNotes == "First!"
    assert version.apkInfo.packageName == "com.example.flow"
    assert version.application_meta_data.package_info.model_dump() == {
        "version_name": "1.2.3",
        "version_code": 123,
    }
    assert version.objectName.startswith(f"applications/{ALICE.id}/")
    assert app_objects(deps) == {version.objectName}
    assert fake_bucket(deps).data(version.objectName) == content


def test_second_upload_is_version_2_of_the_same_app(deps: Dependencies) -> None:
    first = upload(deps, ALICE, apk()).data
    second = upload(deps, ALICE, apk(name="1.1", code=2)).data

    assert (second.id, second.version) == (first.id, "2.0")
    assert second.versionedMagicLink.endswith(f"/app/{first.id}?version=2.0")
    versions = deps.applications.versions(first.id)
    assert [v.versionNumber for v in versions] == [2, 1]
    assert [v.apkInfo.versionCode for v in versions] == [2, 1]
    assert deps.applications.get_app(first.id).latest_application_version == 2
    assert app_objects(deps) == {v.objectName for v in versions} and len(app_objects(deps)) == 2


def test_create_new_app_and_where_later_versions_go(deps: Dependencies) -> None:
    first = upload(deps, ALICE, apk()).data
    upload(deps, ALICE, apk())

    separate = upload(deps, ALICE, apk(), versionAction="create_new_app").data
    assert separate.id != first.id
    assert separate.version == "1.0"

    # Without appId a new version goes to the package's most recent app...
    latest = upload(deps, ALICE, apk()).data
    assert (latest.id, latest.version) == (separate.id, "2.0")
    # ...and appId picks an older one.
    older = upload(deps, ALICE, apk(), appId=first.id).data
    assert (older.id, older.version) == (first.id, "3.0")


def test_do_nothing_creates_a_new_package(deps: Dependencies) -> None:
    created = upload(deps, ALICE, apk("com.example.nothing"), versionAction="DO_NOTHING").data
    assert created.version == "1.0"


def test_do_nothing_refuses_an_existing_package_and_stores_nothing(deps: Dependencies) -> None:
    created = upload(deps, ALICE, apk("com.example.nothing")).data
    before = dict(fake_bucket(deps).objects)

    error = refused(deps, ALICE, apk("com.example.nothing"), versionAction="do_nothing")

    assert isinstance(error, Conflict)
    assert error.detail == CONFLICT.format("com.example.nothing")
    assert fake_bucket(deps).objects == before
    assert [v.versionNumber for v in deps.applications.versions(created.id)] == [1]
    assert len(fake_bucket(deps).deleted) == 1  # the streamed copy was removed


def test_do_nothing_with_an_app_id_is_refused_too(deps: Dependencies) -> None:
    created = upload(deps, ALICE, apk()).data
    error = refused(deps, ALICE, apk(), versionAction="DO_NOTHING", appId=created.id)
    assert isinstance(error, Conflict)


def test_another_accounts_package_is_a_new_app(deps: Dependencies) -> None:
    mine = upload(deps, ALICE, apk()).data
    theirs = upload(deps, BOB, apk(), versionAction="do_nothing").data
    assert theirs.id != mine.id and theirs.version == "1.0"


def test_private_upload_and_a_public_update(deps: Dependencies) -> None:
    private = upload(
        deps,
        ALICE,
        apk(),
        accessType="private",
        allowedUsers="QA@example.com, lead@example.com",
        sendNotification="yes",
        notificationEmails="dev@example.com,broken@",
    )
    assert private.data.accessType == "private"
    assert private.warnings == ["Ignored invalid notification email: 'broken@'"]
    (version,) = deps.applications.versions(private.data.id)
    assert version.accessType is AccessType.PRIVATE
    assert version.allowedUsers == ["qa@example.com", "lead@example.com"]
    assert version.sendNotification is True
    assert version.notificationEmails == ["dev@example.com"]

    # Public only when asked for: an upload that omits accessType inherits (see below).
    public = upload(deps, ALICE, apk(), accessType="public").data
    assert public.accessType == "public"
    newest, older = deps.applications.versions(private.data.id)
    assert (newest.accessType, newest.allowedUsers) == (AccessType.PUBLIC, [])
    assert (older.accessType, older.allowedUsers) == (version.accessType, version.allowedUsers)


def test_a_concurrently_created_app_gets_the_version(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request claimed the package between our look-up and our create_app."""
    first = upload(deps, ALICE, apk()).data
    real_lookup = fake_store(deps).latest_app_for_package
    answers = iter([None])
    monkeypatch.setattr(
        fake_store(deps),
        "latest_app_for_package",
        lambda *args: next(answers, None) or real_lookup(*args),
    )

    second = upload(deps, ALICE, apk()).data

    assert (second.id, second.version) == (first.id, "2.0")
    assert len(fake_store(deps).apps) == 1


def test_a_concurrently_created_app_conflicts_with_do_nothing(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(deps, ALICE, apk())
    real_lookup = fake_store(deps).latest_app_for_package
    answers = iter([None])
    monkeypatch.setattr(
        fake_store(deps),
        "latest_app_for_package",
        lambda *args: next(answers, None) or real_lookup(*args),
    )
    assert isinstance(refused(deps, ALICE, apk(), versionAction="do_nothing"), Conflict)
    assert len(app_objects(deps)) == 1


# --- appId ---------------------------------------------------------------------------------------


def test_another_accounts_app_id_is_not_found(deps: Dependencies) -> None:
    theirs = upload(deps, BOB, apk()).data
    before = dict(fake_bucket(deps).objects)

    error = refused(deps, ALICE, apk(), appId=theirs.id)

    assert isinstance(error, NotFound)
    assert error.detail == f"Application {theirs.id} not found"
    assert fake_bucket(deps).objects == before
    assert [v.versionNumber for v in deps.applications.versions(theirs.id)] == [1]


def test_unknown_app_id_is_not_found(deps: Dependencies) -> None:
    error = refused(deps, ALICE, apk(), appId="A" * 22)
    assert isinstance(error, NotFound) and error.detail == f"Application {'A' * 22} not found"
    assert app_objects(deps) == set()


def test_app_id_of_another_package_is_refused(deps: Dependencies) -> None:
    other = upload(deps, ALICE, apk("com.example.other")).data

    error = refused(deps, ALICE, apk("com.example.app"), appId=other.id)

    assert isinstance(error, InvalidRequest)
    assert error.detail == (
        f"appId {other.id} is an app of package 'com.example.other', "
        "not of this APK's 'com.example.app'"
    )
    assert len(app_objects(deps)) == 1


# --- files that are refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"not an apk at all", "Invalid APK: not a zip archive"),
        (build_zip({"classes.dex": b"dex"}), "Invalid APK: AndroidManifest.xml is missing"),
        (
            build_zip({"BundleConfig.pb": b"", "base/manifest/AndroidManifest.xml": b"pb"}),
            "Invalid App Bundle: bundle manifest is not a valid protobuf XmlNode",
        ),
    ],
)
def test_an_invalid_apk_is_refused_and_deleted(
    deps: Dependencies, content: bytes, detail: str
) -> None:
    error = refused(deps, ALICE, content)

    assert isinstance(error, InvalidRequest)
    assert error.detail == detail
    (started,) = fake_bucket(deps).started
    assert fake_bucket(deps).deleted == [started.object_name]
    assert fake_bucket(deps).objects == {}
    assert fake_store(deps).apps == {}


def test_an_empty_file_is_refused(deps: Dependencies) -> None:
    error = refused(deps, ALICE, b"")
    assert (type(error), error.detail) == (InvalidRequest, "The uploaded file is empty")
    assert fake_bucket(deps).objects == {}


def test_a_file_over_the_direct_limit_is_too_large() -> None:
    deps = fake_dependencies(max_direct_upload_bytes=1000)
    with pytest.raises(PayloadTooLarge) as caught, UploadSession(deps, ALICE) as session:
        writer = session.file_writer()
        writer.write(b"x" * 600)
        writer.write(b"x" * 600)
    assert caught.value.detail == too_large_detail(1000)
    assert "POST /v1/application/uploads" in caught.value.detail
    (started,) = fake_bucket(deps).started
    assert started.terminated
    assert fake_bucket(deps).objects == {}


def test_a_file_at_the_direct_limit_is_accepted() -> None:
    content = apk()
    deps = fake_dependencies(max_direct_upload_bytes=len(content))
    assert upload(deps, ALICE, content).data.version == "1.0"


def test_one_file_per_request(deps: Dependencies) -> None:
    with pytest.raises(InvalidRequest) as caught, UploadSession(deps, ALICE) as session:
        session.file_writer().write(apk())
        session.file_writer()
    assert caught.value.detail == "Send exactly one file, in the field 'file'"
    assert fake_bucket(deps).started[0].terminated
    assert fake_bucket(deps).objects == {}


def test_a_request_that_fails_before_publishing_abandons_the_upload(deps: Dependencies) -> None:
    """A bad field after the file: the streamed upload is cancelled, never finished."""
    with pytest.raises(InvalidRequest), UploadSession(deps, ALICE) as session:
        session.file_writer().write(apk())
        read_upload_form(MultiDict({"accessType": "secret"}), True, deps.settings)
    (started,) = fake_bucket(deps).started
    assert started.terminated
    assert fake_bucket(deps).objects == {}


def test_a_backend_failure_while_publishing_removes_the_object(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object) -> bool:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(fake_store(deps), "create_app", unavailable)
    with pytest.raises(BackendUnavailable):
        upload(deps, ALICE, apk())
    assert fake_bucket(deps).objects == {}
    assert len(fake_bucket(deps).deleted) == 1


def test_a_failed_cleanup_does_not_hide_the_original_error(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    monkeypatch.setattr(fake_bucket(deps), "delete_object", unavailable)
    error = refused(deps, ALICE, b"junk")
    assert error.detail == "Invalid APK: not a zip archive"


def test_a_published_upload_is_kept(deps: Dependencies) -> None:
    answer = upload(deps, ALICE, apk())
    assert fake_bucket(deps).deleted == []
    assert not fake_bucket(deps).started[0].terminated
    assert app_objects(deps) == {deps.applications.versions(answer.data.id)[0].objectName}


@pytest.mark.parametrize("action", ["do_nothing", "create_new_version", "create_new_app"])
def test_a_first_upload_whose_commit_was_resent_once_applied_is_published(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """The library resends a commit whose answer was lost; the resend finds this upload's own
    app. It once read as a concurrent upload's: a 409 whose undo deleted version 1's file, a
    version 2 of the same file, or a 503 that deleted it."""
    real_create = fake_store(deps).create_app

    def resent(*args: object) -> bool:
        real_create(*args)
        return real_create(*args)

    monkeypatch.setattr(fake_store(deps), "create_app", resent)

    answer = upload(deps, ALICE, apk(), versionAction=action)

    assert answer.data.version == "1.0"
    (version,) = fake_store(deps).versions(answer.data.id)
    assert app_objects(deps) == {version.objectName}


def commits_unconfirmed(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch, method: str, applied: bool
) -> None:
    """The store's `method` answers its next call as the adapter does when its commit failed
    and Firestore could not be read to find out whether it was applied: `applied` says if it
    was."""
    real = getattr(fake_store(deps), method)
    unconfirmed = iter([applied])

    def commit(*args: object) -> object:
        outcome = next(unconfirmed, None)
        if outcome is None:
            return real(*args)
        if outcome:
            real(*args)
        raise CommitOutcomeUnknown("Firestore is unavailable, retry later")

    monkeypatch.setattr(fake_store(deps), method, commit)


def swept_a_day_later(deps: Dependencies) -> None:
    deps.clock.now += ABANDONED_UPLOAD_GRACE + STALE_CLAIM
    delete_abandoned_uploads(deps, budget=10)


@pytest.mark.parametrize("action", ["do_nothing", "create_new_version", "create_new_app"])
def test_a_first_version_that_may_be_committed_keeps_its_files(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """The undo once deleted the APK and icon version 1 points at."""
    commits_unconfirmed(deps, monkeypatch, "create_app", applied=True)

    with pytest.raises(BackendUnavailable):
        upload(deps, ALICE, apk_with_icon(), versionAction=action)

    (app_id,) = fake_store(deps).apps
    (version,) = fake_store(deps).versions(app_id)
    assert version.iconObject is not None
    assert fake_bucket(deps).deleted == []
    assert {version.objectName, version.iconObject} <= set(fake_bucket(deps).objects)
    # Left to the sweep, which keeps a file a version points at.
    (left,) = fake_store(deps).uploads.values()
    assert left["objectName"] == version.objectName
    swept_a_day_later(deps)
    assert fake_store(deps).uploads == {}
    assert {version.objectName, version.iconObject} <= set(fake_bucket(deps).objects)


def test_a_new_version_that_may_be_committed_keeps_its_file(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The undo once deleted the file version 2 points at."""
    app_id = upload(deps, ALICE, apk()).data.id
    commits_unconfirmed(deps, monkeypatch, "append_version", applied=True)

    with pytest.raises(BackendUnavailable):
        upload(deps, ALICE, apk(code=2))

    newest = fake_store(deps).versions(app_id)[0]
    assert newest.versionNumber == 2
    assert fake_bucket(deps).deleted == []
    assert newest.objectName in app_objects(deps)
    swept_a_day_later(deps)
    assert newest.objectName in app_objects(deps)


def test_a_kept_file_no_version_points_at_is_deleted_by_the_sweep(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = upload(deps, ALICE, apk("com.example.icon")).data.id  # no icon
    commits_unconfirmed(deps, monkeypatch, "append_version", applied=False)

    with pytest.raises(BackendUnavailable):
        upload(deps, ALICE, apk_with_icon())  # the same package, with an icon

    (version,) = fake_store(deps).versions(first)
    assert len(app_objects(deps)) == 2
    icons = [name for name in fake_bucket(deps).objects if name.startswith("icons/")]
    assert len(icons) == 1  # the upload's own: version 1 has none
    swept_a_day_later(deps)
    assert app_objects(deps) == {version.objectName}
    assert not any(name.startswith("icons/") for name in fake_bucket(deps).objects)


# --- large uploads ------------------------------------------------------------------------------


def start_large(deps: Dependencies, account: Caller, content: bytes | None) -> str:
    """Creates a large upload and, given content, PUTs it where the version will keep it."""
    started = create_large_upload(deps, account)
    if content is not None:
        fake_bucket(deps).put(put_object_name(deps, started.uploadId), content)
    return started.uploadId


def put_object_name(deps: Dependencies, upload_id: str) -> str:
    return fake_store(deps).uploads[upload_id]["objectName"]


def test_create_large_upload(deps: Dependencies) -> None:
    started = create_large_upload(deps, ALICE)

    (call,) = fake_bucket(deps).signed
    assert call.object_name == apk_object_name(ALICE.id, started.uploadId)
    assert call.object_name == f"applications/{ALICE.id}/{started.uploadId}.apk"
    assert call.headers == upload_headers(deps.settings.max_upload_bytes)
    # The PUT may only create the object: it can never replace a published version's file.
    assert call.headers["x-goog-if-generation-match"] == "0"
    assert call.ttl == datetime.timedelta(seconds=deps.settings.upload_url_ttl_seconds)
    assert started.uploadSpec.url == call.url
    assert started.uploadSpec.method == "PUT"
    assert started.uploadSpec.headers == call.headers
    assert started.expiresInSeconds == deps.settings.upload_url_ttl_seconds
    created = fake_store(deps).uploads[started.uploadId]["dateCreated"]
    assert fake_store(deps).uploads[started.uploadId] == {
        "accountId": ALICE.id,
        "objectName": call.object_name,
        "dateCreated": created,
        "urlExpiresAt": created + call.ttl,
        "claimed": False,
    }
    assert read_upload_form(
        MultiDict({"uploadId": started.uploadId}), False, deps.settings
    ).uploadId


def test_large_upload_is_published_in_place_and_hashed(deps: Dependencies) -> None:
    content = apk("com.example.large", "9.0", 900, padding_bytes=300 * 1024)
    upload_id = start_large(deps, ALICE, None)
    put = fake_bucket(deps).put(put_object_name(deps, upload_id), content)

    answer = upload(deps, ALICE, uploadId=upload_id)

    assert answer.data.version == "1.0"
    (version,) = deps.applications.versions(answer.data.id)
    assert version.size == len(content)
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    # The very object the client PUT, not a copy: same name, same generation.
    assert (version.objectName, version.objectGeneration) == (put.name, put.generation)
    assert fake_bucket(deps).find_object(put.name) == put
    assert app_objects(deps) == {put.name}
    assert (fake_store(deps).claims, fake_store(deps).releases) == ([upload_id], [])


def test_large_upload_can_be_used_once(deps: Dependencies) -> None:
    upload_id = start_large(deps, ALICE, apk())
    upload(deps, ALICE, uploadId=upload_id)

    error = refused(deps, ALICE, uploadId=upload_id)

    assert isinstance(error, NotFound)
    assert error.detail == f"Upload {upload_id} not found (or already used)"
    assert fake_store(deps).releases == []


def test_another_accounts_large_upload_is_not_found(deps: Dependencies) -> None:
    upload_id = start_large(deps, BOB, apk())
    assert isinstance(refused(deps, ALICE, uploadId=upload_id), NotFound)
    assert upload(deps, BOB, uploadId=upload_id).data.version == "1.0"


def test_unknown_large_upload_is_not_found(deps: Dependencies) -> None:
    error = refused(deps, ALICE, uploadId="B" * 22)
    assert isinstance(error, NotFound)
    assert error.detail == f"Upload {'B' * 22} not found (or already used)"


def test_large_upload_without_its_file_is_released_for_a_retry(deps: Dependencies) -> None:
    upload_id = start_large(deps, ALICE, None)

    error = refused(deps, ALICE, uploadId=upload_id)

    assert isinstance(error, InvalidRequest)
    assert error.detail == f"Upload {upload_id} has no file yet: PUT it to its uploadSpec"
    assert fake_store(deps).releases == [upload_id]
    fake_bucket(deps).put(put_object_name(deps, upload_id), apk())
    assert upload(deps, ALICE, uploadId=upload_id).data.version == "1.0"


def test_large_upload_over_the_limit_is_refused_and_released() -> None:
    deps = fake_dependencies(max_upload_bytes=1000)
    upload_id = start_large(deps, ALICE, b"x" * 1001)

    error = refused(deps, ALICE, uploadId=upload_id)

    assert (type(error), error.detail) == (
        InvalidRequest,
        "The uploaded file is larger than the limit",
    )
    assert fake_store(deps).releases == [upload_id]
    # The PUT file stays where it is: the retention sweep deletes it once its URL expired.
    assert app_objects(deps) == {put_object_name(deps, upload_id)}


def test_invalid_large_upload_is_released_and_its_object_kept(deps: Dependencies) -> None:
    upload_id = start_large(deps, ALICE, b"definitely not a zip")

    error = refused(deps, ALICE, uploadId=upload_id)

    assert error.detail == "Invalid APK: not a zip archive"
    assert fake_store(deps).claims == [upload_id]
    assert fake_store(deps).releases == [upload_id]
    assert fake_bucket(deps).deleted == []
    assert app_objects(deps) == {put_object_name(deps, upload_id)}
    assert fake_store(deps).apps == {}


def test_do_nothing_conflict_releases_the_large_upload(deps: Dependencies) -> None:
    upload(deps, ALICE, apk())
    upload_id = start_large(deps, ALICE, apk())

    error = refused(deps, ALICE, uploadId=upload_id, versionAction="DO_NOTHING")

    assert isinstance(error, Conflict)
    assert fake_store(deps).releases == [upload_id]
    # The first upload's APK, and the PUT file left for a retry (or the sweep).
    (first,) = deps.applications.versions(next(iter(fake_store(deps).apps)))
    assert app_objects(deps) == {first.objectName, put_object_name(deps, upload_id)}


def test_a_transient_failure_after_the_claim_can_be_retried(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_id = start_large(deps, ALICE, apk())
    put = fake_bucket(deps).find_object(put_object_name(deps, upload_id))
    real_create = fake_store(deps).create_app
    failures = iter([BackendUnavailable("Firestore is unavailable, retry later")])

    def flaky_create(*args: object) -> bool:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_create(*args)

    monkeypatch.setattr(fake_store(deps), "create_app", flaky_create)
    with pytest.raises(BackendUnavailable):
        upload(deps, ALICE, uploadId=upload_id)
    assert fake_store(deps).releases == [upload_id]
    assert fake_bucket(deps).find_object(put.name) == put

    answer = upload(deps, ALICE, uploadId=upload_id)
    (version,) = deps.applications.versions(answer.data.id)
    assert (version.objectName, version.objectGeneration) == (put.name, put.generation)


def test_a_large_upload_that_may_be_published_is_not_released(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Released, the client's retry once published the same file as a second version, so that
    deleting either deleted the other's file."""
    app_id = upload(deps, ALICE, apk()).data.id
    upload_id = start_large(deps, ALICE, apk(code=2))
    commits_unconfirmed(deps, monkeypatch, "append_version", applied=True)

    with pytest.raises(BackendUnavailable):
        upload(deps, ALICE, uploadId=upload_id)
    assert isinstance(refused(deps, ALICE, uploadId=upload_id), NotFound)  # the CLI's retry

    assert fake_store(deps).releases == []
    newest, _ = fake_store(deps).versions(app_id)
    assert (newest.versionNumber, newest.objectName) == (2, put_object_name(deps, upload_id))
    swept_a_day_later(deps)  # its claim is stale by then: the record goes, the file stays
    assert fake_store(deps).uploads == {}
    assert newest.objectName in app_objects(deps)


# --- apkUrl -------------------------------------------------------------------------------------


@pytest.fixture
def web(deps: Dependencies, monkeypatch: pytest.MonkeyPatch) -> FakeWeb:
    served = FakeWeb()
    served.install(monkeypatch)
    deps.url_fetcher.resolver.names["files.example.com"] = ["93.184.216.34"]
    deps.url_fetcher.resolver.names["intranet.example.com"] = ["10.0.0.9"]
    return served


def test_url_import(deps: Dependencies, web: FakeWeb) -> None:
    content = apk("com.example.fetched", "2.0", 20)
    url = web.serve("https://files.example.com/builds/app.apk", content)

    answer = upload(deps, ALICE, apkUrl=url)

    (version,) = deps.applications.versions(answer.data.id)
    assert version.apkInfo.packageName == "com.example.fetched"
    assert (version.size, version.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert fake_bucket(deps).data(version.objectName) == content


def test_url_import_over_the_limit_is_refused() -> None:
    deps = fake_dependencies(max_upload_bytes=1000)
    deps.url_fetcher.resolver.names["files.example.com"] = ["93.184.216.34"]
    with pytest.MonkeyPatch.context() as monkeypatch:
        web = FakeWeb()
        web.install(monkeypatch)
        url = web.serve("https://files.example.com/big.apk", b"x" * 5000)
        error = refused(deps, ALICE, apkUrl=url)
    assert error.detail == "apkUrl is larger than 1000 bytes"
    (started,) = fake_bucket(deps).started
    assert started.terminated
    assert fake_bucket(deps).objects == {}


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://intranet.example.com/app.apk", "apkUrl points to a private or reserved address"),
        ("https://files.example.com/missing.apk", "apkUrl answered HTTP 404"),
        ("https://files.example.com/page.html", "Invalid APK: not a zip archive"),
    ],
)
def test_url_import_failures_leave_nothing(
    deps: Dependencies, web: FakeWeb, url: str, detail: str
) -> None:
    web.serve("https://files.example.com/page.html", b"<html>hello</html>")
    assert refused(deps, ALICE, apkUrl=url).detail == detail
    assert fake_bucket(deps).objects == {}
    assert fake_store(deps).apps == {}


# --- magic links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://apps.example.org", "https://apps.example.org/app/"),
        ("https://apps.example.org/", "https://apps.example.org/app/"),
        ("https://apps.example.org/share/", "https://apps.example.org/share/app/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/app/"),
    ],
)
def test_magic_links_follow_the_public_base_url(base: str, expected: str) -> None:
    deps = fake_dependencies(public_base_url=base)
    data = upload(deps, ALICE, apk()).data
    assert data.magicLink == expected + data.id
    assert data.versionedMagicLink == f"{expected}{data.id}?version=1.0"
    detail = queries.get_application(deps, ALICE, data.id).data
    assert detail.magicLink == data.magicLink
    assert detail.versions[0].versionedMagicLink == data.versionedMagicLink


# --- queries ------------------------------------------------------------------------------------


def listed_apps(deps: Dependencies, caller: Caller) -> list[ApplicationView]:
    """The first page of the caller's apps (the tests' accounts have fewer)."""
    page = queries.list_applications(deps, caller, PageRequest(limit=DEFAULT_PAGE_SIZE, after=None))
    assert page.nextPageToken is None
    return page.data


def test_list_applications_newest_first(deps: Dependencies) -> None:
    first = upload(deps, ALICE, apk("com.example.one", label="One")).data
    second = upload(deps, ALICE, apk("com.example.two")).data
    upload(deps, ALICE, apk("com.example.one", label="One"))  # no reordering by versions
    upload(deps, BOB, apk("com.example.bob"))

    listed = listed_apps(deps, ALICE)

    assert [(a.id, a.latestVersion) for a in listed] == [(second.id, "1.0"), (first.id, "2.0")]
    one = listed[1]
    assert (one.packageName, one.appLabel, one.accessType) == ("com.example.one", "One", "public")
    assert one.magicLink == first.magicLink
    assert listed[0].dateCreated > one.dateCreated


def test_get_application_versions_newest_first(deps: Dependencies) -> None:
    content = apk("com.example.read", "4.5", 45)
    app = upload(deps, ALICE, content, releaseNotes="First!").data
    upload(
        deps,
        ALICE,
        apk("com.example.read", "4.6", 46),
        accessType="PRIVATE",
        allowedUsers="qa@example.com",
    )

    detail = queries.get_application(deps, ALICE, app.id).data

    assert (detail.id, detail.latestVersion, detail.accessType) == (app.id, "2.0", "private")
    assert [v.version for v in detail.versions] == ["2.0", "1.0"]
    newest, oldest = detail.versions
    assert (newest.accessType, newest.allowedUsers) == ("private", ["qa@example.com"])
    assert newest.versionedMagicLink == f"{app.magicLink}?version=2.0"
    assert oldest.releaseNotes == "First!"
    assert oldest.size == len(content)
    assert oldest.fileType == "APK"
    assert oldest.application_meta_data.package_info.version_code == 45
    dumped = detail.model_dump(mode="json")
    assert "objectName" not in dumped["versions"][0]
    assert "versionNumber" not in dumped["versions"][0]
    assert dumped["dateCreated"].endswith("Z")


def test_another_accounts_app_does_not_exist(deps: Dependencies) -> None:
    theirs = upload(deps, BOB, apk()).data
    with pytest.raises(NotFound) as caught:
        queries.get_application(deps, ALICE, theirs.id)
    assert caught.value.detail == f"Application {theirs.id} not found"
    assert listed_apps(deps, ALICE) == []


def test_unknown_app_does_not_exist(deps: Dependencies) -> None:
    with pytest.raises(NotFound):
        queries.get_application(deps, ALICE, "nope")
