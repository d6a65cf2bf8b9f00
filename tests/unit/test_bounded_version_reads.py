"""No page view nor API read loads every version of an app: each reads a bounded window of
version documents, newest first, however many versions a nightly CI has uploaded."""

import base64
import copy
import datetime
import json

import pytest
from flask.testing import FlaskClient

from apkdrop.accounts import KeyScope, issue_api_key_with_caller
from apkdrop.applications.models import CHANNEL_SUMMARY_VERSIONS, Application
from apkdrop.dependencies import Dependencies
from apkdrop.errors import NotFound
from apkdrop.install_pages import service as pages
from apkdrop.install_pages.gone import VersionGone
from apkdrop.notifications import delivery
from apkdrop.notifications.models import SignInEmailTask
from apkdrop.paging import DEFAULT_PAGE_SIZE
from tests.fakes import fake_dependencies, fake_store, install_page_app

MANY = 500
WINDOW = 10  # INSTALL_PAGE_HISTORY_VERSIONS in these tests
TESTER = "tester@example.com"


@pytest.fixture
def deps() -> Dependencies:
    return fake_dependencies(install_page_history_versions=WINDOW)


def app_with_many_versions(
    deps: Dependencies,
    channel_of=lambda number: "default",
    private_from: int | None = None,
) -> Application:
    """An app with MANY versions (written straight into the fake: uploading 500 takes long),
    private to TESTER from number `private_from` on; no document read counted yet."""
    app = install_page_app(fake_store(deps), version_names=("1.0",))
    documents = fake_store(deps).version_docs[app.id]
    first = documents[1]
    for number in range(1, MANY + 1):
        private = private_from is not None and number >= private_from
        documents[number] = copy.deepcopy(first) | {
            "versionNumber": number,
            "objectName": f"applications/acct-install/{app.id}/{number}.apk",
            "channel": channel_of(number),
            "accessType": "PRIVATE" if private else "PUBLIC",
            "allowedUsers": [TESTER] if private else [],
        }
    fake_store(deps).apps[app.id] |= {"latest_application_version": MANY, "lastVersionNumber": MANY}
    fake_store(deps).version_documents_read = 0
    return app


def numbers(versions) -> list[int]:
    return [version.versionNumber for version in versions]


def nightly_every_other(number: int) -> str:
    return "nightly" if number % 2 == 0 else "default"


def test_the_install_page_reads_a_window_of_the_newest_versions(deps: Dependencies) -> None:
    app = app_with_many_versions(deps)

    shown = pages.app_page(deps, app.id, None, None)

    assert shown.version.versionNumber == MANY
    assert numbers(shown.versions) == list(range(MANY, MANY - WINDOW, -1))
    assert fake_store(deps).version_documents_read <= WINDOW + 2


def test_an_old_version_shows_with_the_newest_window_as_its_history(deps: Dependencies) -> None:
    app = app_with_many_versions(deps)

    shown = pages.app_page(deps, app.id, "3.0", None)

    assert shown.version.versionNumber == 3
    # The versions between the window and the one shown are not looked for.
    assert numbers(shown.versions) == [*range(MANY, MANY - WINDOW, -1), 3]
    assert shown.latest == MANY
    assert fake_store(deps).version_documents_read <= WINDOW + 2


def test_a_channel_page_reads_a_window_of_its_channel(deps: Dependencies) -> None:
    app = app_with_many_versions(deps, channel_of=nightly_every_other)

    shown = pages.app_page(deps, app.id, None, None, "nightly")

    assert shown.version.versionNumber == shown.latest == MANY
    assert numbers(shown.versions) == list(range(MANY, MANY - 2 * WINDOW, -2))
    assert fake_store(deps).version_documents_read <= WINDOW + 2
    # A version of another channel is not on the channel's page.
    with pytest.raises(NotFound, match=r"no version 499\.0"):
        pages.app_page(deps, app.id, "499.0", None, "nightly")


def test_when_no_version_of_the_window_is_openable_the_history_is_the_one_shown(
    deps: Dependencies,
) -> None:
    app = app_with_many_versions(deps, private_from=2)

    anonymous = pages.app_page(deps, app.id, "1.0", None)
    tester = pages.app_page(deps, app.id, "1.0", TESTER)

    assert numbers(anonymous.versions) == [1]  # never a private one named
    assert numbers(tester.versions) == [*range(MANY, MANY - WINDOW, -1), 1]
    assert fake_store(deps).version_documents_read <= 2 * (WINDOW + 2)


def test_a_deleted_versions_page_links_the_newest_openable_of_the_window(
    deps: Dependencies,
) -> None:
    app = app_with_many_versions(deps, private_from=MANY - 1)
    deleted_at = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    assert fake_store(deps).delete_version(app.id, 3, "owner@example.com", deleted_at)
    fake_store(deps).version_documents_read = 0

    with pytest.raises(VersionGone) as gone:
        pages.app_page(deps, app.id, "3.0", None)

    assert gone.value.latest_link == f"/app/{app.id}?version={MANY - 2}.0"
    assert fake_store(deps).version_documents_read <= WINDOW + 2


def test_the_sign_in_email_reads_one_version_of_the_channel(deps: Dependencies) -> None:
    app = app_with_many_versions(deps, channel_of=nightly_every_other, private_from=1)
    task = SignInEmailTask(requestId="a" * 32, appId=app.id, email=TESTER, channel="default")

    found = delivery._version_to_open(deps, task)

    assert found is not None and found[1].versionNumber == MANY - 1
    assert fake_store(deps).version_documents_read <= 3  # one past the newest, then it by number


@pytest.fixture
def owned(deps: Dependencies, load) -> tuple[FlaskClient, dict[str, str], Application]:
    """application_api, an admin key's headers, and that key's app of MANY versions."""
    app = app_with_many_versions(deps, channel_of=nightly_every_other)
    key, caller = issue_api_key_with_caller(deps.accounts, "ci@example.com", KeyScope.ADMIN)
    fake_store(deps).apps[app.id]["accountId"] = caller.id
    return load("application_api"), {"X-Api-Key": key}, app


def test_get_application_pages_its_versions(deps: Dependencies, owned) -> None:
    api, auth, app = owned

    first = api.get(f"/v1/application/{app.id}", headers=auth)

    assert first.status_code == 200, first.json
    listed = [v["version"] for v in first.json["data"]["versions"]]
    assert listed == [f"{n}.0" for n in range(MANY, MANY - DEFAULT_PAGE_SIZE, -1)]
    channels = {c["channel"]: c["latestVersion"] for c in first.json["data"]["channels"]}
    assert channels == {"nightly": f"{MANY}.0", "default": f"{MANY - 1}.0"}
    assert first.json["data"]["latestVersion"] == f"{MANY}.0"
    # The page and one past it, and the window the channels are summed up from.
    assert (
        fake_store(deps).version_documents_read <= DEFAULT_PAGE_SIZE + CHANNEL_SUMMARY_VERSIONS + 2
    )

    token = first.json["nextPageToken"]
    second = api.get(f"/v1/application/{app.id}?limit=3&pageToken={token}", headers=auth)

    assert second.status_code == 200, second.json
    listed = [v["version"] for v in second.json["data"]["versions"]]
    assert listed == [f"{n}.0" for n in range(MANY - DEFAULT_PAGE_SIZE, MANY - 53, -1)]
    assert second.json["nextPageToken"]


def test_get_application_reads_one_version_per_channel_besides_its_page(
    deps: Dependencies, owned
) -> None:
    """An app document that names its channels: each channel's newest, not the window."""
    api, auth, app = owned
    fake_store(deps).apps[app.id]["channels"] = ["nightly", "default"]

    answer = api.get(f"/v1/application/{app.id}?limit=5", headers=auth)

    assert answer.status_code == 200, answer.json
    channels = {c["channel"]: c["latestVersion"] for c in answer.json["data"]["channels"]}
    assert channels == {"nightly": f"{MANY}.0", "default": f"{MANY - 1}.0"}
    assert fake_store(deps).version_documents_read == 5 + 1 + 2  # the page, one past it, 2 channels


def test_get_application_of_a_channel_pages_that_channels_versions(
    deps: Dependencies, owned
) -> None:
    api, auth, app = owned

    answer = api.get(f"/v1/application/{app.id}?channel=nightly&limit=2", headers=auth)

    assert answer.status_code == 200, answer.json
    assert [v["version"] for v in answer.json["data"]["versions"]] == [f"{MANY}.0", "498.0"]
    token = answer.json["nextPageToken"]
    last = api.get(
        f"/v1/application/{app.id}?channel=nightly&limit=100&pageToken={token}", headers=auth
    )
    assert last.json["data"]["versions"][0]["version"] == "496.0"
    assert fake_store(deps).version_documents_read <= 2 * (100 + CHANNEL_SUMMARY_VERSIONS + 2)


def test_the_last_page_has_no_next_token(deps: Dependencies, owned) -> None:
    api, auth, app = owned
    token = None
    seen: list[str] = []
    for _ in range(MANY // 100 + 1):
        query = "limit=100" + (f"&pageToken={token}" if token else "")
        answer = api.get(f"/v1/application/{app.id}?{query}", headers=auth).json
        seen += [v["version"] for v in answer["data"]["versions"]]
        token = answer["nextPageToken"]
        if token is None:
            break
    assert seen == [f"{n}.0" for n in range(MANY, 0, -1)]
    assert token is None


def test_a_download_reads_only_the_version_it_serves(deps: Dependencies) -> None:
    app = app_with_many_versions(deps)

    url = pages.download_url(deps, app.id, "3.0", None)

    assert url is not None and f"{app.id}/3.apk" in url
    assert fake_store(deps).version_documents_read == 1


@pytest.mark.parametrize("below", [0, -1, 2**63, "3", 1.5])
def test_a_page_token_no_page_ends_at_is_refused(owned, below: object) -> None:
    """A Firestore integer is 64 bits: a number past it would fail the query, not the token."""
    api, auth, app = owned
    token = base64.urlsafe_b64encode(json.dumps(below).encode()).rstrip(b"=").decode()

    answer = api.get(f"/v1/application/{app.id}?pageToken={token}", headers=auth)

    assert answer.status_code == 400
    assert answer.json == {"detail": "pageToken is not one this API handed out"}
