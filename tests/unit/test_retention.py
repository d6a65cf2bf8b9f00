"""Retention over the fakes: which versions a policy deletes, keepLatest right after uploads,
the bounded sweep (maxAgeDays with the injected clock), and races with uploads and owners."""

import datetime
import logging

import pytest

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import deletion
from apkdrop.applications.models import Version
from apkdrop.audit.models import AuditAction
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.ids import new_opaque_id
from apkdrop.retention import enforcement, policies
from apkdrop.retention.left_halfway import LEFT_HALFWAY_AFTER
from apkdrop.retention.models import RetentionPolicy
from apkdrop.retention.selection import Reason, doomed_versions
from apkdrop.retention.sweep import sweep
from apkdrop.webhooks.models import Hook, HookKind
from tests.fakes import fake_bucket, fake_dependencies, fake_store
from tests.unit.test_application_service import apk, upload

OWNER = Caller(
    id="acct-owner", email="owner@example.com", keyPrefix="apkd_abcd", scope=KeyScope.ADMIN
)
START = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def clock(deps: Dependencies) -> None:
    deps.clock.now = START
    deps.clock.step = datetime.timedelta(seconds=1)


def upload_to(deps: Dependencies, channel: str, code: int) -> str:
    """Uploads the next version of com.example.app into `channel`; the app's id."""
    return upload(deps, OWNER, apk(code=code), channel=channel).data.id


def remaining(deps: Dependencies, app_id: str, channel: str | None = None) -> list[int]:
    return [
        v.versionNumber
        for v in fake_store(deps).versions(app_id)
        if channel is None or v.channel == channel
    ]


def set_policy(deps: Dependencies, app_id: str, policy: dict) -> None:
    policies.set_app_policy(deps, OWNER, app_id, RetentionPolicy.model_validate(policy))


def new_app(deps: Dependencies) -> str:
    """An app whose 1.0 is in the default channel."""
    return upload(deps, OWNER, apk(code=1)).data.id


# --- which versions a policy deletes --------------------------------------------------------


def version(number: int, channel: str = "nightly", age_days: float = 0, **fields) -> Version:
    return Version.model_validate(
        {
            **BASE_VERSION,
            "versionNumber": number,
            "channel": channel,
            "uploadTime": START - datetime.timedelta(days=age_days),
            **fields,
        }
    )


BASE_VERSION = {
    "application_meta_data": {"package_info": {"version_name": "1", "version_code": 1}},
    "apkInfo": {
        "packageName": "com.example.app",
        "versionName": "1",
        "versionCode": 1,
        "minSdkVersion": 24,
        "targetSdkVersion": 35,
        "hasInstrumentation": False,
    },
    "size": 1,
    "sha256": "00" * 32,
    "uploaderEmail": "ci@example.com",
    "objectName": "applications/x.apk",
}


def doomed(policy: dict, versions: list[Version], **kw) -> list[tuple[int, Reason]]:
    chosen = doomed_versions(RetentionPolicy.model_validate(policy), versions, START, **kw)
    return [(v.versionNumber, reason) for v, reason in chosen]


def test_no_rule_keeps_everything() -> None:
    versions = [version(n, age_days=100) for n in range(1, 6)]
    assert doomed({}, versions) == []
    assert doomed({"channels": {"release": {"keepLatest": 1}}}, versions) == []


def test_keep_latest_counts_per_channel_and_pinned_versions_count_but_stay() -> None:
    versions = [
        version(1, pinned=True),
        version(2),
        version(3, channel="release"),
        version(4),
        version(5),
    ]
    policy = {"channels": {"nightly": {"keepLatest": 2}}}
    # nightly newest first: 5, 4 kept; 2 beyond; 1 beyond but pinned. release has no rule.
    assert doomed(policy, versions) == [(2, Reason.KEEP_LATEST)]
    assert doomed(policy, versions, spared=frozenset({2})) == []


def test_a_channel_without_a_rule_falls_back_to_default_and_an_empty_rule_keeps_all() -> None:
    versions = [version(1, "release"), version(2, "release"), version(3), version(4)]
    assert doomed({"default": {"keepLatest": 1}}, versions) == [
        (1, Reason.KEEP_LATEST),
        (3, Reason.KEEP_LATEST),
    ]
    keep_releases = {"default": {"keepLatest": 1}, "channels": {"release": {}}}
    assert doomed(keep_releases, versions) == [(3, Reason.KEEP_LATEST)]


def test_max_age_never_deletes_a_channels_newest() -> None:
    versions = [version(1, age_days=30), version(2, age_days=15), version(3, age_days=14.5)]
    assert doomed({"default": {"maxAgeDays": 14}}, versions) == [
        (1, Reason.MAX_AGE_DAYS),
        (2, Reason.MAX_AGE_DAYS),
    ]
    fresh = [version(1, age_days=13), version(2, age_days=1)]
    assert doomed({"default": {"maxAgeDays": 14}}, fresh) == []


# --- keepLatest right after each upload -----------------------------------------------------


def test_keep_latest_2_on_nightly_with_4_uploads(deps: Dependencies) -> None:
    app_id = new_app(deps)  # 1.0, default
    upload_to(deps, "release", 2)  # 2.0, release
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 2}}})
    files = {n: fake_store(deps).get_version(app_id, n)[1].objectName for n in (1, 2)}
    for code in range(3, 7):  # 3.0 … 6.0, nightly
        upload_to(deps, "nightly", code)
        files[code] = fake_store(deps).get_version(app_id, code)[1].objectName
    assert remaining(deps, app_id, "nightly") == [6, 5]
    assert remaining(deps, app_id) == [6, 5, 2, 1]  # other channels untouched
    for gone in (3, 4):
        tombstone = fake_store(deps).deleted_version(app_id, gone)
        assert tombstone is not None and tombstone.deletedBy == "retention"
        assert tombstone.pendingObjects == []
        assert files[gone] not in fake_bucket(deps).objects
    assert {files[n] for n in (1, 2, 5, 6)} <= set(fake_bucket(deps).objects)
    deletions = [e for e in deps.audit.events if e.action is AuditAction.DELETE]
    assert [e.target for e in deletions] == [
        f"/v1/application/{app_id}/versions/3.0",
        f"/v1/application/{app_id}/versions/4.0",
    ]
    assert deletions[0].actor.keyPrefix == "retention"
    assert deletions[0].details == {"deletedBy": "retention", "rule": "keepLatest"}
    assert deletions[0].accountId == OWNER.id


def test_a_pinned_version_survives_and_counts_toward_keep_latest(deps: Dependencies) -> None:
    app_id = new_app(deps)
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 2}}})
    upload_to(deps, "nightly", 2)
    fake_store(deps).set_pinned(app_id, 2, True)
    for code in (3, 4, 5):
        upload_to(deps, "nightly", code)
    # 5 and 4 are the two kept; 2 is pinned (and counted), 3 went.
    assert remaining(deps, app_id, "nightly") == [5, 4, 2]


def test_an_upload_never_deletes_itself_when_a_newer_one_commits_first(
    deps: Dependencies,
) -> None:
    app_id = new_app(deps)
    upload_to(deps, "nightly", 2)
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 1}}})
    fake = fake_store(deps)
    read = fake.versions

    def newer_upload_commits_first(app: str) -> list[Version]:
        committed = fake.get_version(app_id, 3)
        if committed is None:  # 3.0's own commit reading its channel
            return read(app)
        fake.versions = read  # type: ignore[method-assign]
        newest = committed[1]  # 4.0 commits, its own enforcement to come
        fake.append_version(
            app_id,
            "nightly",
            lambda _, number: newest.model_copy(
                update={"versionNumber": number, "objectName": "applications/four.apk"}
            ),
            {},
        )
        return read(app)

    fake.versions = newer_upload_commits_first  # type: ignore[method-assign]
    upload_to(deps, "nightly", 3)  # 3.0, whose enforcement reads 4.0, 3.0, 2.0
    # Keeping one, 3.0 would go: it is spared, and 2.0 goes. 4.0's enforcement (or the next
    # sweep) removes 3.0.
    assert remaining(deps, app_id, "nightly") == [4, 3]
    assert sweep(deps).deleted == 1
    assert remaining(deps, app_id, "nightly") == [4]


def test_an_upload_applies_keep_latest_only(deps: Dependencies) -> None:
    app_id = new_app(deps)
    upload_to(deps, "nightly", 2)
    set_policy(deps, app_id, {"channels": {"nightly": {"maxAgeDays": 1}}})
    deps.clock.now += 30 * DAY
    upload_to(deps, "nightly", 3)
    assert remaining(deps, app_id, "nightly") == [3, 2]  # age is the sweep's
    assert sweep(deps).deleted == 1
    assert remaining(deps, app_id, "nightly") == [3]


def test_a_failed_enforcement_leaves_the_upload_standing(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app_id = new_app(deps)
    upload_to(deps, "nightly", 2)
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 1}}})

    def down(*args, **kwargs):
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(fake_store(deps), "delete_version", down)
    with caplog.at_level(logging.WARNING):
        upload_to(deps, "nightly", 3)
    assert remaining(deps, app_id, "nightly") == [3, 2]
    assert "the sweep applies it" in caplog.text
    monkeypatch.undo()
    assert sweep(deps).deleted == 1
    assert remaining(deps, app_id, "nightly") == [3]


# --- the sweep ------------------------------------------------------------------------------


def test_max_age_days_with_the_injected_clock(deps: Dependencies) -> None:
    app_id = new_app(deps)  # 1.0, default: no rule for it
    for code in (2, 3, 4):
        upload_to(deps, "nightly", code)
        deps.clock.now += 5 * DAY
    set_policy(deps, app_id, {"channels": {"nightly": {"maxAgeDays": 14}}})
    # Now: 2.0 is 15 days old, 3.0 10, 4.0 5.
    assert sweep(deps).model_dump() == {"deleted": 1, "staleWork": 0, "finished": True}
    assert remaining(deps, app_id) == [4, 3, 1]
    deps.clock.now += 100 * DAY
    assert sweep(deps).deleted == 1
    assert remaining(deps, app_id) == [4, 1]  # the newest of nightly stays, however old
    assert sweep(deps).model_dump() == {"deleted": 0, "staleWork": 0, "finished": True}
    reasons = [e.details["rule"] for e in deps.audit.events if e.action is AuditAction.DELETE]
    assert reasons == ["maxAgeDays", "maxAgeDays"]


@pytest.mark.parametrize("deps", [fake_dependencies(retention_max_deletions_per_run=4)])
def test_a_sweep_is_bounded_and_the_next_one_goes_on(deps: Dependencies) -> None:
    apps = []
    for index in range(5):
        first = upload(deps, OWNER, apk(package=f"com.example.app{index}", code=1)).data.id
        for code in (2, 3, 4):
            upload(deps, OWNER, apk(package=f"com.example.app{index}", code=code))
        apps.append(first)
    for app_id in apps:
        set_policy(deps, app_id, {"default": {"keepLatest": 1}})  # 3 to delete in each
    runs = [sweep(deps).model_dump() for _ in range(5)]
    assert runs == [
        {"deleted": 4, "staleWork": 0, "finished": False},
        {"deleted": 4, "staleWork": 0, "finished": False},
        {"deleted": 4, "staleWork": 0, "finished": False},
        {"deleted": 3, "staleWork": 0, "finished": True},
        {"deleted": 0, "staleWork": 0, "finished": True},
    ]
    assert all(remaining(deps, app_id) == [4] for app_id in apps)


def test_the_sweep_applies_keep_latest_that_an_upload_did_not(deps: Dependencies) -> None:
    app_id = new_app(deps)
    for code in (2, 3, 4):
        upload_to(deps, "nightly", code)
    set_policy(deps, app_id, {"default": {"keepLatest": 1}})  # set after the uploads
    assert sweep(deps).deleted == 2
    assert remaining(deps, app_id) == [4, 1]


# --- races: the sweep's choice is checked again by each deletion ----------------------------


def racing_sweep(deps: Dependencies, app_id: str, concurrently) -> int:
    """A sweep whose read of the app's versions is followed, before its deletions, by
    `concurrently()` (what another request does meanwhile)."""
    fake = fake_store(deps)
    read = fake.versions

    def then_race(app: str) -> list[Version]:
        versions = read(app)
        fake.versions = read  # type: ignore[method-assign]
        concurrently()
        return versions

    fake.versions = then_race  # type: ignore[method-assign]
    try:
        return sweep(deps).deleted
    finally:
        fake.versions = read  # type: ignore[method-assign]


def test_a_sweep_racing_an_upload_deletes_only_what_it_chose(deps: Dependencies) -> None:
    app_id = new_app(deps)
    for code in (2, 3):
        upload_to(deps, "nightly", code)
    deps.clock.now += 30 * DAY
    set_policy(deps, app_id, {"channels": {"nightly": {"maxAgeDays": 14, "keepLatest": 5}}})
    # The sweep read 2.0 and 3.0 (both old: it chose 2.0); 4.0 lands before it deletes.
    assert racing_sweep(deps, app_id, lambda: upload_to(deps, "nightly", 4)) == 1
    assert remaining(deps, app_id, "nightly") == [4, 3]
    assert sweep(deps).deleted == 1  # 3.0 is old and no longer the newest
    assert remaining(deps, app_id, "nightly") == [4]


def test_a_pin_made_during_a_sweep_holds(deps: Dependencies) -> None:
    app_id = new_app(deps)
    for code in (2, 3):
        upload_to(deps, "nightly", code)
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 1}}})
    assert racing_sweep(deps, app_id, lambda: fake_store(deps).set_pinned(app_id, 2, True)) == 0
    assert remaining(deps, app_id, "nightly") == [3, 2]


def test_a_sweep_never_leaves_a_channel_empty_when_its_newest_goes_meanwhile(
    deps: Dependencies,
) -> None:
    app_id = new_app(deps)
    for code in (2, 3):
        upload_to(deps, "nightly", code)
    deps.clock.now += 30 * DAY
    set_policy(deps, app_id, {"channels": {"nightly": {"maxAgeDays": 14}}})
    # It chose 2.0 (old, not the newest); the owner deletes 3.0 before it acts.
    owner_deletes = lambda: fake_store(deps).delete_version(app_id, 3, OWNER.email, START)  # noqa: E731
    assert racing_sweep(deps, app_id, owner_deletes) == 0
    assert remaining(deps, app_id, "nightly") == [2]


def test_two_sweeps_at_once_delete_each_version_once(deps: Dependencies) -> None:
    app_id = new_app(deps)
    for code in (2, 3, 4):
        upload_to(deps, "nightly", code)
    set_policy(deps, app_id, {"default": {"keepLatest": 1}})
    assert racing_sweep(deps, app_id, lambda: sweep(deps)) == 0  # the other did it all
    assert remaining(deps, app_id) == [4, 1]
    deletions = [e for e in deps.audit.events if e.action is AuditAction.DELETE]
    assert len(deletions) == 2


def test_enforce_on_an_app_without_a_policy_reads_nothing(deps: Dependencies) -> None:
    app_id = new_app(deps)
    app = fake_store(deps).get_app(app_id)
    fake = fake_store(deps)
    fake.versions = lambda _: pytest.fail("no policy: nothing to read")  # type: ignore[method-assign]
    assert enforcement.enforce(deps, app, 100) == 0


def test_a_sweep_goes_on_past_an_app_it_cannot_sweep_then_asks_for_a_retry(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = []
    for index in range(3):
        first = upload(deps, OWNER, apk(package=f"com.example.app{index}", code=1)).data.id
        upload(deps, OWNER, apk(package=f"com.example.app{index}", code=2))
        set_policy(deps, first, {"default": {"keepLatest": 1}})
        apps.append(first)
    fake = fake_store(deps)
    read = fake.versions

    def busy(app_id: str) -> list[Version]:
        if app_id == apps[1]:
            raise BackendUnavailable("Firestore is unavailable, retry later")
        return read(app_id)

    monkeypatch.setattr(fake, "versions", busy)
    with pytest.raises(
        BackendUnavailable, match="1 apps, projects, abandoned-upload or stale-work"
    ):
        sweep(deps)
    monkeypatch.undo()
    assert [remaining(deps, app_id) for app_id in apps] == [[2], [2, 1], [2]]
    assert sweep(deps).model_dump() == {"deleted": 1, "staleWork": 0, "finished": True}


# --- webhooks ---------------------------------------------------------------------------------


def test_what_retention_deletes_is_a_version_deleted_event(deps: Dependencies) -> None:
    hook = Hook(
        id=new_opaque_id(),
        accountId=OWNER.id,
        url="https://hooks.example.com/apkdrop",
        kind=HookKind.JSON,
        createdAt=START,
        events=["version.deleted"],
        appId=None,
        channel="nightly",
    )
    assert deps.webhooks.add_hook(hook, 10)
    app_id = new_app(deps)
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 2}}})
    for code in (2, 3, 4):  # 4.0's upload deletes 2.0
        upload_to(deps, "nightly", code)
        deps.clock.now += 5 * DAY
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 2, "maxAgeDays": 7}}})
    assert sweep(deps).deleted == 1  # 3.0, 10 days old

    deleted = [task.payload["event"] for task in deps.webhook_queue.tasks.values()]
    assert [event["type"] for event in deleted] == ["version.deleted"] * 2
    assert [event["data"]["version"]["version"] for event in deleted] == ["2.0", "3.0"]
    assert {event["data"]["version"]["channel"] for event in deleted} == {"nightly"}


def test_a_deletion_whose_files_failed_is_finished_by_the_next_run(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = new_app(deps)
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 1}}})
    upload_to(deps, "nightly", 2)
    doomed = fake_store(deps).get_version(app_id, 2)[1].objectName
    real_delete = fake_bucket(deps).delete_object

    def storage_down(name: str) -> None:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    monkeypatch.setattr(fake_bucket(deps), "delete_object", storage_down)
    upload_to(deps, "nightly", 3)  # its keepLatest tombstones 2.0, then cannot delete its files
    assert fake_store(deps).unfinished_deletions(app_id)[0].versionNumber == 2
    monkeypatch.setattr(fake_bucket(deps), "delete_object", real_delete)

    assert sweep(deps).deleted == 1
    assert doomed not in fake_bucket(deps).objects
    assert fake_store(deps).unfinished_deletions(app_id) == []
    (finished,) = [e for e in deps.audit.events if e.action is AuditAction.DELETE]
    assert finished.details == {"deletedBy": "retention", "rule": enforcement.UNFINISHED_RULE}
    assert sweep(deps).deleted == 0


def test_what_retention_deletes_is_a_version_deleted_event_even_when_its_files_fail(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = Hook(
        id=new_opaque_id(),
        accountId=OWNER.id,
        url="https://hooks.example.com/apkdrop",
        kind=HookKind.JSON,
        createdAt=START,
        events=["version.deleted"],
        appId=None,
        channel=None,
    )
    assert deps.webhooks.add_hook(hook, 10)
    app_id = new_app(deps)
    set_policy(deps, app_id, {"channels": {"nightly": {"keepLatest": 1}}})
    upload_to(deps, "nightly", 2)
    with monkeypatch.context() as outage:
        outage.setattr(fake_bucket(deps), "delete_object", storage_down)
        upload_to(deps, "nightly", 3)  # tombstones 2.0, then cannot delete its files
    assert sweep(deps).deleted == 1  # the next run finishes it

    deleted = [task.payload["event"] for task in deps.webhook_queue.tasks.values()]
    assert [event["data"]["version"]["version"] for event in deleted] == ["2.0"]


# --- deletions left halfway -------------------------------------------------------------------


def storage_down(name: str) -> None:
    raise BackendUnavailable("Cloud Storage is unavailable, retry later")


def objects_of(deps: Dependencies, app_id: str) -> set[str]:
    return {
        name
        for version in fake_store(deps).versions(app_id)
        for name in (version.objectName, version.iconObject)
        if name is not None
    }


def deletes(deps: Dependencies) -> list[tuple[str, str, dict]]:
    return [
        (event.actor.keyPrefix, event.target, event.details)
        for event in deps.audit.events
        if event.action is AuditAction.DELETE
    ]


def test_an_owners_version_delete_left_halfway_is_finished_by_the_sweep_an_hour_later(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = new_app(deps)  # no retention policy
    upload_to(deps, "default", 2)
    doomed = objects_of(deps, app_id) - {fake_store(deps).get_version(app_id, 1)[1].objectName}
    with monkeypatch.context() as outage:
        outage.setattr(fake_bucket(deps), "delete_object", storage_down)
        with pytest.raises(BackendUnavailable):  # a 503 that nobody repeats
            deletion.delete_version(deps, OWNER, app_id, "2.0")

    assert sweep(deps).deleted == 0  # its request may still be finishing it
    deps.clock.now += LEFT_HALFWAY_AFTER
    assert sweep(deps).deleted == 1

    assert doomed and not doomed & set(fake_bucket(deps).objects)
    assert fake_store(deps).deleted_version(app_id, 2).pendingObjects == []
    assert deletes(deps) == [
        (
            "retention",
            f"/v1/application/{app_id}/versions/2.0",
            {"deletedBy": OWNER.email, "finishedBy": "retention"},
        )
    ]
    assert sweep(deps).deleted == 0


def test_an_owners_app_delete_left_halfway_is_finished_with_its_versions(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = new_app(deps)
    upload_to(deps, "default", 2)
    objects = objects_of(deps, app_id)
    with monkeypatch.context() as outage:
        outage.setattr(fake_bucket(deps), "delete_object", storage_down)
        with pytest.raises(BackendUnavailable):  # 2.0's deletion stops halfway...
            deletion.delete_version(deps, OWNER, app_id, "2.0")
        with pytest.raises(BackendUnavailable):  # ...then the app's
            deletion.delete_application(deps, OWNER, app_id)
    assert fake_store(deps).versions(app_id)  # 1.0's document is still a live one

    deps.clock.now += LEFT_HALFWAY_AFTER
    assert sweep(deps).deleted == 1  # the app, and with it 2.0's tombstone

    assert not objects & set(fake_bucket(deps).objects)
    assert fake_store(deps).deleted_app(app_id).pendingObjects == []
    assert fake_store(deps).versions(app_id) == []
    assert fake_store(deps).unfinished_deletions(app_id) == []
    assert deletes(deps) == [
        (
            "retention",
            f"/v1/application/{app_id}",
            {"deletedBy": OWNER.email, "finishedBy": "retention"},
        )
    ]


@pytest.mark.parametrize("deps", [fake_dependencies(retention_max_deletions_per_run=2)])
def test_deletions_left_halfway_are_finished_within_the_runs_budget(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = [upload(deps, OWNER, apk(package=f"com.example.app{n}")).data.id for n in range(3)]
    with monkeypatch.context() as outage:
        outage.setattr(fake_bucket(deps), "delete_object", storage_down)
        for app_id in apps:
            with pytest.raises(BackendUnavailable):
                deletion.delete_application(deps, OWNER, app_id)
    deps.clock.now += LEFT_HALFWAY_AFTER

    runs = [sweep(deps).model_dump() for _ in range(3)]
    assert runs == [
        {"deleted": 2, "staleWork": 0, "finished": False},
        {"deleted": 1, "staleWork": 0, "finished": True},
        {"deleted": 0, "staleWork": 0, "finished": True},
    ]
    assert [fake_store(deps).deleted_app(app_id).pendingObjects for app_id in apps] == [[], [], []]
