"""The real functions in functions/main.py, served by functions_framework, over the fakes."""

import datetime
import json
import urllib.parse

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from apkdrop.accounts import issue_api_key
from apkdrop.builds.models import UploadState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.timeutil import iso_millis, utc_now
from infra.bridge import cloud_event_headers
from tests.fakes import FakeBucket, FakeBuildStore
from tests.fixtures.apk_builder import build_apk

PROJECT_URL = "/api/v1/projects/demo"


@pytest.fixture
def api(load) -> FlaskClient:
    return load("build_api", "http")


@pytest.fixture
def key(deps: Dependencies) -> str:
    return issue_api_key(deps.accounts, "ci@example.com")


@pytest.fixture
def auth(key: str) -> dict[str, str]:
    return {"X-Api-Key": key}


def new_context(api: FlaskClient, auth: dict[str, str]) -> int:
    response = api.post(f"{PROJECT_URL}/build-uploads", headers=auth)
    assert response.status_code == 200, response.json
    return response.json["id"]


def body(context_id: object, **fields: object) -> dict:
    return {"contextId": context_id, "buildType": "APK", "buildFileName": "app.apk", **fields}


def register(api: FlaskClient, auth: dict[str, str], **fields: object) -> dict:
    registration = body(new_context(api, auth), **fields)
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=registration)
    assert response.status_code == 200, response.json
    return response.json


# --- build API: the happy path ----------------------------------------------------------------


def test_register_and_read_a_build(api: FlaskClient, auth: dict[str, str]) -> None:
    registered = register(api, auth)
    build = registered["build"]
    assert registered["uploadSpec"]["method"] == "PUT"
    assert registered["uploadSpec"]["headers"]["x-goog-meta-build-id"] == str(build["id"])
    assert build["uploadState"] == "UPLOADING"
    assert build["dateCreated"].endswith("Z")

    read = api.get(f"{PROJECT_URL}/builds/{build['id']}", headers=auth)
    assert read.status_code == 200
    assert read.json == build

    context = api.get(f"{PROJECT_URL}/build-uploads/{build['contextId']}", headers=auth)
    assert context.status_code == 200
    assert [b["id"] for b in context.json["builds"]] == [build["id"]]


def test_bearer_authorization_works(api: FlaskClient, key: str) -> None:
    response = api.post(f"{PROJECT_URL}/build-uploads", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"]


def test_string_context_id_is_accepted(api: FlaskClient, auth: dict[str, str]) -> None:
    for _ in range(28):
        context_id = new_context(api, auth)
    assert context_id == 28
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=body("28"))
    assert response.status_code == 200, response.json
    assert response.json["build"]["contextId"] == 28


def test_the_request_id_is_taken_from_the_trace_header(
    api: FlaskClient, auth: dict[str, str]
) -> None:
    trace = {"X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1"}
    response = api.post(f"{PROJECT_URL}/build-uploads", headers={**auth, **trace})
    assert response.headers["X-Request-Id"] == "105445aa7843bc8bf206b12000100000"


# --- build API: every client error ------------------------------------------------------------


def test_missing_key(api: FlaskClient) -> None:
    response = api.post(f"{PROJECT_URL}/build-uploads")
    assert (response.status_code, response.json) == (401, {"detail": "Missing API Key"})
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="apkdrop"'


def test_unknown_key(api: FlaskClient) -> None:
    response = api.post(f"{PROJECT_URL}/build-uploads", headers={"X-Api-Key": "apkd_nope"})
    assert (response.status_code, response.json) == (401, {"detail": "Invalid API Key"})


def test_authentication_comes_before_validation(api: FlaskClient) -> None:
    response = api.post("/api/v1/projects/bad name/builds", data="not json")
    assert (response.status_code, response.json) == (401, {"detail": "Missing API Key"})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/projects/-x/build-uploads"),
        ("POST", "/api/v1/projects/a%20b/builds"),
        ("GET", "/api/v1/projects/.x/builds/1"),
        ("GET", "/api/v1/projects/%C3%BC/build-uploads/1"),
    ],
)
def test_bad_project_name(api: FlaskClient, auth: dict[str, str], method: str, path: str) -> None:
    response = api.open(path, method=method, headers=auth, json=body(1))
    assert response.status_code == 400
    assert response.json["detail"].startswith("projectName must be")


def no_build_writes(deps: Dependencies) -> bool:
    assert isinstance(deps.builds, FakeBuildStore)
    return (deps.builds.contexts, deps.builds.projects, deps.builds.counters) == ({}, set(), {})


# The api is the one place project names are checked: the service takes them as given.
@pytest.mark.parametrize(
    "project", ["-leading-dash", ".hidden", "has space", "ü", "x" * 101, "semi;colon"]
)
def test_bad_project_names_are_rejected_before_any_write(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies, project: str
) -> None:
    response = api.post(
        f"/api/v1/projects/{urllib.parse.quote(project)}/build-uploads", headers=auth
    )
    assert response.status_code == 400
    assert "projectName" in response.json["detail"]
    assert no_build_writes(deps)


@pytest.mark.parametrize("project", ["", "a%2Fb"])
def test_project_names_no_route_takes_are_not_found(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies, project: str
) -> None:
    response = api.post(f"/api/v1/projects/{project}/build-uploads", headers=auth)
    assert response.status_code == 404
    assert no_build_writes(deps)


@pytest.mark.parametrize("project", ["a", "A1", "my-app", "my_app.v2", "9" + "x" * 99])
def test_good_project_names_are_accepted(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies, project: str
) -> None:
    response = api.post(f"/api/v1/projects/{project}/build-uploads", headers=auth)
    assert response.status_code == 200, response.json
    assert deps.builds.get_context(response.json["id"]).projectName == project


def test_json_body_is_read_whatever_its_content_type(
    api: FlaskClient, auth: dict[str, str]
) -> None:
    # curl without -H sends a form content type; the body is JSON all the same.
    response = api.post(
        f"{PROJECT_URL}/builds",
        headers=auth,
        data=json.dumps(body(999)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json == {"detail": "Build upload context 999 not found"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"data": "not json", "content_type": "application/json"},
        {"data": '{"contextId": 1', "content_type": "application/json"},
        {"json": [body(1)]},
        {"json": "contextId"},
        {"json": None},
    ],
)
def test_body_must_be_a_json_object(api: FlaskClient, auth: dict[str, str], kwargs: dict) -> None:
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, **kwargs)
    assert (response.status_code, response.json) == (
        400,
        {"detail": "Request body must be a JSON object"},
    )


@pytest.mark.parametrize("field", ["contextId", "buildType", "buildFileName"])
def test_missing_field_is_named(api: FlaskClient, auth: dict[str, str], field: str) -> None:
    incomplete = body(new_context(api, auth))
    del incomplete[field]
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=incomplete)
    assert (response.status_code, response.json) == (400, {"detail": f"{field}: Field required"})


@pytest.mark.parametrize("build_type", ["AAB", "", 1, None, ["APK"]])
def test_bad_build_type(api: FlaskClient, auth: dict[str, str], build_type: object) -> None:
    invalid = body(new_context(api, auth), buildType=build_type)
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=invalid)
    assert response.status_code == 400
    assert response.json["detail"].startswith("buildType: ")


@pytest.mark.parametrize("context_id", ["abc", True, False, 1.5, 1.0, 0, -3, "", None, [1], {}])
def test_bad_context_id(api: FlaskClient, auth: dict[str, str], context_id: object) -> None:
    new_context(api, auth)  # context 1 exists, so only the value's form can be refused
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=body(context_id))
    assert response.status_code == 400
    assert response.json["detail"].startswith("contextId: ")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("buildFileName", "../evil.apk"),
        ("buildFileName", "   "),
        ("name", "x" * 201),
        ("description", "x" * 4001),
        ("sourceControlIsoTimestamp", "2024-03-07T16:55:49"),  # no timezone
        ("sourceControlIsoTimestamp", "yesterday"),
    ],
)
def test_bad_optional_fields(
    api: FlaskClient, auth: dict[str, str], field: str, value: object
) -> None:
    invalid = body(new_context(api, auth), **{field: value})
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=invalid)
    assert response.status_code == 400
    assert response.json["detail"].startswith(f"{field}: ")


def test_extra_field_is_refused(api: FlaskClient, auth: dict[str, str]) -> None:
    extra = body(new_context(api, auth), buildId=5)
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=extra)
    assert (response.status_code, response.json) == (
        400,
        {"detail": "buildId: Extra inputs are not permitted"},
    )


def test_unknown_context(api: FlaskClient, auth: dict[str, str], deps: Dependencies) -> None:
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=body(999))
    assert (response.status_code, response.json) == (
        404,
        {"detail": "Build upload context 999 not found"},
    )
    assert deps.builds.builds == {} and deps.expiry_queue.calls == []


def test_another_accounts_context_is_not_found(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    context_id = new_context(api, auth)
    stranger = {"X-Api-Key": issue_api_key(deps.accounts, "stranger@example.com")}
    response = api.post(f"{PROJECT_URL}/builds", headers=stranger, json=body(context_id))
    assert response.status_code == 404
    response = api.get(f"{PROJECT_URL}/build-uploads/{context_id}", headers=stranger)
    assert response.status_code == 404


@pytest.mark.parametrize("build_id", ["abc", "0", "-1", "1.5", "1e3", "9" * 19])
def test_non_numeric_build_id(api: FlaskClient, auth: dict[str, str], build_id: str) -> None:
    response = api.get(f"{PROJECT_URL}/builds/{build_id}", headers=auth)
    assert (response.status_code, response.json) == (
        400,
        {"detail": "buildId must be a positive integer"},
    )


def test_non_numeric_context_id_in_path(api: FlaskClient, auth: dict[str, str]) -> None:
    response = api.get(f"{PROJECT_URL}/build-uploads/x", headers=auth)
    assert (response.status_code, response.json) == (
        400,
        {"detail": "contextId must be a positive integer"},
    )


@pytest.mark.parametrize("path", ["builds/%C2%B2", "build-uploads/%C2%B2"])
def test_unicode_digit_ids_are_refused(api: FlaskClient, auth: dict[str, str], path: str) -> None:
    response = api.get(f"{PROJECT_URL}/{path}", headers=auth)
    assert response.status_code == 400


def test_unknown_build(api: FlaskClient, auth: dict[str, str]) -> None:
    response = api.get(f"{PROJECT_URL}/builds/4242", headers=auth)
    assert (response.status_code, response.json) == (404, {"detail": "Build 4242 not found"})


def test_another_accounts_build_is_not_found(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    build_id = register(api, auth)["build"]["id"]
    stranger = {"X-Api-Key": issue_api_key(deps.accounts, "stranger@example.com")}
    response = api.get(f"{PROJECT_URL}/builds/{build_id}", headers=stranger)
    assert (response.status_code, response.json) == (404, {"detail": f"Build {build_id} not found"})


@pytest.mark.parametrize("path", ["/", "/api/v1/projects", "/api/v1/projects/demo/apps", "/x"])
def test_unknown_route(api: FlaskClient, auth: dict[str, str], path: str) -> None:
    response = api.get(path, headers=auth)
    assert response.status_code == 404
    assert response.json == {"detail": "Not Found"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", f"{PROJECT_URL}/builds", {"POST"}),
        ("PUT", f"{PROJECT_URL}/builds/1", {"GET", "HEAD", "DELETE"}),
        ("PUT", f"{PROJECT_URL}/build-uploads", {"POST"}),
    ],
)
def test_wrong_method(
    api: FlaskClient, auth: dict[str, str], method: str, path: str, allowed: set[str]
) -> None:
    response = api.open(path, method=method, headers=auth)
    assert response.status_code == 405
    assert response.json == {"detail": "Method Not Allowed"}
    assert set(response.headers["Allow"].split(", ")) == allowed


def test_backend_outage_is_a_503_with_retry_after(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(deps.builds, "ensure_project", unavailable)
    response = api.post(f"{PROJECT_URL}/build-uploads", headers=auth)
    assert response.status_code == 503
    assert response.json["detail"] == "Firestore is unavailable, retry later"
    assert response.json["requestId"] == response.headers["X-Request-Id"]
    assert response.headers["Retry-After"] == "5"


def test_deeply_nested_json_is_a_client_error(api: FlaskClient, auth: dict[str, str]) -> None:
    nested = "[" * 30_000 + "]" * 30_000  # within the JSON body limit, far past the recursion one
    response = api.post(
        f"{PROJECT_URL}/builds", headers=auth, data=nested, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_extreme_timestamps_never_crash(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies, moment: str
) -> None:
    invalid = body(new_context(api, auth), sourceControlIsoTimestamp=moment)
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=invalid)
    assert response.status_code in {200, 400}


# --- build API: no input is a server error ----------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=6,
)
TIMESTAMPS = st.datetimes(
    min_value=datetime.datetime(1, 1, 1),
    max_value=datetime.datetime(9999, 12, 31),
    timezones=st.timezones(),
).map(lambda moment: moment.isoformat())
# Registrations that should pass validation (context 1 of project "p" exists).
SAFE_TEXT = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/\\")
VALID_REGISTRATIONS = st.fixed_dictionaries(
    {
        "contextId": st.sampled_from([1, "1", " 1 ", 2]),  # context 2 does not exist
        "buildType": st.sampled_from(["APK", "apk", " instrumented_apk "]),
        "buildFileName": st.text(SAFE_TEXT, min_size=1, max_size=255).filter(str.strip),
    },
    optional={
        "name": st.text(max_size=200) | st.none(),
        "description": st.text(max_size=4000) | st.none(),
        "sourceControlId": st.text(max_size=200) | st.none(),
        "sourceControlIsoTimestamp": TIMESTAMPS | st.none(),
    },
)
FIELDS = ["contextId", "buildType", "buildFileName", "name", "description", "sourceControlId"]
# ...and the same with one field replaced by any JSON value, or dropped.
ONE_FIELD_WRONG = st.tuples(
    VALID_REGISTRATIONS, st.sampled_from([*FIELDS, "sourceControlIsoTimestamp"]), JSON_VALUES
).map(lambda drawn: {**drawn[0], drawn[1]: drawn[2]})
ONE_FIELD_MISSING = st.tuples(VALID_REGISTRATIONS, st.sampled_from(FIELDS[:3])).map(
    lambda drawn: {name: value for name, value in drawn[0].items() if name != drawn[1]}
)
BODIES = (
    st.dictionaries(st.text(max_size=20), JSON_VALUES, max_size=5)
    | VALID_REGISTRATIONS
    | ONE_FIELD_WRONG
    | ONE_FIELD_MISSING
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=BODIES)
def test_no_body_is_a_server_error(api: FlaskClient, auth: dict[str, str], payload: dict) -> None:
    if not api.application.config.get("context_made"):
        made = api.post("/api/v1/projects/p/build-uploads", headers=auth)
        assert made.json["id"] == 1
        api.application.config["context_made"] = True
    response = api.post("/api/v1/projects/p/builds", headers=auth, json=payload)
    event(f"status {response.status_code}")
    assert response.status_code in {200, 400, 404}, response.get_data(as_text=True)
    if response.status_code != 200:
        assert isinstance(response.json["detail"], str) and response.json["detail"]
    else:
        assert response.json["build"]["contextId"] == 1


# --- storage finalize events ------------------------------------------------------------------


@pytest.fixture
def finalize(load) -> FlaskClient:
    return load("build_finalized", "cloudevent")


def post_event(client: FlaskClient, resource: dict, time: str | None = None, event_id: str = "1"):
    """A binary-mode CloudEvent, as Eventarc (and infra.bridge locally) delivers it."""
    attributes = {
        "bucketId": resource.get("bucket", "b"),
        "objectId": resource.get("name", "n"),
        "eventTime": time or iso_millis(utc_now()),
    }
    headers = cloud_event_headers(attributes, event_id)
    return client.post("/", headers=headers, data=json.dumps(resource))


def uploaded_resource(deps: Dependencies, build: dict, data: bytes) -> dict:
    """The object resource as the Storage JSON API spells it (int64 values are strings)."""
    bucket = deps.bucket
    assert isinstance(bucket, FakeBucket)
    name = deps.builds.get_build(build["id"]).objectName
    stored = bucket.put(name, data, {"build-id": str(build["id"])})
    resource = stored.model_dump(mode="json")
    return {**resource, "generation": str(stored.generation), "size": str(stored.size)}


def test_finalize_event_finishes_the_build(
    api: FlaskClient, finalize: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    build = register(api, auth)["build"]
    resource = uploaded_resource(deps, build, build_apk("com.example.ci", "3.1", 31))

    response = post_event(finalize, resource)

    assert response.status_code == 200
    read = api.get(f"{PROJECT_URL}/builds/{build['id']}", headers=auth).json
    assert read["uploadState"] == "FINISHED"
    assert read["apkInfo"]["packageName"] == "com.example.ci"
    assert read["apkInfo"]["versionCode"] == 31


@pytest.mark.parametrize("broken", [{"generation": None}, {"bucket": None}, {"generation": "x"}])
def test_malformed_event_is_acknowledged_and_changes_nothing(
    api: FlaskClient,
    finalize: FlaskClient,
    auth: dict[str, str],
    deps: Dependencies,
    caplog: pytest.LogCaptureFixture,
    broken: dict,
) -> None:
    build = register(api, auth)["build"]
    resource = uploaded_resource(deps, build, build_apk())
    for field, value in broken.items():
        if value is None:
            del resource[field]
        else:
            resource[field] = value

    response = post_event(finalize, resource)

    assert 200 <= response.status_code < 300
    assert deps.builds.get_build(build["id"]).uploadState is UploadState.UPLOADING
    (error,) = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert error.startswith("build_finalized acknowledged what it can never read: ")


def test_event_outage_is_an_error_so_eventarc_retries(
    api: FlaskClient,
    finalize: FlaskClient,
    auth: dict[str, str],
    deps: Dependencies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build = register(api, auth)["build"]
    resource = uploaded_resource(deps, build, build_apk())

    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(deps.builds, "get_build", unavailable)
    assert post_event(finalize, resource).status_code >= 500


def test_event_without_a_time_is_handled(
    api: FlaskClient, finalize: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    build = register(api, auth)["build"]
    resource = uploaded_resource(deps, build, build_apk())
    attributes = {"bucketId": resource["bucket"], "objectId": resource["name"], "eventTime": ""}
    headers = cloud_event_headers(attributes, "no-time")
    del headers["ce-time"]  # optional in CloudEvents; the SDK then stamps the arrival time
    response = finalize.post("/", headers=headers, data=json.dumps(resource))
    assert 200 <= response.status_code < 300
    assert deps.builds.get_build(build["id"]).uploadState is UploadState.FINISHED


def test_event_with_a_naive_time_is_acknowledged(
    api: FlaskClient, finalize: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    build = register(api, auth)["build"]
    resource = uploaded_resource(deps, build, build_apk())
    naive = utc_now().replace(tzinfo=None).isoformat()  # its age cannot be computed
    assert 200 <= post_event(finalize, resource, time=naive).status_code < 300
    assert deps.builds.get_build(build["id"]).uploadState is UploadState.UPLOADING


def test_event_with_a_unicode_digit_build_id_is_acknowledged(
    api: FlaskClient, finalize: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    build = register(api, auth)["build"]
    resource = {**uploaded_resource(deps, build, build_apk()), "metadata": {"build-id": "²"}}
    assert 200 <= post_event(finalize, resource).status_code < 300


# --- the expiry task target -------------------------------------------------------------------


@pytest.fixture
def expiry(load_task) -> FlaskClient:
    """The expiry handler, called as Cloud Tasks calls it: with the queue account's token."""
    return load_task("expire_build_upload")


def test_expiry_fails_a_build_without_upload(
    api: FlaskClient, expiry: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    build_id = register(api, auth)["build"]["id"]
    (task,) = deps.expiry_queue.calls

    response = expiry.post("/", json=task.payload)

    assert (response.status_code, response.json) == (
        200,
        {"buildId": build_id, "uploadState": "FAILED"},
    )
    stored = deps.builds.get_build(build_id)
    assert (stored.uploadState, stored.failureReason) == (UploadState.FAILED, "upload URL expired")


def test_expiry_of_an_unknown_build_is_acknowledged(expiry: FlaskClient) -> None:
    response = expiry.post("/", json={"buildId": 77})
    assert (response.status_code, response.json) == (200, {"buildId": 77, "uploadState": None})


@pytest.mark.parametrize("payload", [{"buildId": "x"}, {"buildId": 0}, {}, [1]])
def test_expiry_with_a_bad_body_is_acknowledged(expiry: FlaskClient, payload: object) -> None:
    """Not a 400: Cloud Tasks would retry it up to max_attempts, and the body never changes."""
    response = expiry.post("/", json=payload)
    assert response.status_code == 200
    assert response.json["detail"]


def test_expiry_only_accepts_post(expiry: FlaskClient) -> None:
    assert expiry.get("/").status_code == 405


def test_expiry_outage_asks_cloud_tasks_to_retry(
    expiry: FlaskClient, deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(deps.builds, "get_build", unavailable)
    response = expiry.post("/", json={"buildId": 1})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["detail"] == "Firestore is unavailable, retry later"
