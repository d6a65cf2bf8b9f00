"""The retention endpoints of application_api (the policy, pinning) and the retention-sweeper
entry point with its OIDC check, served by functions_framework over the fakes."""

import datetime

import pytest
from flask.testing import FlaskClient

from apkdrop import task_auth
from apkdrop.accounts import KeyScope, issue_api_key
from apkdrop.audit.models import AuditAction
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Forbidden, Unauthenticated
from tests.fakes import SWEEPER_URL, fake_dependencies, make_settings
from tests.unit.test_application_entry_points import post_upload
from tests.unit.test_application_service import apk
from tests.unit.test_task_auth import BEARER, install

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
SCHEDULER = "scheduler@apkdrop-test.iam.gserviceaccount.com"
SCHEDULER_CLAIMS = {"email": SCHEDULER, "email_verified": True, "aud": SWEEPER_URL}
POLICY = {
    "default": {"keepLatest": 20},
    "channels": {"nightly": {"keepLatest": 5, "maxAgeDays": 14}, "release": {}},
}


@pytest.fixture
def deps() -> Dependencies:
    made = fake_dependencies(upload_rate_limit_per_minute=1000, max_retention_channel_rules=3)
    made.clock.now, made.clock.step = NOW, datetime.timedelta(milliseconds=1)
    return made


@pytest.fixture
def api(deps: Dependencies, load) -> FlaskClient:
    client = load("application_api")
    client.environ_base["wsgi.input_terminated"] = True
    return client


@pytest.fixture
def auth(deps: Dependencies) -> dict[str, str]:
    return {"X-Api-Key": issue_api_key(deps.accounts, "owner@example.com")}


@pytest.fixture
def app_id(api: FlaskClient, auth: dict[str, str]) -> str:
    for code in (1, 2):
        answer = post_upload(api, auth, apk(code=code))
        assert answer.status_code == 200, answer.json
    return answer.json["data"]["id"]


def retention(app_id: str) -> str:
    return f"/v1/application/{app_id}/retention"


# --- the policy -----------------------------------------------------------------------------


def test_put_answers_the_policy_and_get_reads_it_back(
    api: FlaskClient, auth: dict[str, str], app_id: str, deps: Dependencies
) -> None:
    empty = api.get(retention(app_id), headers=auth)
    assert (empty.status_code, empty.json) == (200, {"data": {"default": None, "channels": {}}})
    answer = api.put(retention(app_id), headers=auth, json=POLICY)
    expected = {
        "default": {"keepLatest": 20, "maxAgeDays": None},
        "channels": {
            "nightly": {"keepLatest": 5, "maxAgeDays": 14},
            "release": {"keepLatest": None, "maxAgeDays": None},
        },
    }
    assert (answer.status_code, answer.json) == (200, {"data": expected})
    assert api.get(retention(app_id), headers=auth).json == {"data": expected}
    (event,) = [e for e in deps.audit.events if e.action is AuditAction.RETENTION_CHANGE]
    assert event.target == retention(app_id)
    assert event.details == POLICY
    cleared = api.put(retention(app_id), headers=auth, json={})
    assert cleared.json == {"data": {"default": None, "channels": {}}}
    assert deps.applications.apps_with_retention() == []


def test_channels_are_listed_by_name_however_they_were_sent_or_stored(
    api: FlaskClient, auth: dict[str, str], app_id: str, deps: Dependencies
) -> None:
    # Firestore hands a map's keys back in an order of its own: GET read them shuffled.
    body = {"channels": {"release": {}, "beta": {"keepLatest": 2}, "nightly": {"keepLatest": 5}}}
    answer = api.put(retention(app_id), headers=auth, json=body)
    assert list(answer.json["data"]["channels"]) == ["beta", "nightly", "release"]
    stored = deps.applications.apps[app_id]["retention"]
    stored["channels"] = dict(reversed(stored["channels"].items()))
    read = api.get(retention(app_id), headers=auth).json
    assert list(read["data"]["channels"]) == ["beta", "nightly", "release"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default": {"keepLatest": 0}}, "keepLatest"),
        ({"default": {"keepLatest": 1001}}, "keepLatest"),
        ({"default": {"maxAgeDays": 0}}, "maxAgeDays"),
        ({"channels": {"nightly": {"maxAgeDays": 3651}}}, "maxAgeDays"),
        ({"default": {"keepLatest": "5"}}, "keepLatest"),
        ({"default": {"keepLatest": 2.5}}, "keepLatest"),
        ({"default": {"keeplatest": 5}}, "keeplatest"),
        ({"channels": {"Nightly": {"keepLatest": 5}}}, "channels"),
        ({"channels": {"x" * 65: {"keepLatest": 5}}}, "channels"),
        ({"channels": ["nightly"]}, "channels"),
        ({"rules": {}}, "rules"),
    ],
)
def test_an_invalid_policy_is_400_naming_the_field(
    api: FlaskClient, auth: dict[str, str], app_id: str, body: dict, field: str
) -> None:
    answer = api.put(retention(app_id), headers=auth, json=body)
    assert answer.status_code == 400
    assert field in answer.json["detail"]
    assert api.get(retention(app_id), headers=auth).json["data"]["channels"] == {}


def test_the_number_of_channel_rules_is_capped(
    api: FlaskClient, auth: dict[str, str], app_id: str
) -> None:
    rules = {f"c{index}": {"keepLatest": 1} for index in range(4)}
    answer = api.put(retention(app_id), headers=auth, json={"channels": rules})
    assert (answer.status_code, answer.json) == (
        400,
        {"detail": "channels may hold at most 3 rules"},
    )
    del rules["c3"]
    assert api.put(retention(app_id), headers=auth, json={"channels": rules}).status_code == 200


def test_a_body_that_is_not_a_json_object_is_400(
    api: FlaskClient, auth: dict[str, str], app_id: str
) -> None:
    for body in ("[]", "not json", ""):
        answer = api.put(retention(app_id), headers=auth, data=body)
        assert answer.status_code == 400, body


def test_an_upload_scoped_key_reads_but_never_sets_a_policy(
    api: FlaskClient, app_id: str, deps: Dependencies
) -> None:
    ci = {"X-Api-Key": issue_api_key(deps.accounts, "owner@example.com", KeyScope.UPLOAD)}
    assert api.get(retention(app_id), headers=ci).status_code == 200
    answer = api.put(retention(app_id), headers=ci, json=POLICY)
    assert (answer.status_code, answer.json["detail"]) == (
        403,
        "This API key may only upload; use an admin key",
    )


def test_another_accounts_app_is_not_found(
    api: FlaskClient, app_id: str, deps: Dependencies
) -> None:
    other = {"X-Api-Key": issue_api_key(deps.accounts, "other@example.com")}
    for answer in (
        api.get(retention(app_id), headers=other),
        api.put(retention(app_id), headers=other, json=POLICY),
        api.put(retention("no-such-app-id-here"), headers=other, json=POLICY),
    ):
        assert answer.status_code == 404
    assert api.put(retention(app_id), json=POLICY).status_code == 401


# --- pinning --------------------------------------------------------------------------------


def test_patch_pins_and_unpins_a_version(
    api: FlaskClient, auth: dict[str, str], app_id: str, deps: Dependencies
) -> None:
    path = f"/v1/application/{app_id}/versions/1.0"
    answer = api.patch(path, headers=auth, json={"pinned": True})
    assert answer.status_code == 200, answer.json
    assert (answer.json["data"]["version"], answer.json["data"]["pinned"]) == ("1.0", True)
    versions = api.get(f"/v1/application/{app_id}", headers=auth).json["data"]["versions"]
    assert [(v["version"], v["pinned"]) for v in versions] == [("2.0", False), ("1.0", True)]
    (event,) = [e for e in deps.audit.events if e.action is AuditAction.PIN_CHANGE]
    assert (event.target, event.details) == (path, {"pinned": True})
    both = api.patch(path, headers=auth, json={"pinned": False, "allowedUsers": ["qa@example.com"]})
    assert both.status_code == 200, both.json
    assert (both.json["data"]["pinned"], both.json["data"]["accessType"]) == (False, "private")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "Give accessType, allowedUsers or pinned"),
        ({"pinned": None}, "Give accessType, allowedUsers or pinned"),
        ({"pinned": "yes"}, "pinned"),
    ],
)
def test_a_patch_without_a_valid_change_is_400(
    api: FlaskClient, auth: dict[str, str], app_id: str, body: dict, detail: str
) -> None:
    answer = api.patch(f"/v1/application/{app_id}/versions/1.0", headers=auth, json=body)
    assert answer.status_code == 400 and detail in answer.json["detail"]


def test_pinning_a_missing_version_is_404(
    api: FlaskClient, auth: dict[str, str], app_id: str
) -> None:
    answer = api.patch(
        f"/v1/application/{app_id}/versions/9.0", headers=auth, json={"pinned": True}
    )
    assert answer.status_code == 404


# --- the sweeper's OIDC check ---------------------------------------------------------------


def test_the_scheduler_accounts_token_for_the_sweepers_url_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = install(monkeypatch, SCHEDULER_CLAIMS)
    task_auth.verify_scheduler_caller(BEARER, make_settings())
    ((token, _, audience),) = verifier.calls
    assert (token, audience) == ("task-token", SWEEPER_URL)


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "tasks@apkdrop-test.iam.gserviceaccount.com", "email_verified": True},
        {"email": SCHEDULER, "email_verified": False},
        {"email": SCHEDULER},
    ],
)
def test_any_other_callers_token_is_refused(monkeypatch: pytest.MonkeyPatch, claims) -> None:
    install(monkeypatch, claims)
    with pytest.raises(Forbidden):
        task_auth.verify_scheduler_caller(BEARER, make_settings())


def test_a_request_without_a_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, AssertionError("no token to verify"))
    with pytest.raises(Unauthenticated):
        task_auth.verify_scheduler_caller({}, make_settings())


def test_the_dev_setting_lets_the_local_loop_call_without_a_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(monkeypatch, AssertionError("no token to verify"))
    settings = make_settings(
        retention_scheduler_service_account=None, dev_allow_unauthenticated_tasks=True
    )
    task_auth.verify_scheduler_caller({}, settings)


def test_the_settings_require_the_account_outside_the_local_stack() -> None:
    with pytest.raises(ValueError, match="RETENTION_SCHEDULER_SERVICE_ACCOUNT"):
        make_settings(retention_scheduler_service_account=None)


def test_the_entry_point_checks_the_token_before_sweeping(
    load, monkeypatch: pytest.MonkeyPatch, deps: Dependencies
) -> None:
    sweeper = load("sweep_retention")
    install(monkeypatch, {"email": "intruder@example.com", "email_verified": True})
    assert sweeper.post("/").status_code == 401
    assert sweeper.post("/", headers=BEARER).status_code == 403
    install(monkeypatch, SCHEDULER_CLAIMS)
    answer = sweeper.post("/", headers=BEARER)
    assert (answer.status_code, answer.json) == (
        200,
        {"deleted": 0, "staleWork": 0, "finished": True},
    )
    assert sweeper.get("/", headers=BEARER).status_code == 405


def test_the_entry_point_sweeps(
    load,
    monkeypatch: pytest.MonkeyPatch,
    api: FlaskClient,
    auth: dict[str, str],
    app_id: str,
    deps: Dependencies,
) -> None:
    assert api.put(retention(app_id), headers=auth, json={"default": {"maxAgeDays": 1}}).is_json
    deps.clock.now = NOW + datetime.timedelta(days=2)
    install(monkeypatch, SCHEDULER_CLAIMS)
    answer = load("sweep_retention").post("/", headers=BEARER)
    assert answer.json == {"deleted": 1, "staleWork": 0, "finished": True}
    versions = api.get(f"/v1/application/{app_id}", headers=auth).json["data"]["versions"]
    assert [v["version"] for v in versions] == ["2.0"]
