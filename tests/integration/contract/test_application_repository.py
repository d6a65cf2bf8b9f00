"""ApplicationRepository: `FakeApplicationStore` and `ApplicationStore` keep the same contract."""

import datetime

import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.batch import WriteBatch
from google.cloud.firestore_v1.document import DocumentReference

from apkdrop.adapters import firestore_applications
from apkdrop.apk.models import ApkInfo
from apkdrop.applications.idempotency import KeyUsed, UploadKey
from apkdrop.applications.models import (
    MAX_CHANNELS_SHOWN,
    AccessType,
    Application,
    ApplicationMetaData,
    Awaited,
    Hashing,
    HashState,
    PackageInfo,
    Version,
)
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.applications.tombstones import FINISHED, AppTombstone, VersionTombstone
from apkdrop.channels import DEFAULT_CHANNEL
from apkdrop.conversions.models import PENDING, Conversion, ConversionState, UniversalApk
from apkdrop.errors import BackendUnavailable, CommitOutcomeUnknown, Conflict, InvalidRequest
from apkdrop.notifications.models import Notification, NotificationState
from tests.fakes import FakeApplicationStore
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration
CREATED = datetime.datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=datetime.UTC)


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> ApplicationRepository:
    return fake_or_firestore(request, FakeApplicationStore, firestore_applications.ApplicationStore)


def new_app(
    account_id: str | None = None, package: str = "com.example.contract", hours: int = 0
) -> Application:
    return Application(
        id=unique("app"),
        accountId=account_id or unique("acct"),
        ownerEmail="owner@example.com",
        packageName=package,
        appLabel="Contract",
        dateCreated=CREATED + datetime.timedelta(hours=hours),
        latest_application_version=1,
    )


def version_of(
    app: Application, number: int, name: str = "1.0", channel: str = DEFAULT_CHANNEL
) -> Version:
    return Version(
        versionNumber=number,
        application_meta_data=ApplicationMetaData(
            package_info=PackageInfo(version_name=name, version_code=number)
        ),
        apkInfo=ApkInfo(
            packageName=app.packageName,
            versionName=name,
            versionCode=number,
            minSdkVersion=24,
            targetSdkVersion=34,
            hasInstrumentation=False,
            permissions=["android.permission.INTERNET"],
        ),
        size=1024 * number,
        sha256=f"{number:02x}" * 32,
        channel=channel,
        uploaderEmail="ci@example.com",
        uploadTime=CREATED + datetime.timedelta(minutes=number),
        accessType=AccessType.PUBLIC,
        allowedUsers=["tester@example.com"],
        objectName=f"applications/{app.accountId}/{app.id}/{number}.apk",
    )


def created(store: ApplicationRepository, app: Application) -> Application:
    assert store.create_app(app, version_of(app, 1), claim_package=True)
    return app


def append(
    store: ApplicationRepository, app: Application, changes: dict | None = None
) -> tuple[Application, Version]:
    return store.append_version(
        app.id,
        DEFAULT_CHANNEL,
        lambda latest, number: version_of(app, number, f"{number}.0"),
        changes or {},
    )


def test_a_created_app_reads_back_with_its_first_version(store: ApplicationRepository) -> None:
    app = new_app()
    assert store.create_app(app, version_of(app, 1), claim_package=True) is True
    assert store.get_app(app.id) == app
    assert store.get_version(app.id, 1) == (app, version_of(app, 1))
    assert store.latest_app_for_package(app.accountId, app.packageName) == app


def test_what_does_not_exist_is_none(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    assert store.get_app(unique("app")) is None
    assert store.get_version(unique("app"), 1) is None
    assert store.get_version(app.id, 2) is None
    assert store.latest_app_for_package(app.accountId, "com.example.other") is None
    assert store.latest_app_for_package(unique("acct"), app.packageName) is None


def test_claiming_a_package_an_app_has_already_is_false_and_creates_nothing(
    store: ApplicationRepository,
) -> None:
    first = created(store, new_app())
    second = new_app(first.accountId)
    assert store.create_app(second, version_of(second, 1), claim_package=True) is False
    assert store.get_app(second.id) is None
    assert store.get_version(second.id, 1) is None
    assert store.latest_app_for_package(first.accountId, first.packageName) == first


def test_a_new_app_without_the_claim_becomes_the_packages_latest(
    store: ApplicationRepository,
) -> None:
    first = created(store, new_app())
    second = new_app(first.accountId, hours=1)
    assert store.create_app(second, version_of(second, 1), claim_package=False) is True
    assert store.latest_app_for_package(first.accountId, first.packageName) == second
    assert store.get_app(first.id) == first


def test_an_app_id_is_created_once(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    again = app.model_copy(update={"packageName": "com.example.again"})
    # Another upload's: its own file.
    first = version_of(again, 1).model_copy(update={"objectName": unique("applications/")})
    assert store.create_app(again, first, claim_package=True) is False
    with pytest.raises(BackendUnavailable):
        store.create_app(again, first, claim_package=False)
    assert store.get_app(app.id) == app


@pytest.mark.parametrize("claim_package", [True, False])
def test_a_create_sent_again_once_applied_is_done(
    store: ApplicationRepository, claim_package: bool
) -> None:
    """As the library's resend of a commit whose answer was lost: it finds its own app, not one
    a concurrent upload created."""
    app = created(store, new_app())
    assert store.create_app(app, version_of(app, 1), claim_package) is True
    assert store.get_version(app.id, 1) == (app, version_of(app, 1))
    assert [v.versionNumber for v in store.versions(app.id)] == [1]
    assert store.latest_app_for_package(app.accountId, app.packageName) == app


def test_an_appended_version_is_made_from_the_latest_and_updates_the_app(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    seen: list[tuple[Version | None, int]] = []

    def make(latest: Version | None, number: int) -> Version:
        seen.append((latest, number))
        return version_of(app, number, "2.0")

    updated, version = store.append_version(app.id, DEFAULT_CHANNEL, make, {"appLabel": "Renamed"})
    expected = app.model_copy(
        update={
            "appLabel": "Renamed",
            "latest_application_version": 2,
            "lastVersionNumber": 2,
            "channels": [DEFAULT_CHANNEL],
        }
    )
    assert seen == [(version_of(app, 1), 2)]
    assert (updated, version) == (expected, version_of(app, 2, "2.0"))
    assert store.get_app(app.id) == expected
    assert store.get_version(app.id, 2) == (expected, version)


def test_a_version_appended_meanwhile_makes_the_append_retry_after_it(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    seen: list[tuple[Version | None, int]] = []
    mine = {"objectName": f"applications/{app.accountId}/mine.apk"}  # each upload its own file

    def make(latest: Version | None, number: int) -> Version:
        seen.append((latest, number))
        if len(seen) == 1:
            append(store, app)  # a concurrent upload commits version 2 before this one
        return version_of(app, number, "mine").model_copy(update=mine)

    updated, version = store.append_version(app.id, DEFAULT_CHANNEL, make, {})
    assert [number for _, number in seen] == [2, 3]
    assert seen[-1][0] == version_of(app, 2, "2.0")
    expected = version_of(app, 3, "mine").model_copy(update=mine)
    assert (updated.latest_application_version, version) == (3, expected)
    assert [v.versionNumber for v in store.versions(app.id)] == [3, 2, 1]


def append_in(
    store: ApplicationRepository, app: Application, channel: str
) -> tuple[Version | None, Version]:
    """Appends a version to `channel`: (the version it was made from, the new one)."""
    seen: list[Version | None] = []

    def make(previous: Version | None, number: int) -> Version:
        seen.append(previous)
        return version_of(app, number, f"{number}.0", channel)

    _, version = store.append_version(app.id, channel, make, {})
    return seen[-1], version


def test_a_version_is_made_from_its_channels_newest_else_the_apps_latest(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    first_nightly = append_in(store, app, "nightly")
    default = append_in(store, app, DEFAULT_CHANNEL)
    second_nightly = append_in(store, app, "nightly")
    store.delete_version(app.id, 4, "owner@example.com", CREATED)
    third_nightly = append_in(store, app, "nightly")

    assert first_nightly == (version_of(app, 1), version_of(app, 2, "2.0", "nightly"))
    assert default[0] == version_of(app, 1)  # the default channel's, not nightly's 2.0
    assert second_nightly[0] == version_of(app, 2, "2.0", "nightly")
    assert third_nightly[0] == version_of(app, 2, "2.0", "nightly")  # 4.0 was deleted
    assert [v.channel for v in store.versions(app.id)] == [
        "nightly",
        DEFAULT_CHANNEL,
        "nightly",
        DEFAULT_CHANNEL,
    ]


def stored_before_channels(
    store: ApplicationRepository, request: pytest.FixtureRequest, app_id: str, number: int
) -> None:
    """Rewrites version `number`'s document as it was before versions had a channel."""
    if isinstance(store, FakeApplicationStore):
        del store.version_docs[app_id][number]["channel"]
    else:
        client = request.getfixturevalue("firestore_client")
        firestore_applications.version_ref(client, app_id, number).update(
            {"channel": firestore.DELETE_FIELD}
        )


def test_a_version_stored_before_channels_is_the_default_channels(
    store: ApplicationRepository, request: pytest.FixtureRequest
) -> None:
    app = created(store, new_app())
    stored_before_channels(store, request, app.id, 1)
    append_in(store, app, "nightly")

    previous, _ = append_in(store, app, DEFAULT_CHANNEL)
    assert previous == version_of(app, 1)


def test_a_notification_is_set_on_its_version(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    append(store, app)
    notification = Notification(
        status=NotificationState.QUEUED, recipients=["tester@example.com"], queuedAt=CREATED
    )
    store.set_notification(app.id, 2, notification)
    assert store.get_version(app.id, 2)[1].notification == notification
    assert store.get_version(app.id, 1)[1].notification is None


def test_a_notification_of_a_missing_version_is_refused(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    notification = Notification(status=NotificationState.SENT, recipients=[], queuedAt=CREATED)
    with pytest.raises(BackendUnavailable):
        store.set_notification(app.id, 2, notification)


def test_the_apps_of_an_account_are_its_own_newest_first(store: ApplicationRepository) -> None:
    account_id = unique("acct")
    apps = [
        created(store, new_app(account_id, f"com.example.p{hours}", hours=hours))
        for hours in (1, 3, 2)
    ]
    created(store, new_app())
    newest_first = sorted(apps, key=lambda app: app.dateCreated, reverse=True)
    assert store.apps_of_account(account_id, 10, None) == (newest_first, None)
    assert store.apps_of_account(unique("acct"), 10, None) == ([], None)


def test_the_apps_of_an_account_come_in_pages_with_ties_broken_by_id(
    store: ApplicationRepository,
) -> None:
    account_id = unique("acct")
    apps = [
        created(store, new_app(account_id, f"com.example.p{n}", hours=hours))
        for n, hours in enumerate((0, 2, 0, 1, 0))  # three created at the same instant
    ]
    newest_first = sorted(apps, key=lambda app: (app.dateCreated, app.id), reverse=True)

    first, after_first = store.apps_of_account(account_id, 2, None)
    second, after_second = store.apps_of_account(account_id, 2, after_first)
    last, end = store.apps_of_account(account_id, 2, after_second)

    assert first + second + last == newest_first
    assert [len(first), len(second), len(last)] == [2, 2, 1] and end is None
    assert after_first == (first[-1].dateCreated, first[-1].id)
    assert store.apps_of_account(account_id, 5, None) == (newest_first, None)


def test_a_deleted_app_takes_no_place_in_a_page_of_apps(store: ApplicationRepository) -> None:
    account_id = unique("acct")
    oldest, deleted, newest = [
        created(store, new_app(account_id, f"com.example.p{hours}", hours=hours))
        for hours in (0, 1, 2)
    ]
    store.delete_app(deleted.id, "owner@example.com", DELETED_AT)
    assert store.apps_of_account(account_id, 2, None) == ([newest, oldest], None)


def test_the_versions_of_an_app_are_newest_first(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    for _ in range(10):  # past 9: numbers, not strings, are what orders them
        append(store, app)
    assert [version.versionNumber for version in store.versions(app.id)] == list(range(11, 0, -1))
    assert store.versions(unique("app")) == []


def test_the_newest_versions_are_a_window_by_number_with_the_next_ones_below(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    for _ in range(11):  # past 9: numbers, not strings, are what orders them
        append(store, app)

    newest, below = store.newest_versions(app.id, 5)
    older, last = store.newest_versions(app.id, 5, below=below)
    oldest, end = store.newest_versions(app.id, 5, below=last)

    assert [v.versionNumber for v in newest] == [12, 11, 10, 9, 8] and below == 8
    assert [v.versionNumber for v in older] == [7, 6, 5, 4, 3] and last == 3
    assert [v.versionNumber for v in oldest] == [2, 1] and end is None
    assert store.newest_versions(app.id, 12) == (store.versions(app.id), None)
    assert store.newest_versions(unique("app"), 5) == ([], None)


def test_a_deleted_version_keeps_its_place_in_the_newest_versions(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    for _ in range(3):
        append(store, app)
    store.delete_version(app.id, 4, "owner@example.com", CREATED)
    store.delete_version(app.id, 3, "owner@example.com", CREATED)

    newest, below = store.newest_versions(app.id, 2)

    assert (newest, below) == ([], 3)  # two tombstones read, more below them
    assert [v.versionNumber for v in store.newest_versions(app.id, 2, below=3)[0]] == [2, 1]


def test_the_newest_versions_of_a_channel_are_its_own(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    for channel in ("nightly", DEFAULT_CHANNEL, "nightly", "nightly"):
        append_in(store, app, channel)
    store.delete_version(app.id, 5, "owner@example.com", CREATED)

    nightly, below = store.newest_versions(app.id, 1, "nightly")
    rest, end = store.newest_versions(app.id, 5, "nightly", below)

    assert [v.versionNumber for v in nightly] == [4] and below == 4  # 5.0 was deleted
    assert [v.versionNumber for v in rest] == [2] and end is None
    assert [v.versionNumber for v in store.newest_versions(app.id, 5, DEFAULT_CHANNEL)[0]] == [
        3,
        1,
    ]
    assert store.newest_versions(app.id, 5, "release") == ([], None)


def test_versions_stored_before_channels_are_the_default_channels_newest(
    store: ApplicationRepository, request: pytest.FixtureRequest
) -> None:
    app = created(store, new_app())
    append_in(store, app, "nightly")
    stored_before_channels(store, request, app.id, 1)

    found, _ = store.newest_versions(app.id, 5, DEFAULT_CHANNEL)

    assert [v.versionNumber for v in found] == [1]


def test_the_newest_of_channels_are_each_ones_newest_remaining_version(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    for channel in ("nightly", "beta", "nightly"):
        append_in(store, app, channel)
    store.delete_version(app.id, 4, "owner@example.com", CREATED)

    found = store.newest_of_channels(app.id, ["beta", "nightly", DEFAULT_CHANNEL, "release"])

    assert [(v.versionNumber, v.channel) for v in found] == [
        (3, "beta"),
        (2, "nightly"),  # 4.0 was deleted
        (1, DEFAULT_CHANNEL),
    ]
    assert store.newest_of_channels(app.id, []) == []


def test_a_version_commit_puts_its_channel_first_in_the_apps_channels(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app().model_copy(update={"channels": [DEFAULT_CHANNEL]}))

    moved, _ = store.append_version(
        app.id, "nightly", lambda _, number: version_of(app, number, channel="nightly"), {}
    )
    assert moved.channels == ["nightly", DEFAULT_CHANNEL]
    assert store.get_app(app.id).channels == ["nightly", DEFAULT_CHANNEL]

    append_in(store, app, DEFAULT_CHANNEL)
    assert store.get_app(app.id).channels == [DEFAULT_CHANNEL, "nightly"]


def test_the_apps_channels_keep_the_most_recently_uploaded_to(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app().model_copy(update={"channels": ["c0"]}))
    for n in range(1, MAX_CHANNELS_SHOWN + 1):
        append_in(store, app, f"c{n}")
    assert store.get_app(app.id).channels == [f"c{n}" for n in range(MAX_CHANNELS_SHOWN, 0, -1)]


def test_an_app_stored_without_channels_starts_its_list_from_its_newest_versions(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    assert app.channels is None
    append_in(store, app, "nightly")
    assert store.get_app(app.id).channels == ["nightly", DEFAULT_CHANNEL]


def test_versions_stored_before_channels_are_the_default_channels_newest_of_channels(
    store: ApplicationRepository, request: pytest.FixtureRequest
) -> None:
    app = created(store, new_app())
    append_in(store, app, "nightly")
    stored_before_channels(store, request, app.id, 1)

    found = store.newest_of_channels(app.id, ["nightly", DEFAULT_CHANNEL])

    assert [(v.versionNumber, v.channel) for v in found] == [(2, "nightly"), (1, DEFAULT_CHANNEL)]


def test_the_latest_versions_are_by_app_id_and_skip_what_is_missing(
    store: ApplicationRepository,
) -> None:
    one, two = created(store, new_app()), created(store, new_app())
    two, latest_of_two = append(store, two)
    stale = two.model_copy(update={"latest_application_version": 7})
    assert store.latest_versions([one, two]) == {
        one.id: version_of(one, 1),
        two.id: latest_of_two,
    }
    assert store.latest_versions([stale, new_app()]) == {}
    assert store.latest_versions([]) == {}


def test_a_large_upload_is_claimed_once_by_its_account(store: ApplicationRepository) -> None:
    upload_id, account_id = unique("upload"), unique("acct")
    record = {"accountId": account_id, "objectName": f"uploads/{upload_id}", "dateCreated": CREATED}
    store.create_large_upload(upload_id, record)
    assert store.claim_large_upload(upload_id, unique("acct"), CLAIMED) is None
    assert store.claim_large_upload(upload_id, account_id, CLAIMED) == record
    assert store.claim_large_upload(upload_id, account_id, CLAIMED) is None


def test_a_released_large_upload_is_claimed_again(store: ApplicationRepository) -> None:
    upload_id, account_id = unique("upload"), unique("acct")
    record = {"accountId": account_id, "objectName": f"uploads/{upload_id}"}
    store.create_large_upload(upload_id, record)
    store.claim_large_upload(upload_id, account_id, CLAIMED)
    store.release_large_upload(upload_id)
    assert store.claim_large_upload(upload_id, account_id, CLAIMED) == {
        **record,
        "claimed": False,
        "claimedAt": CLAIMED,
    }
    assert store.claim_large_upload(upload_id, account_id, CLAIMED) is None


def test_an_unknown_large_upload_is_not_claimed_and_not_released(
    store: ApplicationRepository,
) -> None:
    upload_id = unique("upload")
    assert store.claim_large_upload(upload_id, unique("acct"), CLAIMED) is None
    with pytest.raises(BackendUnavailable):
        store.release_large_upload(upload_id)


def test_a_large_upload_is_created_once(store: ApplicationRepository) -> None:
    upload_id, account_id = unique("upload"), unique("acct")
    store.create_large_upload(upload_id, {"accountId": account_id, "objectName": "first"})
    with pytest.raises(BackendUnavailable):
        store.create_large_upload(upload_id, {"accountId": unique("acct"), "objectName": "x"})
    assert store.claim_large_upload(upload_id, account_id, CLAIMED) == {
        "accountId": account_id,
        "objectName": "first",
    }


# Long before any upload other tests make: the sweep's query is over every account.
EXPIRED = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
# When the tests' claims are made: a claim is "lately" for a sweep asking about later ones.
CLAIMED = EXPIRED + 10 * MINUTE


def large_upload(store: ApplicationRepository, expires: datetime.datetime = EXPIRED) -> str:
    upload_id = unique("upload")
    record = {
        "accountId": f"acct-{upload_id}",
        "objectName": f"applications/acct-{upload_id}/{upload_id}.apk",
        "dateCreated": expires - datetime.timedelta(hours=1),
        "urlExpiresAt": expires,
        "claimed": False,
    }
    store.create_large_upload(upload_id, record)
    return upload_id


def claim(store: ApplicationRepository, upload_id: str) -> dict | None:
    return store.claim_large_upload(upload_id, f"acct-{upload_id}", CLAIMED)


def test_uploads_whose_url_expired_are_listed_claimed_or_not(
    store: ApplicationRepository,
) -> None:
    expired, young, claimed, released = (large_upload(store) for _ in range(4))
    store.delete_large_upload(young)
    young = large_upload(store, EXPIRED + 2 * MINUTE)
    claim(store, claimed)
    claim(store, released)
    store.release_large_upload(released)

    legacy = unique("upload")  # made before records had urlExpiresAt, then released
    store.create_large_upload(legacy, {"accountId": "acct", "objectName": "x", "claimed": False})

    found = store.abandoned_large_uploads(EXPIRED + MINUTE, 1000)

    assert {expired, released, claimed} <= set(found)
    assert {young, legacy} & set(found) == set()
    assert len(store.abandoned_large_uploads(EXPIRED + MINUTE, 1)) == 1


def test_an_abandoned_upload_is_never_claimed_and_stays_listed_until_deleted(
    store: ApplicationRepository,
) -> None:
    upload_id = large_upload(store)
    object_name = f"applications/acct-{upload_id}/{upload_id}.apk"
    assert store.abandon_large_upload(upload_id, CLAIMED) == [object_name]
    assert claim(store, upload_id) is None
    # A sweep that failed to delete the file finds it again, and goes on.
    assert upload_id in store.abandoned_large_uploads(EXPIRED + MINUTE, 1000)
    assert store.abandon_large_upload(upload_id, CLAIMED) == [object_name]
    store.delete_large_upload(upload_id)
    assert upload_id not in store.abandoned_large_uploads(EXPIRED + MINUTE, 1000)
    assert store.abandon_large_upload(upload_id, CLAIMED) is None
    assert claim(store, upload_id) is None
    store.delete_large_upload(upload_id)  # a missing record is no error


def test_an_upload_claimed_lately_is_not_abandoned_one_claimed_long_ago_is(
    store: ApplicationRepository,
) -> None:
    lately, long_ago, released = (large_upload(store) for _ in range(3))
    for upload_id in (lately, long_ago, released):
        assert claim(store, upload_id) is not None
    store.release_large_upload(released)
    assert store.abandon_large_upload(lately, CLAIMED) is None
    assert store.abandon_large_upload(long_ago, CLAIMED + MINUTE) is not None
    assert store.abandon_large_upload(released, CLAIMED) is not None


def test_an_object_is_in_use_while_a_live_version_of_any_app_keeps_it(
    store: ApplicationRepository,
) -> None:
    app = new_app()
    kept = version_of(app, 1)
    assert not store.object_in_use(kept.objectName)
    assert store.create_app(app, kept, claim_package=False)
    assert store.object_in_use(kept.objectName)
    assert not store.object_in_use(kept.objectName + ".other")
    assert store.delete_version(app.id, 1, "owner@example.com", CREATED) is not None
    assert not store.object_in_use(kept.objectName)


def test_a_claim_that_read_the_upload_before_the_sweep_abandoned_it_fails(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adapter's claim is a read, then an update conditional on that read: the sweep's
    transaction commits between the two, and the claim must lose."""
    store = firestore_applications.ApplicationStore(request.getfixturevalue("firestore_client"))
    upload_id = large_upload(store)
    read = firestore.DocumentReference.get
    sweeps = []

    def read_then_sweep(reference: firestore.DocumentReference, *args, **kwargs):
        snapshot = read(reference, *args, **kwargs)
        if reference.id == upload_id and "transaction" not in kwargs and not sweeps:
            sweeps.append(store.abandon_large_upload(upload_id, CLAIMED))
        return snapshot

    monkeypatch.setattr(firestore.DocumentReference, "get", read_then_sweep)
    assert claim(store, upload_id) is None
    assert sweeps == [[f"applications/acct-{upload_id}/{upload_id}.apk"]]


def test_a_claim_that_read_the_upload_before_the_sweep_deleted_it_fails(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = firestore_applications.ApplicationStore(request.getfixturevalue("firestore_client"))
    upload_id = large_upload(store)
    read = firestore.DocumentReference.get
    deleted = []

    def read_then_delete(reference: firestore.DocumentReference, *args, **kwargs):
        snapshot = read(reference, *args, **kwargs)
        if reference.id == upload_id and not deleted:
            deleted.append(store.delete_large_upload(upload_id))
        return snapshot

    monkeypatch.setattr(firestore.DocumentReference, "get", read_then_delete)
    assert claim(store, upload_id) is None
    assert deleted == [None]


DELETED_AT = CREATED + datetime.timedelta(days=1)


def private_to(users: list[str]):
    return lambda version: (AccessType.PRIVATE, users)


def test_the_access_of_one_version_changes_with_the_app_in_one_commit(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    append(store, app)
    changes = {"accessChangedAt": DELETED_AT}
    updated, changed = store.change_access(app.id, 2, private_to(["qa@example.com"]), changes)
    assert updated == app.model_copy(
        update={
            "latest_application_version": 2,
            "lastVersionNumber": 2,
            "channels": [DEFAULT_CHANNEL],
            **changes,
        }
    )
    assert [(v.versionNumber, v.accessType, v.allowedUsers) for v in changed] == [
        (2, AccessType.PRIVATE, ["qa@example.com"])
    ]
    assert store.get_version(app.id, 2)[1] == changed[0]
    assert store.get_version(app.id, 1)[1] == version_of(app, 1)  # untouched
    assert store.get_app(app.id) == updated


def test_the_access_of_every_version_changes_at_once_or_not_at_all(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    append(store, app)
    numbers = store.change_access(app.id, None, private_to(["a@example.com"]), {"name": "Mine"})
    assert [v.versionNumber for v in numbers[1]] == [2, 1]
    assert numbers[0].name == "Mine"
    assert {v.accessType for v in store.versions(app.id)} == {AccessType.PRIVATE}

    def refuse_one(version: Version):
        if version.versionNumber == 1:
            raise InvalidRequest("no")
        return AccessType.PUBLIC, []

    with pytest.raises(InvalidRequest):
        store.change_access(app.id, None, refuse_one, {"name": "Other"})
    assert {v.accessType for v in store.versions(app.id)} == {AccessType.PRIVATE}
    assert store.get_app(app.id).name == "Mine"


def test_a_rename_alone_leaves_every_version_as_it_was(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    updated, changed = store.change_access(app.id, None, None, {"name": "Renamed"})
    assert (updated.name, changed) == ("Renamed", [])
    assert store.get_version(app.id, 1)[1] == version_of(app, 1)


def test_changing_what_does_not_exist_is_none(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    assert store.change_access(unique("app"), None, private_to(["a@example.com"]), {}) is None
    assert store.change_access(app.id, 5, private_to(["a@example.com"]), {}) is None


def test_a_deleted_version_is_a_tombstone_and_the_latest_moves_back(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    append(store, app)
    tombstone = store.delete_version(app.id, 2, "owner@example.com", DELETED_AT)
    assert tombstone == VersionTombstone(
        versionNumber=2,
        deletedAt=DELETED_AT,
        deletedBy="owner@example.com",
        pendingObjects=[version_of(app, 2).objectName],
        pendingSince=DELETED_AT,
    )
    assert store.deleted_version(app.id, 2) == tombstone
    assert store.deleted_version(app.id, 1) is None
    assert store.get_version(app.id, 2) is None
    assert [v.versionNumber for v in store.versions(app.id)] == [1]
    moved = store.get_app(app.id)
    assert (moved.latest_application_version, moved.next_version_number) == (1, 3)
    assert store.latest_versions([moved]) == {app.id: version_of(app, 1)}
    # A second deletion finds the tombstone as it is; finishing clears what it lists.
    assert store.delete_version(app.id, 2, "other@example.com", CREATED) == tombstone
    store.finish_version_deletion(app.id, 2)
    assert store.deleted_version(app.id, 2).model_dump(include=set(FINISHED)) == FINISHED
    assert store.delete_version(app.id, 7, "owner@example.com", DELETED_AT) is None


def test_a_deleted_number_is_never_given_again(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    append(store, app)
    store.delete_version(app.id, 2, "owner@example.com", DELETED_AT)
    updated, version = append(store, app)
    assert (updated.latest_application_version, version.versionNumber) == (3, 3)
    store.delete_version(app.id, 1, "owner@example.com", DELETED_AT)
    store.delete_version(app.id, 3, "owner@example.com", DELETED_AT)
    empty = store.get_app(app.id)
    assert (empty.latest_application_version, store.versions(app.id)) == (0, [])
    seen: list[Version | None] = []

    def make(latest: Version | None, number: int) -> Version:
        seen.append(latest)
        return version_of(app, number)

    assert store.append_version(app.id, DEFAULT_CHANNEL, make, {})[1].versionNumber == 4
    assert seen == [None]  # nothing to inherit from


def test_a_version_made_after_an_icon_lists_both_objects(store: ApplicationRepository) -> None:
    app = new_app()
    first = version_of(app, 1).model_copy(update={"iconObject": f"icons/{app.id}.png"})
    assert store.create_app(app, first, claim_package=True)
    tombstone = store.delete_version(app.id, 1, "owner@example.com", DELETED_AT)
    assert tombstone.pendingObjects == [first.objectName, f"icons/{app.id}.png"]


def test_a_deleted_app_is_a_tombstone_and_releases_its_package(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    append(store, app)
    append(store, app)
    store.delete_version(app.id, 2, "owner@example.com", DELETED_AT)  # left unfinished
    tombstone = store.delete_app(app.id, "owner@example.com", DELETED_AT)
    assert tombstone == AppTombstone(
        id=app.id,
        accountId=app.accountId,
        deletedAt=DELETED_AT,
        deletedBy="owner@example.com",
        pendingObjects=tombstone.pendingObjects,  # in no particular order
        pendingSince=DELETED_AT,
    )
    assert sorted(tombstone.pendingObjects) == sorted(
        version_of(app, n).objectName for n in (1, 2, 3)
    )
    assert store.get_app(app.id) is None
    assert store.get_version(app.id, 1) is None
    assert store.apps_of_account(app.accountId, 10, None) == ([], None)
    assert store.latest_app_for_package(app.accountId, app.packageName) is None
    assert store.deleted_app(app.id) == tombstone
    assert store.delete_app(app.id, "again@example.com", CREATED) == tombstone
    store.finish_app_deletion(app.id)
    assert store.deleted_app(app.id).model_dump(include=set(FINISHED)) == FINISHED
    assert store.versions(app.id) == []
    assert store.unfinished_deletions(app.id) == []  # 2.0's list too: the app's listed it
    assert [store.deleted_version(app.id, n).versionNumber for n in (1, 2, 3)] == [1, 2, 3]
    # The package is free: a new app claims it.
    again = new_app(app.accountId)
    assert store.create_app(again, version_of(again, 1), claim_package=True)
    assert store.delete_app(unique("app"), "owner@example.com", DELETED_AT) is None
    assert store.deleted_app(unique("app")) is None


def test_deleting_an_older_app_of_a_package_leaves_the_newer_its_package(
    store: ApplicationRepository,
) -> None:
    older = created(store, new_app())
    newer = new_app(older.accountId, hours=1)
    assert store.create_app(newer, version_of(newer, 1), claim_package=False)
    store.delete_app(older.id, "owner@example.com", DELETED_AT)
    assert store.latest_app_for_package(older.accountId, older.packageName) == newer


def test_an_upload_to_a_deleted_app_is_refused(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    store.delete_app(app.id, "owner@example.com", DELETED_AT)
    with pytest.raises(Conflict):
        append(store, app)


def test_a_sha256_is_recorded_once_and_only_on_its_generation(
    store: ApplicationRepository,
) -> None:
    app = new_app()
    first = version_of(app, 1).model_copy(update={"sha256": None, "objectGeneration": 7})
    assert store.create_app(app, first, claim_package=True)
    name = first.objectName

    assert store.record_sha256(app.id, 1, name, 8, "aa" * 32) is False
    assert store.record_sha256(app.id, 1, name + ".other", 7, "aa" * 32) is False
    assert store.record_sha256(app.id, 2, name, 7, "aa" * 32) is False  # no such version
    assert store.get_version(app.id, 1) == (app, first)
    assert store.record_sha256(app.id, 1, name, 7, "bb" * 32) is True
    assert store.record_sha256(app.id, 1, name, 7, "cc" * 32) is False
    assert store.get_version(app.id, 1) == (app, first.model_copy(update={"sha256": "bb" * 32}))


def test_hashing_is_recorded_until_the_sha256_is_known_or_given_up_on(
    store: ApplicationRepository,
) -> None:
    app = new_app()
    first = version_of(app, 1).model_copy(update={"sha256": None, "objectGeneration": 7})
    assert store.create_app(app, first, claim_package=True)
    name = first.objectName
    marked = Hashing(unfinishedAttempt=2)

    assert store.record_hashing(app.id, 1, name, 8, marked) is False  # another generation
    assert store.record_hashing(app.id, 1, name + ".other", 7, marked) is False
    assert store.record_hashing(app.id, 2, name, 7, marked) is False  # no such version
    assert store.record_hashing(app.id, 1, name, 7, marked) is True
    assert store.get_version(app.id, 1) == (app, first.model_copy(update={"hashing": marked}))
    failed = Hashing(failure="gave up after 3 attempts: no")
    assert store.record_hashing(app.id, 1, name, 7, failed) is True
    assert store.record_hashing(app.id, 1, name, 7, marked) is False  # given up on: for good
    found = store.get_version(app.id, 1)
    assert found is not None and found[1].sha256State is HashState.FAILED

    other = new_app()
    hashed = version_of(other, 1).model_copy(update={"objectGeneration": 7})
    assert store.create_app(other, hashed, claim_package=True)
    assert store.record_hashing(other.id, 1, hashed.objectName, 7, marked) is False  # known


LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)  # older than any other test's


def waiting(app: Application, number: int, since: datetime.timedelta) -> Version:
    """A version waiting for its hash since LONG_AGO + `since`."""
    version = version_of(app, number, f"{number}.0")
    return version.model_copy(
        update={"sha256": None, "objectGeneration": 7, "hashWaitingSince": LONG_AGO + since}
    )


def test_stale_hashes_are_the_longest_waiting_across_apps_until_they_end(
    store: ApplicationRepository,
) -> None:
    second = datetime.timedelta(seconds=1)
    older, newer, deleted = new_app(), new_app(), new_app()
    assert store.create_app(newer, waiting(newer, 1, 2 * second), claim_package=True)
    assert store.create_app(older, waiting(older, 1, second), claim_package=True)
    assert store.create_app(deleted, waiting(deleted, 1, 0 * second), claim_package=True)
    store.delete_version(deleted.id, 1, "owner@example.com", DELETED_AT)

    def stale(before: datetime.timedelta, limit: int = 10) -> list[tuple[str, int]]:
        found = store.stale_versions(Awaited.HASH, LONG_AGO + before, limit)
        return [(app_id, version.versionNumber) for app_id, version in found]

    assert stale(3 * second) == [(older.id, 1), (newer.id, 1)]
    assert stale(3 * second, limit=1) == [(older.id, 1)]
    assert stale(2 * second) == [(older.id, 1)]

    name = version_of(older, 1).objectName
    assert store.requeue_hashing(older.id, 1, name, 8, LONG_AGO + 5 * second) is False
    assert store.requeue_hashing(older.id, 1, name, 7, LONG_AGO + 5 * second) is True
    found = store.get_version(older.id, 1)
    assert found is not None and found[1].hashing == Hashing(requeued=True)
    assert found[1].hashWaitingSince == LONG_AGO + 5 * second
    assert stale(3 * second) == [(newer.id, 1)]
    assert stale(6 * second) == [(newer.id, 1), (older.id, 1)]

    # A hash recorded, or given up on, ends the wait.
    assert store.record_sha256(newer.id, 1, version_of(newer, 1).objectName, 7, "aa" * 32)
    failed = Hashing(failure="gave up: never", requeued=True)
    assert store.record_hashing(older.id, 1, name, 7, failed)
    assert stale(6 * second) == []
    found = store.get_version(older.id, 1)
    assert found is not None and found[1].hashWaitingSince is None


def test_stale_conversions_are_listed_until_one_is_no_longer_pending(
    store: ApplicationRepository,
) -> None:
    app = new_app()
    since = datetime.timedelta(seconds=1)
    first = version_of(app, 1).model_copy(
        update={
            "objectGeneration": 7,
            "conversion": PENDING,
            "conversionWaitingSince": LONG_AGO + since,
        }
    )
    assert store.create_app(app, first, claim_package=True)

    def stale(before: datetime.timedelta) -> list[tuple[str, int]]:
        found = store.stale_versions(Awaited.CONVERSION, LONG_AGO + before, 10)
        return [(app_id, version.versionNumber) for app_id, version in found]

    assert stale(2 * since) == [(app.id, 1)]
    assert store.stale_versions(Awaited.HASH, LONG_AGO + 2 * since, 10) == []
    assert store.requeue_conversion(app.id, 1, 8, LONG_AGO + 5 * since) is False
    assert store.requeue_conversion(app.id, 1, 7, LONG_AGO + 5 * since) is True
    found = store.get_version(app.id, 1)
    assert found is not None and found[1].conversion == Conversion(
        state=ConversionState.PENDING, requeued=True
    )
    assert stale(2 * since) == []
    assert stale(6 * since) == [(app.id, 1)]

    marked = Conversion(state=ConversionState.PENDING, unfinishedAttempt=1, requeued=True)
    assert store.record_conversion(app.id, 1, 7, marked)
    assert stale(6 * since) == [(app.id, 1)]  # an attempt's mark: still waiting
    failed = Conversion(state=ConversionState.FAILED, reason="gave up")
    assert store.record_conversion(app.id, 1, 7, failed)
    assert stale(6 * since) == []
    assert store.requeue_conversion(app.id, 1, 7, LONG_AGO) is False  # no longer PENDING


def test_a_requeue_outlives_the_attempts_recorded_after_it(store: ApplicationRepository) -> None:
    """An attempt's mark, from a read before the sweep's requeue committed, keeps it (else the
    sweep would queue the work a third time)."""
    app = new_app()
    first = waiting(app, 1, datetime.timedelta(0)).model_copy(update={"conversion": PENDING})
    assert store.create_app(app, first, claim_package=True)
    name = first.objectName

    assert store.record_hashing(app.id, 1, name, 7, Hashing(unfinishedAttempt=1))
    found = store.get_version(app.id, 1)
    assert found is not None and found[1].hashing == Hashing(unfinishedAttempt=1)  # not set
    assert store.requeue_hashing(app.id, 1, name, 7, LONG_AGO)
    assert store.record_hashing(app.id, 1, name, 7, Hashing(unfinishedAttempt=1))
    found = store.get_version(app.id, 1)
    assert found is not None and found[1].hashing == Hashing(unfinishedAttempt=1, requeued=True)

    marked = Conversion(state=ConversionState.PENDING, unfinishedAttempt=1)
    assert store.record_conversion(app.id, 1, 7, marked)
    found = store.get_version(app.id, 1)
    assert found is not None and found[1].conversion == marked  # not set
    assert store.requeue_conversion(app.id, 1, 7, LONG_AGO)
    assert store.record_conversion(app.id, 1, 7, marked)
    found = store.get_version(app.id, 1)
    assert found is not None
    assert found[1].conversion == marked.model_copy(update={"requeued": True})


def test_a_conversion_is_recorded_once_on_a_pending_version_of_its_generation(
    store: ApplicationRepository,
) -> None:
    app = new_app()
    first = version_of(app, 1).model_copy(update={"objectGeneration": 7, "conversion": PENDING})
    assert store.create_app(app, first, claim_package=True)
    done = Conversion(
        state=ConversionState.DONE,
        universalApk=UniversalApk(
            objectName="applications/a/b-universal.apk",
            size=10,
            sha256="aa" * 32,
            signerSha256="AB:CD",
        ),
    )
    failed = Conversion(state=ConversionState.FAILED, reason="no")

    assert store.record_conversion(app.id, 1, 8, done) is False  # another generation
    assert store.record_conversion(app.id, 2, 7, done) is False  # no such version
    assert store.get_version(app.id, 1) == (app, first)
    assert store.record_conversion(app.id, 1, 7, done) is True
    assert store.record_conversion(app.id, 1, 7, failed) is False  # not PENDING any more
    assert store.get_version(app.id, 1) == (app, first.model_copy(update={"conversion": done}))

    other = new_app()
    apk = version_of(other, 1).model_copy(update={"objectGeneration": 7})
    assert store.create_app(other, apk, claim_package=True)
    assert store.record_conversion(other.id, 1, 7, done) is False  # an APK converts nothing


def test_an_attempts_mark_is_recorded_on_a_pending_conversion_and_read_back(
    store: ApplicationRepository,
) -> None:
    """The converter marks PENDING as its attempt's (conversions/attempts.py), then records the
    outcome over it."""
    app = new_app()
    first = version_of(app, 1).model_copy(update={"objectGeneration": 7, "conversion": PENDING})
    assert store.create_app(app, first, claim_package=True)
    marked = Conversion(state=ConversionState.PENDING, unfinishedAttempt=3)

    assert store.record_conversion(app.id, 1, 7, marked) is True
    assert store.get_version(app.id, 1) == (app, first.model_copy(update={"conversion": marked}))
    assert store.record_conversion(app.id, 1, 7, PENDING) is True  # taken back
    assert store.get_version(app.id, 1) == (app, first)
    failed = Conversion(state=ConversionState.FAILED, reason="gave up after 4 attempts: no")
    assert store.record_conversion(app.id, 1, 7, failed) is True
    assert store.record_conversion(app.id, 1, 7, marked) is False  # not PENDING any more


def test_a_deleted_version_records_no_conversion(store: ApplicationRepository) -> None:
    app = new_app()
    first = version_of(app, 1).model_copy(update={"objectGeneration": 7, "conversion": PENDING})
    assert store.create_app(app, first, claim_package=True)
    store.delete_version(app.id, 1, "owner@example.com", CREATED)
    done = Conversion(state=ConversionState.SKIPPED, reason="no distribution keystore configured")
    assert store.record_conversion(app.id, 1, 7, done) is False


def test_a_deleted_apps_version_records_no_conversion(store: ApplicationRepository) -> None:
    # Its version documents stay until its files are deleted; the app's tombstone is written
    # first, and a conversion recorded after it would name a file nobody deletes.
    app = new_app()
    first = version_of(app, 1).model_copy(update={"objectGeneration": 7, "conversion": PENDING})
    assert store.create_app(app, first, claim_package=True)
    assert store.delete_app(app.id, "owner@example.com", CREATED) is not None
    done = Conversion(state=ConversionState.SKIPPED, reason="no distribution keystore configured")
    assert store.record_conversion(app.id, 1, 7, done) is False


def test_a_deleted_version_records_no_sha256(store: ApplicationRepository) -> None:
    app = new_app()
    first = version_of(app, 1).model_copy(update={"sha256": None, "objectGeneration": 7})
    assert store.create_app(app, first, claim_package=True)
    store.delete_version(app.id, 1, "owner@example.com", CREATED)

    assert store.record_sha256(app.id, 1, first.objectName, 7, "aa" * 32) is False


def test_unfinished_deletions_are_the_tombstones_whose_files_remain(
    store: ApplicationRepository,
) -> None:
    app = new_app()
    assert store.create_app(app, version_of(app, 1), claim_package=True)
    for _ in (2, 3):
        store.append_version(app.id, "default", lambda _, n: version_of(app, n), {})
    assert store.unfinished_deletions(app.id) == []
    for number in (3, 1):
        assert store.delete_version(app.id, number, "retention", CREATED) is not None
    assert [t.versionNumber for t in store.unfinished_deletions(app.id)] == [1, 3]
    store.finish_version_deletion(app.id, 1)
    (left,) = store.unfinished_deletions(app.id)
    assert (left.versionNumber, left.deletedBy) == (3, "retention")
    assert left.pendingObjects == [version_of(app, 3).objectName]


# Earlier than any other suite's deletions: the queries below span every app.
LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def test_versions_deleted_halfway_are_those_pending_since_before_the_given_time(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    for _ in (2, 3):
        append(store, app)
    assert store.delete_version(app.id, 3, "owner@example.com", LONG_AGO + HOUR) is not None
    assert store.delete_version(app.id, 1, "retention", LONG_AGO) is not None

    def halfway(before: datetime.datetime, limit: int = 100) -> list[tuple[str, int]]:
        found = store.versions_deleted_halfway(before, limit)
        return [(app_id, tombstone.versionNumber) for app_id, tombstone in found]

    assert halfway(LONG_AGO + HOUR) == [(app.id, 1)]
    assert halfway(LONG_AGO + 2 * HOUR) == [(app.id, 1), (app.id, 3)]  # the oldest first
    assert halfway(LONG_AGO + 2 * HOUR, limit=1) == [(app.id, 1)]
    store.finish_version_deletion(app.id, 1)
    store.finish_version_deletion(app.id, 3)
    assert halfway(LONG_AGO + 2 * HOUR) == []


def test_apps_deleted_halfway_are_those_pending_since_before_the_given_time(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    empty = created(store, new_app(package="com.example.contract.empty"))
    store.delete_version(empty.id, 1, "owner@example.com", LONG_AGO)
    store.finish_version_deletion(empty.id, 1)
    tombstone = store.delete_app(app.id, "owner@example.com", LONG_AGO)
    assert store.delete_app(empty.id, "owner@example.com", LONG_AGO).pendingSince is None

    assert store.apps_deleted_halfway(LONG_AGO, 100) == []
    assert store.apps_deleted_halfway(LONG_AGO + HOUR, 100) == [tombstone]
    store.finish_app_deletion(app.id)
    assert store.apps_deleted_halfway(LONG_AGO + HOUR, 100) == []


def test_a_commit_retried_after_it_was_applied_keeps_its_one_version(
    firestore_client: firestore.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit whose answer was lost is sent again by the client library, and the second one
    finds the first one's writes (AlreadyExists). That is the upload's version, committed: not a
    reason to add another version of the same file."""
    store = firestore_applications.ApplicationStore(firestore_client)
    app = created(store, new_app())
    commit = WriteBatch.commit
    lost: list[bool] = []

    def applied_then_lost(self: WriteBatch, *args: object, **kwargs: object) -> object:
        answer = commit(self, *args, **kwargs)
        if not lost:
            lost.append(True)
            raise api_exceptions.AlreadyExists("Document already exists")
        return answer

    monkeypatch.setattr(WriteBatch, "commit", applied_then_lost)
    same_file = f"applications/{app.accountId}/{unique('upload')}.apk"
    updated, version = store.append_version(
        app.id,
        DEFAULT_CHANNEL,
        lambda _, number: version_of(app, number).model_copy(update={"objectName": same_file}),
        {},
    )

    assert (version.versionNumber, updated.latest_application_version) == (2, 2)
    assert [v.versionNumber for v in store.versions(app.id) if v.objectName == same_file] == [2]
    stored = store.get_app(app.id)
    assert stored is not None and stored.latest_application_version == 2


def commits_then_answer(
    monkeypatch: pytest.MonkeyPatch, error: Exception, reads_fail: bool = False
) -> None:
    """The next commit is applied, then answers `error`; with `reads_fail`, every document read
    after it fails too, so whether it was applied cannot be found out."""
    commit = WriteBatch.commit
    answers = [error]

    def applied_then_failed(self: WriteBatch, *args: object, **kwargs: object) -> object:
        result = commit(self, *args, **kwargs)
        if not answers:
            return result
        if reads_fail:
            monkeypatch.setattr(DocumentReference, "get", unavailable)
        raise answers.pop()

    def unavailable(self: DocumentReference, *args: object, **kwargs: object) -> object:
        raise api_exceptions.ServiceUnavailable("unavailable")

    monkeypatch.setattr(WriteBatch, "commit", applied_then_failed)


ANSWERS_OF_AN_APPLIED_COMMIT = [
    api_exceptions.AlreadyExists("Document already exists"),
    api_exceptions.DeadlineExceeded("Deadline exceeded"),
]


@pytest.mark.parametrize("error", ANSWERS_OF_AN_APPLIED_COMMIT)
@pytest.mark.parametrize("claim_package", [True, False])
def test_an_app_whose_commit_answered_an_error_once_applied_is_created(
    firestore_client: firestore.Client,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    claim_package: bool,
) -> None:
    store = firestore_applications.ApplicationStore(firestore_client)
    app = new_app()
    commits_then_answer(monkeypatch, error)
    assert store.create_app(app, version_of(app, 1), claim_package) is True
    assert store.get_version(app.id, 1) == (app, version_of(app, 1))
    assert store.latest_app_for_package(app.accountId, app.packageName) == app


@pytest.mark.parametrize("error", ANSWERS_OF_AN_APPLIED_COMMIT)
def test_a_version_whose_commit_answered_an_error_once_applied_is_appended(
    firestore_client: firestore.Client, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    store = firestore_applications.ApplicationStore(firestore_client)
    app = created(store, new_app())
    commits_then_answer(monkeypatch, error)
    updated, version = append(store, app)
    assert (version.versionNumber, updated.latest_application_version) == (2, 2)
    assert [v.versionNumber for v in store.versions(app.id)] == [2, 1]


def test_a_commit_whose_outcome_cannot_be_read_back_is_unknown(
    firestore_client: firestore.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = firestore_applications.ApplicationStore(firestore_client)
    app = new_app()
    commits_then_answer(monkeypatch, api_exceptions.DeadlineExceeded("Deadline"), reads_fail=True)
    with pytest.raises(CommitOutcomeUnknown):
        store.create_app(app, version_of(app, 1), claim_package=True)
    monkeypatch.undo()
    commits_then_answer(monkeypatch, api_exceptions.DeadlineExceeded("Deadline"), reads_fail=True)
    with pytest.raises(CommitOutcomeUnknown):
        append(store, app)


# --- Idempotency-Key records --------------------------------------------------------------------


def upload_key(account_id: str, key: str = "ci/run 7/../upload") -> UploadKey:
    """A key with characters no document id may hold as they are."""
    return UploadKey(
        accountId=account_id,
        key=key,
        fingerprint="ab" * 32,
        expireAt=CREATED + datetime.timedelta(days=1),
    )


@pytest.mark.parametrize("claim_package", [True, False])
def test_a_key_is_committed_with_the_first_version(
    store: ApplicationRepository, claim_package: bool
) -> None:
    app = new_app()
    key = upload_key(app.accountId)
    assert store.keyed_version(app.accountId, key.key) is None

    assert store.create_app(app, version_of(app, 1), claim_package, key) is True

    assert store.keyed_version(app.accountId, key.key) == key.for_version(app.id, 1)
    assert store.keyed_version(unique("acct"), key.key) is None  # keys are per account
    assert store.keyed_version(app.accountId, key.key + "x") is None


def test_a_key_is_committed_with_an_appended_version(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    key = upload_key(app.accountId)

    _, version = store.append_version(
        app.id, DEFAULT_CHANNEL, lambda _, number: version_of(app, number), {}, key
    )

    assert store.keyed_version(app.accountId, key.key) == key.for_version(app.id, 2)
    assert version.versionNumber == 2


@pytest.mark.parametrize("claim_package", [True, False])
def test_a_create_with_a_used_key_stores_nothing(
    store: ApplicationRepository, claim_package: bool
) -> None:
    first = new_app()
    key = upload_key(first.accountId)
    assert store.create_app(first, version_of(first, 1), claim_package=True, key=key)
    again = new_app(first.accountId, package="com.example.other")

    with pytest.raises(KeyUsed) as raised:
        store.create_app(again, version_of(again, 1), claim_package, key)

    assert raised.value.used == key.for_version(first.id, 1)
    assert store.get_app(again.id) is None
    assert store.latest_app_for_package(first.accountId, "com.example.other") is None


def test_a_key_committed_during_an_append_makes_it_store_nothing(
    store: ApplicationRepository,
) -> None:
    """The concurrent duplicate writes another app: only the key's record clashes."""
    app = created(store, new_app())
    other = new_app(app.accountId, package="com.example.other")
    key = upload_key(app.accountId)

    def make(_: Version | None, number: int) -> Version:
        if store.get_app(other.id) is None:
            assert store.create_app(other, version_of(other, 1), claim_package=True, key=key)
        return version_of(app, number)

    with pytest.raises(KeyUsed) as raised:
        store.append_version(app.id, DEFAULT_CHANNEL, make, {}, key)

    assert raised.value.used == key.for_version(other.id, 1)
    assert [version.versionNumber for version in store.versions(app.id)] == [1]
    assert store.get_app(app.id) == app
