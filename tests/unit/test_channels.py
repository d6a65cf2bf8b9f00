"""Channels: numbering across them, what a version follows in its channel, and the listings."""

import datetime

import pytest

from apkdrop import links
from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import deletion, queries
from apkdrop.applications.models import CHANNEL_SUMMARY_VERSIONS, MAX_CHANNELS_SHOWN, AccessType
from apkdrop.channels import DEFAULT_CHANNEL
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Conflict, NotFound, Unauthenticated
from apkdrop.install_pages import service as pages
from apkdrop.paging import DEFAULT_PAGE_SIZE
from tests.fakes import fake_store
from tests.unit.test_application_service import upload
from tests.unit.test_version_insights import CAMERA, INTERNET, OTHER, apk

OWNER = Caller(
    id="acct-owner", email="owner@example.com", keyPrefix="apkd_abcd", scope=KeyScope.ADMIN
)
BASE = "https://apkdrop.example.test"


@pytest.fixture(autouse=True)
def clock(deps: Dependencies) -> None:
    deps.clock.now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    deps.clock.step = datetime.timedelta(seconds=1)


def test_the_channel_link_is_the_magic_link_with_the_channel() -> None:
    assert links.channel_link(f"{BASE}/", "abc", "nightly") == f"{BASE}/app/abc?channel=nightly"


def test_numbering_stays_per_app_across_channels(deps: Dependencies) -> None:
    first = upload(deps, OWNER, apk(1))
    nightly = upload(deps, OWNER, apk(2), channel="nightly")
    again = upload(deps, OWNER, apk(3))

    assert [first.data.version, nightly.data.version, again.data.version] == ["1.0", "2.0", "3.0"]
    assert (first.data.channel, nightly.data.channel) == ("default", "nightly")
    assert nightly.data.channelMagicLink == f"{nightly.data.magicLink}?channel=nightly"
    stored = {v.version: v.channel for v in deps.applications.versions(first.data.id)}
    assert stored == {"1.0": "default", "2.0": "nightly", "3.0": "default"}


def test_insights_compare_with_the_previous_version_of_the_same_channel(deps: Dependencies) -> None:
    upload(deps, OWNER, apk(1))
    upload(deps, OWNER, apk(2, permissions=(INTERNET, CAMERA)), channel="nightly")
    default_again = upload(deps, OWNER, apk(3))
    nightly_again = upload(deps, OWNER, apk(4, permissions=(INTERNET, CAMERA)), channel="nightly")

    assert default_again.data.insights is not None
    assert default_again.data.insights.comparedTo.model_dump() == {
        "version": "1.0",
        "channel": "default",
    }
    assert default_again.data.insights.permissions.added == []
    assert nightly_again.data.insights is not None
    assert nightly_again.data.insights.comparedTo.model_dump() == {
        "version": "2.0",
        "channel": "nightly",
    }
    assert nightly_again.data.insights.permissions.added == []


def test_a_channels_first_version_follows_the_apps_latest(deps: Dependencies) -> None:
    app_id = upload(deps, OWNER, apk(1), accessType="private", allowedUsers="qa@example.com")
    answer = upload(deps, OWNER, apk(2), channel="nightly")

    assert answer.data.insights is not None
    # Another channel's: the answer says which.
    assert answer.data.insights.comparedTo.model_dump() == {"version": "1.0", "channel": "default"}
    _, version = deps.applications.get_version(app_id.data.id, 2) or (None, None)
    assert version is not None
    assert (version.accessType, version.allowedUsers) == (AccessType.PRIVATE, ["qa@example.com"])


def test_access_is_inherited_from_the_channels_newest(deps: Dependencies) -> None:
    app_id = upload(deps, OWNER, apk(1), channel="nightly").data.id
    upload(deps, OWNER, apk(2), accessType="private", allowedUsers="qa@example.com")
    upload(deps, OWNER, apk(3), channel="nightly")

    _, third = deps.applications.get_version(app_id, 3) or (None, None)
    assert third is not None
    assert third.accessType is AccessType.PUBLIC  # nightly's 1.0, not the private 2.0


def test_a_new_channel_does_not_slip_past_signer_policy_reject(deps: Dependencies) -> None:
    upload(deps, OWNER, apk(1), signerPolicy="reject")
    with pytest.raises(Conflict):
        upload(deps, OWNER, apk(2, signer=OTHER), channel="fresh")


def test_a_channel_follows_its_newest_remaining_version(deps: Dependencies) -> None:
    app_id = upload(deps, OWNER, apk(1), channel="nightly").data.id
    upload(deps, OWNER, apk(2), channel="nightly")
    upload(deps, OWNER, apk(3))
    deletion.delete_version(deps, OWNER, app_id, "2.0")

    answer = upload(deps, OWNER, apk(4), channel="nightly")
    assert answer.data.insights is not None
    assert answer.data.insights.comparedTo.model_dump() == {"version": "1.0", "channel": "nightly"}


def test_the_detail_lists_channels_with_their_latest_and_filters_by_channel(
    deps: Dependencies,
) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id
    upload(deps, OWNER, apk(2), channel="nightly")
    upload(deps, OWNER, apk(3), channel="nightly")
    upload(deps, OWNER, apk(4), channel="pr-7")

    detail = queries.get_application(deps, OWNER, app_id).data
    assert [(c.channel, c.latestVersion) for c in detail.channels] == [
        ("pr-7", "4.0"),
        ("nightly", "3.0"),
        ("default", "1.0"),
    ]
    assert detail.channels[1].channelMagicLink == f"{BASE}/app/{app_id}?channel=nightly"
    assert [(v.version, v.channel) for v in detail.versions][-1] == ("1.0", "default")

    nightly = queries.get_application(deps, OWNER, app_id, "nightly").data
    assert [v.version for v in nightly.versions] == ["3.0", "2.0"]
    assert len(nightly.channels) == 3  # the channels stay whole
    with pytest.raises(NotFound, match="has no channel release"):
        queries.get_application(deps, OWNER, app_id, "release")


def channels_of(deps: Dependencies, app_id: str) -> list[tuple[str, str]]:
    detail = queries.get_application(deps, OWNER, app_id).data
    return [(c.channel, c.latestVersion) for c in detail.channels]


def test_a_channel_uploaded_to_before_the_newest_versions_is_still_listed(
    deps: Dependencies,
) -> None:
    """More versions of nightly since beta's than the window of version documents holds."""
    content = apk(1)
    app_id = upload(deps, OWNER, content, channel="beta").data.id
    for _ in range(CHANNEL_SUMMARY_VERSIONS):
        upload(deps, OWNER, content, channel="nightly")

    last = f"{CHANNEL_SUMMARY_VERSIONS + 1}.0"
    assert channels_of(deps, app_id) == [("nightly", last), ("beta", "1.0")]


def test_the_channels_most_recently_uploaded_to_are_listed(deps: Dependencies) -> None:
    content = apk(1)
    app_id = upload(deps, OWNER, content, channel="c0").data.id
    for n in range(1, MAX_CHANNELS_SHOWN + 1):
        upload(deps, OWNER, content, channel=f"c{n}")

    shown = [channel for channel, _ in channels_of(deps, app_id)]
    assert shown == [f"c{n}" for n in range(MAX_CHANNELS_SHOWN, 0, -1)]  # c0's is the oldest

    upload(deps, OWNER, content, channel="c0")
    shown = [channel for channel, _ in channels_of(deps, app_id)]
    assert shown[0] == "c0" and "c1" not in shown and len(shown) == MAX_CHANNELS_SHOWN


def test_a_channel_without_a_remaining_version_is_not_listed(deps: Dependencies) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id
    upload(deps, OWNER, apk(2), channel="nightly")
    upload(deps, OWNER, apk(3), channel="beta")
    upload(deps, OWNER, apk(4), channel="nightly")
    for version in ("2.0", "4.0"):
        deletion.delete_version(deps, OWNER, app_id, version)

    assert channels_of(deps, app_id) == [("beta", "3.0"), ("default", "1.0")]
    detail = queries.get_application(deps, OWNER, app_id).data
    assert detail.latestVersion == "3.0"


def stored_before_apps_kept_channels(deps: Dependencies, app_id: str) -> None:
    del fake_store(deps).apps[app_id]["channels"]


def test_the_first_upload_to_an_app_stored_before_its_channels_starts_its_list(
    deps: Dependencies,
) -> None:
    """From the channels its window of version documents listed: from then on each is read by
    one query, and a channel uploaded to since is kept however old its versions grow."""
    content = apk(1)
    app_id = upload(deps, OWNER, content, channel="beta").data.id
    upload(deps, OWNER, content, channel="nightly")
    stored_before_apps_kept_channels(deps, app_id)
    upload(deps, OWNER, content, channel="release")
    assert fake_store(deps).apps[app_id]["channels"] == ["release", "nightly", "beta"]

    for _ in range(CHANNEL_SUMMARY_VERSIONS):
        upload(deps, OWNER, content, channel="nightly")
    fake_store(deps).version_documents_read = 0
    assert channels_of(deps, app_id) == [
        ("nightly", f"{CHANNEL_SUMMARY_VERSIONS + 3}.0"),
        ("release", "3.0"),
        ("beta", "1.0"),
    ]
    # A document per channel, and the page of versions with one past it.
    assert fake_store(deps).version_documents_read == 3 + DEFAULT_PAGE_SIZE + 1


def test_the_list_started_on_an_old_app_names_only_channels_with_a_remaining_version(
    deps: Dependencies,
) -> None:
    app_id = upload(deps, OWNER, apk(1), channel="beta").data.id
    upload(deps, OWNER, apk(2), channel="nightly")
    upload(deps, OWNER, apk(3))
    upload(deps, OWNER, apk(4), channel="beta")
    upload(deps, OWNER, apk(5), channel="gone")
    deletion.delete_version(deps, OWNER, app_id, "5.0")
    stored_before_apps_kept_channels(deps, app_id)
    upload(deps, OWNER, apk(6), channel="nightly")

    assert fake_store(deps).apps[app_id]["channels"] == ["nightly", "beta", DEFAULT_CHANNEL]


def test_an_upload_committed_while_an_old_apps_list_is_started_keeps_its_channel(
    deps: Dependencies,
) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id
    stored_before_apps_kept_channels(deps, app_id)
    fake_store(deps).before_commit = lambda: upload(deps, OWNER, apk(2), channel="beta")

    upload(deps, OWNER, apk(3), channel="nightly")

    assert fake_store(deps).apps[app_id]["channels"] == ["nightly", "beta", DEFAULT_CHANNEL]
    assert channels_of(deps, app_id) == [("nightly", "3.0"), ("beta", "2.0"), ("default", "1.0")]


def test_versions_stored_before_channels_keep_the_default_channel_listed(
    deps: Dependencies,
) -> None:
    """Their documents have no channel for its query to match: the window still finds them."""
    app_id = upload(deps, OWNER, apk(1)).data.id
    del fake_store(deps).version_docs[app_id][1]["channel"]
    stored_before_apps_kept_channels(deps, app_id)
    upload(deps, OWNER, apk(2), channel="nightly")

    assert fake_store(deps).apps[app_id]["channels"] == ["nightly", DEFAULT_CHANNEL]
    assert channels_of(deps, app_id) == [("nightly", "2.0"), ("default", "1.0")]


def test_the_page_of_a_channel_opens_its_latest_under_that_versions_access(
    deps: Dependencies,
) -> None:
    app_id = upload(deps, OWNER, apk(1), channel="nightly").data.id
    upload(deps, OWNER, apk(2))
    upload(deps, OWNER, apk(3), channel="nightly", accessType="private", allowedUsers="qa@x.io")

    shown = pages.visible_version(deps, app_id, None, "qa@x.io", "nightly")
    assert (shown.version.version, shown.latest) == ("3.0", 3)
    assert [v.version for v in shown.versions] == ["3.0", "1.0"]
    assert pages.visible_version(deps, app_id, None, None, "default").version.version == "2.0"
    with pytest.raises(Unauthenticated):
        pages.visible_version(deps, app_id, None, None, "nightly")
    with pytest.raises(NotFound, match="has no channel release"):
        pages.visible_version(deps, app_id, None, None, "release")
