"""ApplicationRepository's retention methods: the fake and Firestore keep the same contract
(pins, the apps the sweep visits, and a retention deletion's own checks)."""

import pytest

from apkdrop.adapters import firestore_applications
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.retention.models import RETENTION_DELETES, RetentionPolicy, RetentionRule
from tests.fakes import FakeApplicationStore
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore
from tests.integration.contract.test_application_repository import (
    DELETED_AT,
    append,
    created,
    new_app,
    version_of,
)

pytestmark = pytest.mark.integration


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> ApplicationRepository:
    return fake_or_firestore(request, FakeApplicationStore, firestore_applications.ApplicationStore)


KEEP_TWO = RetentionPolicy(default=RetentionRule(keepLatest=2))


def with_channels(store: ApplicationRepository, channels: list[str]) -> str:
    """An app whose version N (from 1) is in channels[N - 1]."""
    app = new_app()
    first = version_of(app, 1).model_copy(update={"channel": channels[0]})
    assert store.create_app(app, first, claim_package=True)
    for channel in channels[1:]:
        store.append_version(
            app.id,
            channel,
            lambda _, number, channel=channel: version_of(app, number).model_copy(
                update={"channel": channel}
            ),
            {},
        )
    return app.id


def test_a_pin_is_stored_and_read_back(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    pinned = store.set_pinned(app.id, 1, True)
    assert pinned is not None and pinned[1].pinned and pinned[0].id == app.id
    assert store.get_version(app.id, 1)[1].pinned
    assert not store.set_pinned(app.id, 1, False)[1].pinned
    assert not store.get_version(app.id, 1)[1].pinned
    assert store.set_pinned(app.id, 9, True) is None
    store.delete_version(app.id, 1, "owner@example.com", DELETED_AT)
    assert store.set_pinned(app.id, 1, True) is None  # a tombstone is not pinned


def test_the_sweep_visits_the_apps_whose_policy_deletes(store: ApplicationRepository) -> None:
    kept, swept = created(store, new_app()), created(store, new_app())
    store.change_access(
        swept.id, None, None, {"retention": KEEP_TWO.model_dump(), RETENTION_DELETES: True}
    )
    store.change_access(
        kept.id, None, None, {"retention": RetentionPolicy().model_dump(), RETENTION_DELETES: False}
    )
    found = {app.id: app for app in store.apps_with_retention()}
    assert swept.id in found and kept.id not in found
    assert found[swept.id].retention == KEEP_TWO
    store.delete_app(swept.id, "owner@example.com", DELETED_AT)
    assert swept.id not in {app.id for app in store.apps_with_retention()}


def test_a_retention_deletion_never_takes_a_channels_newest(store: ApplicationRepository) -> None:
    app_id = with_channels(store, ["nightly", "release", "nightly"])
    assert store.delete_version(app_id, 3, "retention", DELETED_AT, by_retention=True) is None
    assert store.delete_version(app_id, 2, "retention", DELETED_AT, by_retention=True) is None
    tombstone = store.delete_version(app_id, 1, "retention", DELETED_AT, by_retention=True)
    assert tombstone is not None and tombstone.deletedBy == "retention"
    assert [v.versionNumber for v in store.versions(app_id)] == [3, 2]


def test_a_retention_deletion_never_takes_a_pinned_version(store: ApplicationRepository) -> None:
    app = created(store, new_app())
    append(store, app)
    store.set_pinned(app.id, 1, True)
    assert store.delete_version(app.id, 1, "retention", DELETED_AT, by_retention=True) is None
    assert store.get_version(app.id, 1) is not None
    # An owner's deletion is theirs to make.
    assert store.delete_version(app.id, 1, "owner@example.com", DELETED_AT) is not None


def test_a_policy_round_trips_with_every_character_a_channel_may_hold(
    store: ApplicationRepository,
) -> None:
    app = created(store, new_app())
    policy = RetentionPolicy(
        channels={"release.1-rc_2": RetentionRule(keepLatest=3), "a": RetentionRule()}
    )
    store.change_access(
        app.id, None, None, {"retention": policy.model_dump(), RETENTION_DELETES: True}
    )
    assert store.get_app(app.id).retention == policy
