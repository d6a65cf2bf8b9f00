"""The download record: each download counted once, listed newest first, refused unrecorded."""

import base64
import dataclasses
import datetime
import json

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from apkdrop import wiring
from apkdrop.accounts import UPLOAD_ONLY, Caller, KeyScope, issue_api_key
from apkdrop.applications import deletion
from apkdrop.applications.models import Application
from apkdrop.dependencies import Dependencies
from apkdrop.downloads import service
from apkdrop.downloads.models import DownloadEvent, Via
from apkdrop.errors import BackendUnavailable, InvalidRequest, NotFound
from apkdrop.install_pages import session
from apkdrop.paging import TIME_CURSOR, PageRequest, TimeCursor, page_request
from tests.fakes import (
    FakeDownloadLog,
    fake_bucket,
    fake_dependencies,
    fake_store,
    install_page_app,
    install_session_cookie,
)

NOW = datetime.datetime(2026, 3, 1, 12, 0, 5, tzinfo=datetime.UTC)
APP_ID = "AppForDownloadsTest001"
OWNER = "owner@example.com"
TESTER = "tester@example.com"
OWNER_CALLER = Caller(id="acct-install", email=OWNER, keyPrefix="apkd_own1", scope=KeyScope.ADMIN)
STRANGER = Caller(
    id="acct-other", email="x@example.com", keyPrefix="apkd_oth1", scope=KeyScope.ADMIN
)
FIRST = PageRequest(limit=50, after=None)


@pytest.fixture
def deps() -> Dependencies:
    made = fake_dependencies(session_signing_key="k" * 40)
    made.clock.now = NOW
    return made


@pytest.fixture
def app(deps: Dependencies) -> Application:
    return install_page_app(
        deps.applications, APP_ID, owner_email=OWNER, version_names=("1.0", "2.0", "3.0")
    )


def log(deps: Dependencies) -> FakeDownloadLog:
    assert isinstance(deps.downloads, FakeDownloadLog)
    return deps.downloads


def count(deps: Dependencies, number: int) -> int:
    found = deps.applications.get_version(APP_ID, number)
    assert found is not None
    return found[1].downloadCount


def download(deps: Dependencies, app: Application, number: int, visitor: str | None = None) -> str:
    found = deps.applications.get_version(app.id, number)
    assert found is not None
    return service.signed_download(deps, app, found[1], visitor, Via.PAGE)


class BrokenDownloadLog(FakeDownloadLog):
    def record(self, event: DownloadEvent) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")


def with_broken_log(deps: Dependencies) -> Dependencies:
    return dataclasses.replace(deps, downloads=BrokenDownloadLog(fake_store(deps)))


# --- recording ------------------------------------------------------------------------------


def test_a_download_is_recorded_once_and_counted_on_its_version(
    deps: Dependencies, app: Application
) -> None:
    url = download(deps, app, 2, visitor=TESTER)

    object_name = f"applications/acct-install/{APP_ID}/2.apk"
    assert url == f"https://storage.example.test/apkdrop-test-uploads/{object_name}?get=1"
    (event,) = [DownloadEvent.model_validate(e) for e in log(deps).events.values()]
    assert (event.appId, event.versionNumber, event.at, event.visitor, event.via) == (
        APP_ID,
        2,
        NOW,
        TESTER,
        Via.PAGE,
    )
    assert [count(deps, n) for n in (1, 2, 3)] == [0, 1, 0]
    download(deps, app, 2)
    assert [count(deps, n) for n in (1, 2, 3)] == [0, 2, 0]


def test_the_signed_url_saves_the_file_under_its_label_and_version(
    deps: Dependencies, app: Application
) -> None:
    download(deps, app, 3)
    assert fake_bucket(deps).signed_gets == [
        (
            f"applications/acct-install/{APP_ID}/3.apk",
            datetime.timedelta(minutes=5),
            "Install_Demo-3.0.apk",
        )
    ]


def test_a_download_that_cannot_be_recorded_is_refused(
    deps: Dependencies, app: Application
) -> None:
    broken = with_broken_log(deps)
    found = deps.applications.get_version(APP_ID, 1)
    assert found is not None
    with pytest.raises(BackendUnavailable):
        service.signed_download(broken, app, found[1], None, Via.PAGE)
    assert count(deps, 1) == 0


def test_a_version_without_a_count_reads_as_never_downloaded(
    deps: Dependencies, app: Application
) -> None:
    """Versions stored before the download record have no downloadCount field."""
    del fake_store(deps).version_docs[APP_ID][1]["downloadCount"]
    assert count(deps, 1) == 0
    download(deps, app, 1)
    assert count(deps, 1) == 1


def test_the_api_download_is_the_key_owners(deps: Dependencies, app: Application) -> None:
    url = service.api_download(deps, OWNER_CALLER, APP_ID, "1.0")

    assert url.startswith("https://storage.example.test/")
    (event,) = log(deps).events.values()
    assert (event["visitor"], event["via"], event["versionNumber"]) == (OWNER, Via.API, 1)
    assert count(deps, 1) == 1


@pytest.mark.parametrize("wanted", ["4.0", "0", "abc", "1.5", ""])
def test_the_api_download_of_no_version_is_not_found(
    deps: Dependencies, app: Application, wanted: str
) -> None:
    with pytest.raises(NotFound):
        service.api_download(deps, OWNER_CALLER, APP_ID, wanted)
    assert log(deps).events == {} and fake_bucket(deps).signed_gets == []


def test_another_accounts_app_is_not_found(deps: Dependencies, app: Application) -> None:
    with pytest.raises(NotFound):
        service.api_download(deps, STRANGER, APP_ID, "1.0")
    with pytest.raises(NotFound):
        service.downloads_page(deps, STRANGER, APP_ID, None, FIRST)
    assert log(deps).events == {}


@pytest.mark.parametrize("wanted", ["1.0", "4.0", "abc"])
def test_another_accounts_app_is_not_found_whichever_version_is_asked_for(
    deps: Dependencies, app: Application, wanted: str
) -> None:
    with pytest.raises(NotFound) as refused:
        service.api_download(deps, STRANGER, APP_ID, wanted)
    assert refused.value.detail == f"Application {APP_ID} not found"
    assert log(deps).events == {} and fake_bucket(deps).signed_gets == []


# --- listing --------------------------------------------------------------------------------


def downloads_at(deps: Dependencies, app: Application, *versions: int) -> None:
    """One download per entry, a second apart, anonymous unless it is version 3."""
    for offset, number in enumerate(versions):
        deps.clock.now = NOW + datetime.timedelta(seconds=offset)
        download(deps, app, number, visitor=TESTER if number == 3 else None)


def test_the_list_is_newest_first(deps: Dependencies, app: Application) -> None:
    downloads_at(deps, app, 1, 3, 2)

    page = service.downloads_page(deps, OWNER_CALLER, APP_ID, None, FIRST)

    assert page.model_dump(mode="json") == {
        "data": [
            {"version": "2.0", "at": "2026-03-01T12:00:07.000Z", "visitor": None, "via": "page"},
            {"version": "3.0", "at": "2026-03-01T12:00:06.000Z", "visitor": TESTER, "via": "page"},
            {"version": "1.0", "at": "2026-03-01T12:00:05.000Z", "visitor": None, "via": "page"},
        ],
        "nextPageToken": None,
    }


def test_the_list_of_one_version(deps: Dependencies, app: Application) -> None:
    downloads_at(deps, app, 1, 2, 1, 2)

    page = service.downloads_page(deps, OWNER_CALLER, APP_ID, "1.0", FIRST)

    assert [(d.version, d.at.second) for d in page.data] == [("1.0", 7), ("1.0", 5)]
    assert service.downloads_page(deps, OWNER_CALLER, APP_ID, "3", FIRST).data == []


@pytest.mark.parametrize("wanted", ["abc", "1.5", "0", "", "-1"])
def test_a_version_filter_that_is_no_label_is_refused(
    deps: Dependencies, app: Application, wanted: str
) -> None:
    with pytest.raises(InvalidRequest, match="version must be a version label"):
        service.downloads_page(deps, OWNER_CALLER, APP_ID, wanted, FIRST)


def test_a_version_the_app_never_had_is_not_found(deps: Dependencies, app: Application) -> None:
    with pytest.raises(NotFound) as refused:
        service.downloads_page(deps, OWNER_CALLER, APP_ID, "4.0", FIRST)
    assert refused.value.detail == f"Application {APP_ID} has no version 4.0"


def test_a_deleted_latest_version_still_lists_its_downloads(
    deps: Dependencies, app: Application
) -> None:
    """Deleting the newest version lowers the app's latest; the number stays one it reached."""
    download(deps, app, 3, TESTER)
    deletion.delete_version(deps, OWNER_CALLER, APP_ID, "3.0")

    page = service.downloads_page(deps, OWNER_CALLER, APP_ID, "3.0", FIRST)

    assert [(d.version, d.visitor) for d in page.data] == [("3.0", TESTER)]
    with pytest.raises(NotFound):
        service.downloads_page(deps, OWNER_CALLER, APP_ID, "4.0", FIRST)


def all_pages(deps: Dependencies, limit: int, version: str | None = None) -> list[list[str]]:
    """Each page's downloads, as `version@second`, following nextPageToken to the end."""
    pages, after = [], None
    while True:
        page = service.downloads_page(
            deps, OWNER_CALLER, APP_ID, version, PageRequest(limit=limit, after=after)
        )
        pages.append([f"{d.version}@{d.at.second}" for d in page.data])
        if page.nextPageToken is None:
            return pages
        after = page_request(MultiDict({"pageToken": page.nextPageToken}), TIME_CURSOR, 100).after


def test_pages_follow_one_another_without_gap_or_repeat(
    deps: Dependencies, app: Application
) -> None:
    downloads_at(deps, app, 1, 2, 3, 1, 2)

    assert all_pages(deps, 2) == [["2.0@9", "1.0@8"], ["3.0@7", "2.0@6"], ["1.0@5"]]
    assert all_pages(deps, 5) == [["2.0@9", "1.0@8", "3.0@7", "2.0@6", "1.0@5"]]
    assert all_pages(deps, 1, "2.0") == [["2.0@9"], ["2.0@6"]]


def test_downloads_of_the_same_instant_are_paged_each_once(
    deps: Dependencies, app: Application
) -> None:
    for _ in range(7):
        download(deps, app, 1)  # the clock stands still

    pages = all_pages(deps, 3)

    assert [len(page) for page in pages] == [3, 3, 1]
    seen = [e.id for e in log(deps).newest(APP_ID, None, 100, None)]
    assert len(set(seen)) == 7


@pytest.mark.parametrize(
    "sort_key",
    [
        "not a time",
        ["2026-03-01T12:00:00", "AAAAAAAAAAAAAAAAAAAAAA"],  # no time zone
        ["2026-03-01T12:00:00+00:00", "bad/id"],
        ["2026-03-01T12:00:00+00:00"],
        ["0001-01-01T00:00:00+05:00", "AAAAAAAAAAAAAAAAAAAAAA"],  # before year 1 in UTC
    ],
)
def test_a_forged_token_is_refused(sort_key: object) -> None:
    token = base64.urlsafe_b64encode(json.dumps(sort_key).encode()).decode()
    with pytest.raises(InvalidRequest) as refused:
        page_request(MultiDict({"pageToken": token}), TIME_CURSOR, 100)
    assert refused.value.detail == "pageToken is not one this API handed out"


def test_a_token_resumes_after_its_download(deps: Dependencies, app: Application) -> None:
    downloads_at(deps, app, 1, 2)
    newest = log(deps).newest(APP_ID, None, 1, None)[0]
    cursor = TimeCursor(at=newest.at, id=newest.id)
    assert [e.versionNumber for e in log(deps).newest(APP_ID, None, 5, cursor)] == [1]


# --- through the entry points ---------------------------------------------------------------


@pytest.fixture
def api(load) -> FlaskClient:
    return load("application_api")


def owner_key(deps: Dependencies, scope: KeyScope = KeyScope.ADMIN) -> dict[str, str]:
    key = issue_api_key(deps.accounts, OWNER, scope=scope)
    # The fake account ids are made fresh: move the test app into the key's account.
    (account_id,) = deps.accounts.accounts  # type: ignore[attr-defined]
    stored = fake_store(deps).apps[APP_ID]
    stored["accountId"] = account_id
    return {"X-Api-Key": key}


def test_an_api_download_redirects_and_is_listed(
    api: FlaskClient, deps: Dependencies, app: Application
) -> None:
    auth = owner_key(deps, KeyScope.UPLOAD)  # reading is allowed to upload keys
    response = api.get(f"/v1/application/{APP_ID}/versions/2.0/download", headers=auth)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://storage.example.test/")
    assert fake_bucket(deps).signed_gets[-1][0] == f"applications/acct-install/{APP_ID}/2.apk"
    assert response.headers["Cache-Control"] == "no-store"
    admin = owner_key(deps)
    listed = api.get(f"/v1/application/{APP_ID}/downloads", headers=admin)
    assert listed.status_code == 200, listed.get_json()
    assert listed.get_json()["data"] == [
        {"version": "2.0", "at": "2026-03-01T12:00:05.000Z", "visitor": OWNER, "via": "api"}
    ]
    detail = api.get(f"/v1/application/{APP_ID}", headers=admin).get_json()["data"]
    assert [(v["version"], v["downloadCount"]) for v in detail["versions"]] == [
        ("3.0", 0),
        ("2.0", 1),
        ("1.0", 0),
    ]


def test_an_upload_key_may_not_read_the_record(
    api: FlaskClient, deps: Dependencies, app: Application
) -> None:
    response = api.get(
        f"/v1/application/{APP_ID}/downloads", headers=owner_key(deps, KeyScope.UPLOAD)
    )
    assert (response.status_code, response.get_json()) == (403, {"detail": UPLOAD_ONLY})


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?limit=0", 400),
        ("?limit=101", 400),
        ("?pageToken=%40%40", 400),
        ("?version=x", 400),
        ("?version=9.0", 404),
        ("?limit=100&version=1.0", 200),
    ],
)
def test_bad_list_arguments_answer_a_detail(
    api: FlaskClient, deps: Dependencies, app: Application, query: str, status: int
) -> None:
    response = api.get(f"/v1/application/{APP_ID}/downloads{query}", headers=owner_key(deps))
    assert response.status_code == status
    assert set(response.get_json()) == ({"detail"} if status != 200 else {"data", "nextPageToken"})


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("application_api", f"/v1/application/{APP_ID}/versions/1.0/download"),
        ("install_pages", f"/app/{APP_ID}/download"),
    ],
)
def test_a_download_that_cannot_be_recorded_answers_503(
    load, monkeypatch: pytest.MonkeyPatch, deps: Dependencies, app: Application, target, path
) -> None:
    auth = owner_key(deps)
    broken = with_broken_log(deps)
    monkeypatch.setattr(wiring, "dependencies_for", lambda function, settings: broken)

    response = load(target).get(path, headers=auth)

    assert response.status_code == 503
    assert "Location" not in response.headers
    assert response.headers["Retry-After"] == "5"
    assert count(deps, 1) == 0


def page_visitor(load, deps: Dependencies, email: str | None = None) -> FlaskClient:
    pages = load("install_pages")
    if email is not None:
        cookie = install_session_cookie(deps.settings, deps.sessions, email)
        pages.set_cookie(session.COOKIE_NAME, cookie)
    return pages


@pytest.mark.parametrize("email", [None, TESTER])
def test_a_page_download_records_the_signed_in_visitor(
    load, deps: Dependencies, app: Application, email: str | None
) -> None:
    response = page_visitor(load, deps, email).get(f"/app/{APP_ID}/download?version=1.0")

    assert response.status_code == 302
    (event,) = log(deps).events.values()
    assert (event["visitor"], event["via"]) == (email, Via.PAGE)
    assert count(deps, 1) == 1


def test_a_closed_version_is_neither_downloaded_nor_recorded(load, deps: Dependencies) -> None:
    install_page_app(deps.applications, APP_ID, access="PRIVATE", allowed_users=(TESTER,))
    response = page_visitor(load, deps).get(f"/app/{APP_ID}/download")
    assert response.status_code == 401
    assert log(deps).events == {} and count(deps, 1) == 0


# --- a HEAD is no download --------------------------------------------------------------------

PRIVATE_ID = "PrivateDownloadsTest01"
DOWNLOADS = [
    ("application_api", f"/v1/application/{APP_ID}/versions/1.0/download"),
    ("install_pages", f"/app/{APP_ID}/download?version=1.0"),
]


@pytest.mark.parametrize(("target", "path"), DOWNLOADS)
def test_a_head_is_authorised_as_its_get_but_records_nothing(
    load, deps: Dependencies, app: Application, target: str, path: str
) -> None:
    """A link previewer or a download manager probing the size sends a HEAD first."""
    auth = owner_key(deps)
    client = load(target)

    probed = client.head(path, headers=auth)

    assert probed.status_code == 302
    assert "Location" not in probed.headers  # no signed URL was minted
    assert fake_bucket(deps).signed_gets == [] and log(deps).events == {} and count(deps, 1) == 0
    fetched = client.get(path, headers=auth)
    assert fetched.status_code == 302
    assert fetched.headers["Location"].startswith("https://storage.example.test/")
    assert len(log(deps).events) == 1 and count(deps, 1) == 1


@pytest.mark.parametrize(
    ("path", "email", "status"),
    [
        (f"/app/{PRIVATE_ID}/download", None, 401),
        (f"/app/{PRIVATE_ID}/download", "stranger@example.com", 403),
        (f"/app/{APP_ID}/download?version=9.0", None, 404),
        (f"/app/{APP_ID}/download?version=3.0", None, 410),  # deleted below
    ],
)
def test_a_refused_page_download_answers_a_head_as_its_get(
    load, deps: Dependencies, app: Application, path: str, email: str | None, status: int
) -> None:
    install_page_app(deps.applications, PRIVATE_ID, access="PRIVATE", allowed_users=(TESTER,))
    deletion.delete_version(deps, OWNER_CALLER, APP_ID, "3.0")
    pages = page_visitor(load, deps, email)

    assert pages.head(path).status_code == pages.get(path).status_code == status
    assert fake_bucket(deps).signed_gets == [] and log(deps).events == {}


@pytest.mark.parametrize(
    ("path", "keyed", "status"),
    [
        (f"/v1/application/{APP_ID}/versions/1.0/download", False, 401),
        (f"/v1/application/{APP_ID}/versions/9.0/download", True, 404),
        (f"/v1/application/{PRIVATE_ID}/versions/1.0/download", True, 404),  # another account's
    ],
)
def test_a_refused_api_download_answers_a_head_as_its_get(
    api: FlaskClient, deps: Dependencies, app: Application, path: str, keyed: bool, status: int
) -> None:
    install_page_app(deps.applications, PRIVATE_ID)
    auth = owner_key(deps) if keyed else {}

    head, get = api.head(path, headers=auth), api.get(path, headers=auth)

    assert head.status_code == get.status_code == status
    assert get.get_json() == {"detail": get.get_json()["detail"]}
    assert fake_bucket(deps).signed_gets == [] and log(deps).events == {}
