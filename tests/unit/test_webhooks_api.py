"""`/v1/webhooks` over the fakes: registration's rules (URL, scope, cap, account), listing
without secrets, deletion, and the deliveries list."""

import datetime

import pytest
from flask.testing import FlaskClient

from apkdrop.accounts import KeyScope, issue_api_key
from apkdrop.dependencies import Dependencies
from apkdrop.webhooks.models import DeliveryState, EventType
from apkdrop.webhooks.signature import hook_secret

PUBLIC = "93.184.215.14"
HOOK_URL = "https://hooks.example.com/apkdrop"
HOOK = {"url": HOOK_URL, "kind": "json", "events": ["version.created"]}


@pytest.fixture
def api(load, deps: Dependencies) -> FlaskClient:
    deps.webhook_sender.resolver.names["hooks.example.com"] = [PUBLIC]
    return load("application_api")


def key(deps: Dependencies, email: str = "owner@example.com", scope=KeyScope.ADMIN) -> dict:
    return {"X-Api-Key": issue_api_key(deps.accounts, email, scope)}


def test_a_hook_is_registered_with_its_secret_shown_once(api, deps) -> None:
    headers = key(deps)

    created = api.post("/v1/webhooks", json={**HOOK, "channel": "beta"}, headers=headers)
    listed = api.get("/v1/webhooks", headers=headers)

    assert created.status_code == 201
    hook = created.json["data"]
    assert hook["secret"] == hook_secret(deps.settings.webhook_signing_key, hook["id"])
    assert hook["secret"].startswith("whsec_")
    assert (hook["url"], hook["kind"], hook["events"], hook["channel"]) == (
        HOOK_URL,
        "json",
        ["version.created"],
        "beta",
    )
    assert listed.status_code == 200
    assert listed.json["data"] == [{k: v for k, v in hook.items() if k != "secret"}]
    assert "secret" not in str(deps.webhooks.hooks)  # the stored hook holds no secret


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://hooks.example.com/a", "url must be an https URL"),
        ("https://hooks.example.com:8443/a", "url must use port 443"),
        ("https://10.0.0.8/a", "url points to a private or reserved address"),
        ("https://metadata.google.internal/a", "url points to a private or reserved address"),
        ("https://private.example.com/a", "url points to a private or reserved address"),
        ("https://nowhere.example.com/a", "url host 'nowhere.example.com' does not resolve"),
        ("https://u:p@hooks.example.com/a", "url must not carry credentials"),
    ],
)
def test_a_url_the_guard_refuses_registers_nothing(api, deps, url: str, detail: str) -> None:
    deps.webhook_sender.resolver.names["private.example.com"] = [PUBLIC, "192.168.1.4"]

    answer = api.post("/v1/webhooks", json={**HOOK, "url": url}, headers=key(deps))

    assert (answer.status_code, answer.json) == (400, {"detail": detail})
    assert deps.webhooks.hooks == {}


@pytest.mark.parametrize(
    "body",
    [
        {**HOOK, "kind": "teams"},
        {**HOOK, "events": []},
        {**HOOK, "events": ["version.updated"]},
        {**HOOK, "channel": "Not A Channel"},
        {**HOOK, "appId": "../x"},
        {**HOOK, "secret": "mine"},
        {"kind": "json", "events": ["version.created"]},
    ],
)
def test_a_malformed_registration_is_a_400(api, deps, body: dict) -> None:
    answer = api.post("/v1/webhooks", json=body, headers=key(deps))

    assert answer.status_code == 400 and "detail" in answer.json


def test_an_upload_key_may_not_manage_hooks(api, deps) -> None:
    headers = key(deps, scope=KeyScope.UPLOAD)

    for answer in (
        api.post("/v1/webhooks", json=HOOK, headers=headers),
        api.get("/v1/webhooks", headers=headers),
    ):
        assert answer.status_code == 403


def test_another_accounts_hook_and_app_are_not_found(api, deps) -> None:
    hook_id = api.post("/v1/webhooks", json=HOOK, headers=key(deps)).json["data"]["id"]
    other = key(deps, "other@example.com")

    assert api.get("/v1/webhooks", headers=other).json["data"] == []
    for answer in (
        api.delete(f"/v1/webhooks/{hook_id}", headers=other),
        api.get(f"/v1/webhooks/{hook_id}/deliveries", headers=other),
        api.post("/v1/webhooks", json={**HOOK, "appId": "A" * 22}, headers=other),
    ):
        assert answer.status_code == 404, answer.json
    assert hook_id in deps.webhooks.hooks


def test_a_deleted_hook_is_gone(api, deps) -> None:
    headers = key(deps)
    hook_id = api.post("/v1/webhooks", json=HOOK, headers=headers).json["data"]["id"]

    assert api.delete(f"/v1/webhooks/{hook_id}", headers=headers).status_code == 204
    assert api.delete(f"/v1/webhooks/{hook_id}", headers=headers).status_code == 404
    assert api.get("/v1/webhooks", headers=headers).json["data"] == []


def test_the_cap_on_hooks_per_account_holds(load, monkeypatch) -> None:
    from tests.fakes import fake_dependencies

    deps = fake_dependencies(max_webhooks_per_account=2)
    deps.webhook_sender.resolver.names["hooks.example.com"] = [PUBLIC]
    monkeypatch.setattr("apkdrop.wiring.dependencies_for", lambda function, settings: deps)
    api = load("application_api")
    headers = key(deps)

    statuses = [api.post("/v1/webhooks", json=HOOK, headers=headers).status_code for _ in "abc"]

    assert statuses == [201, 201, 409]
    assert len(deps.webhooks.hooks) == 2
    assert (
        api.post("/v1/webhooks", json=HOOK, headers=key(deps, "b@example.com")).status_code == 201
    )


def test_deliveries_are_listed_newest_first_and_paged(api, deps) -> None:
    headers = key(deps)
    hook_id = api.post("/v1/webhooks", json=HOOK, headers=headers).json["data"]["id"]
    t0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    records = deps.webhook_deliveries
    for n in range(3):
        event = (f"event-{n:02d}-aaaaaaaaaaaaa", EventType.VERSION_CREATED)
        at = t0 + datetime.timedelta(minutes=n)
        records.claim(f"{hook_id}-{n}", hook_id, event, datetime.timedelta(seconds=40), at)
        records.finish(f"{hook_id}-{n}", DeliveryState.DELIVERED, 204, None, at)

    first = api.get(f"/v1/webhooks/{hook_id}/deliveries?limit=2", headers=headers).json
    token = first["nextPageToken"]
    second = api.get(f"/v1/webhooks/{hook_id}/deliveries?pageToken={token}", headers=headers).json

    assert [d["eventId"][:8] for d in first["data"] + second["data"]] == [
        "event-02",
        "event-01",
        "event-00",
    ]
    assert second["nextPageToken"] is None
    assert first["data"][0] | {"eventId": None} == {
        "eventId": None,
        "eventType": "version.created",
        "state": "delivered",
        "attempts": 1,
        "statusCode": 204,
        "lastError": None,
        "firstAttemptAt": "2026-12-01T09:02:00.000Z",
        "lastAttemptAt": "2026-12-01T09:02:00.000Z",
        "deliveredAt": "2026-12-01T09:02:00.000Z",
    }
