"""The download record through the gateway: each download counted once, and who made it."""

import time

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from apkdrop.accounts import UPLOAD_ONLY, KeyScope, issue_api_key
from apkdrop.adapters.firestore import AccountStore
from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded
from tests.integration.test_install_pages import SIGN_IN_LINK
from tests.integration.test_notifications import MAIL_TIMEOUT_SECONDS, mail_about

pytestmark = pytest.mark.integration


def key_of(stack, email: str, scope: KeyScope) -> str:
    client = firestore.Client(
        project=stack.env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials()
    )
    try:
        return issue_api_key(AccountStore(client), email, scope=scope)
    finally:
        client.close()


def api_client(stack, key: str) -> httpx.Client:
    return httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60)


def signed_in(stack, app_id: str, email: str, label: str) -> httpx.Client:
    """A browser-like client with the session the emailed sign-in link starts."""
    visitor = httpx.Client(base_url=stack.url, timeout=30)
    assert visitor.post("/auth/sign-in", data={"app": app_id, "email": email}).status_code == 200
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while not (mine := [m for m in mail_about(stack, label) if m["to"] == [email]]):
        assert time.monotonic() < deadline, f"no sign-in link reached {email}"
        time.sleep(0.25)
    token = SIGN_IN_LINK.search(mine[0]["text"]).group(0).partition("token=")[2]
    assert visitor.post("/auth/verify", data={"token": token}).status_code == 303
    return visitor


@pytest.fixture
def owner(stack) -> str:
    return f"owner-{time.monotonic_ns()}@example.com"


@pytest.fixture
def admin(stack, owner: str):
    with api_client(stack, key_of(stack, owner, KeyScope.ADMIN)) as client:
        yield client


def app_of_two_versions(admin: httpx.Client, label: str, tester: str) -> tuple[str, bytes]:
    """A public 1.0 and a 2.0 private to `tester`; the id and 1.0's file."""
    package = f"com.example.downloads{time.monotonic_ns()}"
    one = build_apk(package, "1", 1, label=label)
    first = uploaded(upload(admin, one))
    two = build_apk(package, "2", 2, label=label)
    uploaded(upload(admin, two, accessType="PRIVATE", allowedUsers=tester))
    return first["id"], one


def downloads(client: httpx.Client, app_id: str, query: str = "") -> httpx.Response:
    return client.get(f"/v1/application/{app_id}/downloads{query}")


def counts(client: httpx.Client, app_id: str) -> dict[str, int]:
    detail = client.get(f"/v1/application/{app_id}").json()["data"]
    return {v["version"]: v["downloadCount"] for v in detail["versions"]}


def test_each_download_is_counted_once_with_its_visitor(stack, admin, owner):
    label, tester = f"Counted {time.monotonic_ns()}", f"qa-{time.monotonic_ns()}@example.com"
    app_id, one = app_of_two_versions(admin, label, tester)
    assert counts(admin, app_id) == {"2.0": 0, "1.0": 0}
    anonymous = httpx.Client(base_url=stack.url, timeout=30)

    assert anonymous.get(f"/app/{app_id}/download?version=1.0").status_code == 302
    assert anonymous.get(f"/app/{app_id}/download?version=2.0").status_code == 401  # not counted
    tester_browser = signed_in(stack, app_id, tester, label)
    assert tester_browser.get(f"/app/{app_id}/download").status_code == 302  # the latest, 2.0
    fetched = admin.get(f"/v1/application/{app_id}/versions/1.0/download")

    assert fetched.status_code == 302
    assert httpx.get(fetched.headers["Location"], timeout=30).content == one  # a real signed URL
    assert counts(admin, app_id) == {"2.0": 1, "1.0": 2}
    listed = downloads(admin, app_id)
    assert listed.status_code == 200, listed.text
    assert listed.json()["nextPageToken"] is None
    rows = listed.json()["data"]
    assert [(r["version"], r["visitor"], r["via"]) for r in rows] == [
        ("1.0", owner, "api"),
        ("2.0", tester, "page"),
        ("1.0", None, "page"),
    ]
    assert rows[0]["at"] >= rows[1]["at"] >= rows[2]["at"]


def test_the_record_pages_and_filters_by_version(stack, admin):
    label = f"Paged {time.monotonic_ns()}"
    app_id, _ = app_of_two_versions(admin, label, "nobody@example.com")
    for version in ("1.0", "2.0", "1.0", "2.0", "1.0"):
        assert admin.get(f"/v1/application/{app_id}/versions/{version}/download").status_code == 302

    first = downloads(admin, app_id, "?limit=2").json()
    second = downloads(admin, app_id, f"?limit=2&pageToken={first['nextPageToken']}").json()
    third = downloads(admin, app_id, f"?limit=2&pageToken={second['nextPageToken']}").json()

    pages = [[row["version"] for row in page["data"]] for page in (first, second, third)]
    assert pages == [["1.0", "2.0"], ["1.0", "2.0"], ["1.0"]]
    assert third["nextPageToken"] is None
    assert [r["version"] for r in downloads(admin, app_id, "?version=2.0").json()["data"]] == [
        "2.0",
        "2.0",
    ]
    assert counts(admin, app_id) == {"2.0": 2, "1.0": 3}
    for query, status in [
        ("?version=9.0", 404),
        ("?version=x", 400),
        ("?limit=0", 400),
        ("?limit=101", 400),
        ("?pageToken=not-ours", 400),
    ]:
        answer = downloads(admin, app_id, query)
        assert (answer.status_code, set(answer.json())) == (status, {"detail"}), query


def test_an_upload_key_downloads_but_may_not_read_the_record(stack, admin, owner):
    app_id, _ = app_of_two_versions(admin, f"Scoped {time.monotonic_ns()}", "qa@example.com")
    with api_client(stack, key_of(stack, owner, KeyScope.UPLOAD)) as ci:
        refused = downloads(ci, app_id)
        assert (refused.status_code, refused.json()) == (403, {"detail": UPLOAD_ONLY})
        assert ci.get(f"/v1/application/{app_id}/versions/2.0/download").status_code == 302
    rows = downloads(admin, app_id).json()["data"]
    assert [(r["version"], r["visitor"], r["via"]) for r in rows] == [("2.0", owner, "api")]


def test_another_accounts_app_is_not_found(stack, admin, client):
    app_id, _ = app_of_two_versions(admin, f"Theirs {time.monotonic_ns()}", "qa@example.com")
    for path in (
        f"/v1/application/{app_id}/downloads",
        f"/v1/application/{app_id}/versions/1.0/download",
    ):
        answer = client.get(path)
        assert (answer.status_code, answer.json()) == (
            404,
            {"detail": f"Application {app_id} not found"},
        )
    assert counts(admin, app_id) == {"2.0": 0, "1.0": 0}
