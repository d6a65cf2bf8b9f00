"""Scoped keys and the audit trail through the gateway: `make api-key SCOPE=upload` keys upload
through both APIs and read, but are refused GET /v1/audit; an admin key reads its account's
events (and no other account's), paged."""

import time

import httpx
import pytest

from apkdrop.accounts import KeyScope, key_prefix
from tests.fixtures.apk_builder import build_apk
from tests.integration import flows
from tests.integration.conftest import RunningStack

pytestmark = pytest.mark.integration
UPLOAD_ONLY = {"detail": "This API key may only upload; use an admin key"}


def new_email() -> str:
    return f"audit-{time.monotonic_ns()}@example.com"


def client_for(stack: RunningStack, key: str) -> httpx.Client:
    return httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60)


def every_event(client: httpx.Client, limit: int) -> tuple[list[dict], int]:
    """The whole trail, following nextPageToken, and how many pages it took."""
    events, token, pages = [], None, 0
    while True:
        params = {"limit": str(limit), **({"pageToken": token} if token else {})}
        answer = client.get("/v1/audit", params=params)
        assert answer.status_code == 200, answer.text
        events += answer.json()["data"]
        pages += 1
        token = answer.json()["nextPageToken"]
        if token is None:
            return events, pages


def test_an_upload_key_uploads_and_reads_but_may_not_read_the_trail(
    stack: RunningStack, api_keys
) -> None:
    email = new_email()
    upload_key, admin_key = api_keys(email, KeyScope.UPLOAD), api_keys(email)
    content = build_apk("com.example.audit", "4.2", 42)

    with client_for(stack, upload_key) as ci, client_for(stack, admin_key) as admin:
        uploaded = ci.post("/v1/application", files={"file": ("a.apk", content)})
        assert uploaded.status_code == 200, uploaded.text
        app_id = uploaded.json()["data"]["id"]
        assert ci.get(f"/v1/application/{app_id}").status_code == 200
        assert ci.get("/v1/application").status_code == 200
        build = flows.upload_build(ci, "audited", content)
        assert build["uploadState"] == "FINISHED"

        refused = ci.get("/v1/audit")
        assert (refused.status_code, refused.json()) == (403, UPLOAD_ONLY)

        events, _ = every_event(admin, 50)

    ci_actor = {"keyPrefix": key_prefix(upload_key), "email": email, "scope": "upload"}
    by_action = {(e["action"], e["target"]): e for e in events}
    version_upload = by_action["upload", f"/v1/application/{app_id}/versions/1.0"]
    assert version_upload["actor"] == ci_actor
    assert version_upload["details"]["package"] == "com.example.audit"
    assert version_upload["details"]["versionName"] == "4.2"
    build_upload = by_action["upload", f"/api/v1/projects/audited/builds/{build['id']}"]
    assert build_upload["actor"] == ci_actor
    created = by_action["key_created", f"apiKey:{key_prefix(upload_key)}"]
    assert created["actor"] == ci_actor
    assert created["details"] == {"scope": "upload", "via": "operator"}
    admin_created = by_action["key_created", f"apiKey:{key_prefix(admin_key)}"]
    assert admin_created["actor"]["scope"] == "admin"
    # Newest first: the uploads came after the keys.
    assert [e["action"] for e in events] == ["upload", "upload", "key_created", "key_created"]
    assert events == sorted(events, key=lambda e: e["at"], reverse=True)


def test_another_account_sees_none_of_them(stack: RunningStack, api_keys) -> None:
    mine, theirs = api_keys(new_email()), api_keys(new_email())
    with client_for(stack, mine) as me, client_for(stack, theirs) as other:
        assert me.post("/v1/application", files={"file": ("a.apk", build_apk())}).status_code == 200
        (event,), _ = every_event(other, 50)
    assert event["action"] == "key_created"
    assert event["target"] == f"apiKey:{key_prefix(theirs)}"


def test_paging_walks_the_whole_trail_once(stack: RunningStack, api_keys) -> None:
    key = api_keys(new_email())
    with client_for(stack, key) as client:
        context = flows.create_context(client, "paged")
        for _ in range(6):
            flows.register_build(client, "paged", context["id"])
        events, pages = every_event(client, 2)
        refused = client.get("/v1/audit", params={"limit": "101"})

    assert pages == 4  # 7 events, 2 a page
    assert len({e["id"] for e in events}) == 7
    assert [e["action"] for e in events] == ["upload"] * 6 + ["key_created"]
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "limit must be an integer from 1 to 100"},
    )
