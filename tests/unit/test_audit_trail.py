"""Reading the trail back: `GET /v1/audit`, and the page query under it."""

import datetime

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import Caller, KeyScope, authenticate, issue_api_key
from apkdrop.audit.models import AuditAction
from apkdrop.audit.service import account_events, record
from apkdrop.dependencies import Dependencies
from apkdrop.paging import TIME_CURSOR, PageRequest, page_request, page_token
from tests.fakes import fake_dependencies

T0 = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
ALICE = Caller(id="acct-a", email="a@example.com", keyPrefix="apkd_aaaa", scope=KeyScope.ADMIN)
BOB = Caller(id="acct-b", email="b@example.com", keyPrefix="apkd_bbbb", scope=KeyScope.ADMIN)


def record_at(deps: Dependencies, caller: Caller, at: datetime.datetime, target: str) -> None:
    deps.clock.now = at
    record(deps, caller, AuditAction.UPLOAD, target)


def targets(deps: Dependencies, caller: Caller, limit: int) -> list[list[str]]:
    """Every page's targets, following nextPageToken to the end."""
    pages, after = [], None
    while True:
        page = account_events(deps, caller, PageRequest(limit=limit, after=after))
        pages.append([entry.target for entry in page.data])
        if page.nextPageToken is None:
            return pages
        token = MultiDict({"pageToken": page.nextPageToken})
        after = page_request(token, TIME_CURSOR, limit).after


def test_pages_go_newest_first_without_gaps_or_repeats(deps: Dependencies) -> None:
    for second in range(5):
        record_at(deps, ALICE, T0 + datetime.timedelta(seconds=second), f"/t{second}")

    assert targets(deps, ALICE, 2) == [["/t4", "/t3"], ["/t2", "/t1"], ["/t0"]]
    assert targets(deps, ALICE, 5) == [["/t4", "/t3", "/t2", "/t1", "/t0"]]


def test_events_of_the_same_instant_are_split_across_pages_exactly_once(
    deps: Dependencies,
) -> None:
    # Microseconds apart, and some at the same instant: the API's milliseconds cannot tell.
    for n, micros in enumerate([0, 1, 1, 1, 2, 2]):
        record_at(deps, ALICE, T0 + datetime.timedelta(microseconds=micros), f"/t{n}")

    pages = targets(deps, ALICE, 2)

    flat = [target for page in pages for target in page]
    assert sorted(flat) == [f"/t{n}" for n in range(6)]
    assert [len(page) for page in pages] == [2, 2, 2]
    assert set(pages[0]) == {"/t4", "/t5"} and flat[-1] == "/t0"


def test_only_the_callers_account_is_shown(deps: Dependencies) -> None:
    record_at(deps, ALICE, T0, "/alice")
    record_at(deps, BOB, T0, "/bob")
    assert targets(deps, ALICE, 10) == [["/alice"]]
    assert targets(deps, BOB, 10) == [["/bob"]]


def test_a_full_last_page_says_no_more_follow(deps: Dependencies) -> None:
    record_at(deps, ALICE, T0, "/one")
    record_at(deps, ALICE, T0 + datetime.timedelta(seconds=1), "/two")
    page = account_events(deps, ALICE, PageRequest(limit=2, after=None))
    assert page.nextPageToken is None


# --- the endpoint -------------------------------------------------------------------------------


@pytest.fixture
def settings_overrides() -> dict:
    return {}


@pytest.fixture
def deps(settings_overrides: dict) -> Dependencies:
    return fake_dependencies(**settings_overrides)


@pytest.fixture
def api(load) -> FlaskClient:
    return load("application_api")


def key(deps: Dependencies, scope: KeyScope = KeyScope.ADMIN) -> dict[str, str]:
    return {"X-Api-Key": issue_api_key(deps.accounts, "owner@example.com", scope)}


def test_the_endpoint_answers_a_page_of_entries(api: FlaskClient, deps: Dependencies) -> None:
    auth = key(deps)
    caller = authenticate(deps.accounts, auth)
    for second in range(3):
        deps.clock.now = T0 + datetime.timedelta(seconds=second)
        record(deps, caller, AuditAction.DELETE, f"/v1/application/a{second}", {"versions": 2})

    first = api.get("/v1/audit?limit=2", headers=auth)

    assert first.status_code == 200, first.json
    assert set(first.json) == {"data", "nextPageToken"}
    newest = first.json["data"][0]
    assert newest == {
        "id": deps.audit.events[2].id,
        "at": "2026-12-01T09:30:02.000Z",
        "actor": {"keyPrefix": caller.keyPrefix, "email": "owner@example.com", "scope": "admin"},
        "action": "delete",
        "target": "/v1/application/a2",
        "details": {"versions": 2},
    }
    token = first.json["nextPageToken"]
    rest = api.get("/v1/audit", query_string={"limit": "2", "pageToken": token}, headers=auth)
    assert [entry["target"] for entry in rest.json["data"]] == ["/v1/application/a0"]
    assert rest.json["nextPageToken"] is None


def test_the_default_page_is_fifty_events(api: FlaskClient, deps: Dependencies) -> None:
    auth = key(deps)
    caller = authenticate(deps.accounts, auth)
    for _ in range(51):
        record(deps, caller, AuditAction.UPLOAD, "/x")
    page = api.get("/v1/audit", headers=auth).json
    assert len(page["data"]) == 50 and page["nextPageToken"]


def test_an_upload_key_is_refused(api: FlaskClient, deps: Dependencies) -> None:
    refused = api.get("/v1/audit", headers=key(deps, KeyScope.UPLOAD))
    assert refused.status_code == 403
    assert refused.json == {"detail": "This API key may only upload; use an admin key"}


def test_without_a_key_401(api: FlaskClient) -> None:
    assert api.get("/v1/audit").status_code == 401


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=0", "limit must be an integer from 1 to 100"),
        ("limit=101", "limit must be an integer from 1 to 100"),
        ("limit=a", "limit must be an integer from 1 to 100"),
        ("limit=1&limit=2", "limit must be given at most once"),
        ("pageToken=%FF%00", "pageToken is not one this API handed out"),
        ("pageToken=bm90IGpzb24", "pageToken is not one this API handed out"),  # "not json"
    ],
)
def test_bad_paging_is_a_400(api: FlaskClient, deps: Dependencies, query: str, detail: str) -> None:
    refused = api.get(f"/v1/audit?{query}", headers=key(deps))
    assert (refused.status_code, refused.json) == (400, {"detail": detail})


@pytest.mark.parametrize("settings_overrides", [{"max_page_size": 3}])
def test_the_largest_page_is_a_setting(api: FlaskClient, deps: Dependencies) -> None:
    auth = key(deps)
    caller = authenticate(deps.accounts, auth)
    for _ in range(4):
        record(deps, caller, AuditAction.UPLOAD, "/x")
    assert len(api.get("/v1/audit", headers=auth).json["data"]) == 3  # the default, lowered
    assert api.get("/v1/audit?limit=3", headers=auth).status_code == 200
    refused = api.get("/v1/audit?limit=4", headers=auth)
    assert refused.json == {"detail": "limit must be an integer from 1 to 3"}


def test_a_token_past_the_oldest_event_is_an_empty_last_page(
    api: FlaskClient, deps: Dependencies
) -> None:
    auth = key(deps)
    record_at(deps, authenticate(deps.accounts, auth), T0, "/x")
    token = page_token(
        (T0 - datetime.timedelta(microseconds=1), "AAAAAAAAAAAAAAAAAAAAAA"), TIME_CURSOR
    )
    answered = api.get(f"/v1/audit?pageToken={token}", headers=auth)
    assert answered.json == {"data": [], "nextPageToken": None}
