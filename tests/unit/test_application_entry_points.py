"""`application_api` from functions/main.py, served by functions_framework, over the fakes."""

import datetime
import io
import json
import logging
import string

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import issue_api_key
from apkdrop.applications import api as application_api
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.logs import JsonFormatter
from apkdrop.retention import enforcement as retention_enforcement
from apkdrop.ttls import MESSAGE_ICON_URL_TTL
from tests.fakes import (
    FakeWeb,
    fake_bucket,
    fake_dependencies,
    fake_store,
)
from tests.fixtures.apk_builder import build_apk, play_ready
from tests.unit.test_notification_delivery import apk_with_icon

NOW = datetime.datetime(2026, 3, 1, 12, 0, 20, tzinfo=datetime.UTC)
APK_TYPE = "application/vnd.android.package-archive"
RATE_LIMITED = "Rate limit exceeded. Please try again later."


@pytest.fixture
def settings_overrides() -> dict:
    """Parametrize this to change the settings; the default limit never gets in the way."""
    return {"upload_rate_limit_per_minute": 1000}


@pytest.fixture
def deps(settings_overrides: dict) -> Dependencies:
    made = fake_dependencies(**settings_overrides)
    made.url_fetcher.resolver.names["files.example.com"] = ["93.184.216.34"]
    made.url_fetcher.resolver.names["intranet.example.com"] = ["10.0.0.9"]
    return made


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> FakeWeb:
    served = FakeWeb()
    served.install(monkeypatch)
    return served


@pytest.fixture
def api(deps: Dependencies, load, web: FakeWeb) -> FlaskClient:
    """application_api over the fakes (and the fake web for apkUrl)."""
    # One rate-limit window; each reading a millisecond on, so apps sort by creation.
    deps.clock.now, deps.clock.step = NOW, datetime.timedelta(milliseconds=1)
    client = load("application_api")
    # As gunicorn (functions-framework's server) does: the input stream ends where the body
    # does. See test_a_server_that_does_not_terminate_the_input for what happens otherwise.
    client.environ_base["wsgi.input_terminated"] = True
    return client


@pytest.fixture
def key(deps: Dependencies) -> str:
    return issue_api_key(deps.accounts, "ci@example.com")


@pytest.fixture
def auth(key: str) -> dict[str, str]:
    return {"X-Api-Key": key}


def post_upload(
    api: FlaskClient,
    auth: dict[str, str],
    content: bytes | None = None,
    field: str = "file",
    **fields: str,
):
    data: dict = dict(fields)
    if content is not None:
        data[field] = (io.BytesIO(content), "app.apk", APK_TYPE)
    return api.post("/v1/application", headers=auth, data=data, content_type="multipart/form-data")


# --- uploads ------------------------------------------------------------------------------------


def test_an_uploads_answer_signs_its_icon_for_a_week(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    response = post_upload(api, auth, apk_with_icon())

    assert response.status_code == 200, response.json
    (version,) = deps.applications.versions(response.json["data"]["id"])
    assert version.iconObject is not None
    assert fake_bucket(deps).signed_gets[-1] == (version.iconObject, MESSAGE_ICON_URL_TTL, None)
    assert response.json["data"]["iconUrl"] == (
        f"https://storage.example.test/{fake_bucket(deps).name}/{version.iconObject}"
        f"?get={len(fake_bucket(deps).signed_gets)}"
    )


def test_a_follow_up_of_an_upload_logs_under_the_uploads_request_id(
    api: FlaskClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The follow-ups run in threads of their own, each in a copy of the request's context."""

    def unavailable(*_: object, **__: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(retention_enforcement, "enforce", unavailable)
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(retention_enforcement.__name__)
    logger.addHandler(handler)
    try:
        response = post_upload(api, auth, build_apk())
    finally:
        logger.removeHandler(handler)

    assert response.status_code == 200, response.json
    (warning,) = [json.loads(line) for line in written.getvalue().splitlines()]
    assert warning["message"].startswith("retention after upload failed")
    assert warning["requestId"] == response.headers["X-Request-Id"]


def test_multipart_upload(api: FlaskClient, auth: dict[str, str], deps: Dependencies) -> None:
    content = build_apk("com.example.entry", "3.1", 31, **play_ready())

    response = post_upload(
        api, auth, content, releaseNotes="Fixes", notificationEmails="dev@example.com,broken@"
    )

    assert response.status_code == 200, response.json
    assert response.mimetype == "application/json"
    data = response.json["data"]
    assert set(data) == {
        "id",
        "magicLink",
        "versionedMagicLink",
        "accessType",
        "version",
        "channel",
        "channelMagicLink",
        "checks",
        "insights",
        "iconUrl",
    }
    assert (data["version"], data["accessType"], data["insights"]) == ("1.0", "public", None)
    assert data["iconUrl"] is None  # no launcher icon
    assert data["magicLink"] == f"https://apkdrop.example.test/app/{data['id']}"
    assert data["versionedMagicLink"] == f"{data['magicLink']}?version=1.0"
    assert data["channel"] == "default"
    assert data["channelMagicLink"] == f"{data['magicLink']}?channel=default"
    assert response.json["warnings"] == ["Ignored invalid notification email: 'broken@'"]
    assert response.headers["X-Request-Id"]
    (version,) = deps.applications.versions(data["id"])
    assert fake_bucket(deps).data(version.objectName) == content

    again = post_upload(api, auth, content)
    assert (again.json["data"]["id"], again.json["data"]["version"]) == (data["id"], "2.0")
    # The same APK again: its versionCode did not increase, which testers meet on installing.
    code = version.apkInfo.versionCode
    assert again.json["data"]["insights"]["comparedTo"] == {"version": "1.0", "channel": "default"}
    assert again.json["warnings"] == [
        f"versionCode {code} is not higher than {code} of 1.0: "
        "testers cannot install it as an update"
    ]


def test_bearer_key_works(api: FlaskClient, key: str) -> None:
    response = post_upload(api, {"Authorization": f"Bearer {key}"}, build_apk())
    assert response.status_code == 200


def test_url_upload_as_an_urlencoded_form(
    api: FlaskClient, auth: dict[str, str], web: FakeWeb
) -> None:
    content = build_apk("com.example.fetched")
    url = web.serve("https://files.example.com/app.apk", content)
    response = api.post("/v1/application", headers=auth, data={"apkUrl": url})
    assert response.status_code == 200, response.json
    assert response.json["data"]["version"] == "1.0"


def test_url_upload_to_a_private_address(api: FlaskClient, auth: dict[str, str]) -> None:
    response = post_upload(api, auth, apkUrl="http://intranet.example.com/app.apk")
    assert (response.status_code, response.json) == (
        400,
        {"detail": "apkUrl points to a private or reserved address"},
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"data": b"", "content_type": "multipart/form-data; boundary=x"},
        {"data": {}, "content_type": "multipart/form-data"},
        {"data": {"releaseNotes": "hi"}},
        {"data": b"", "content_type": "application/x-www-form-urlencoded"},
    ],
)
def test_empty_post(api: FlaskClient, auth: dict[str, str], kwargs: dict) -> None:
    response = api.post("/v1/application", headers=auth, **kwargs)
    assert (response.status_code, response.json) == (
        400,
        {"detail": "Either file or apkUrl must be provided"},
    )


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/zip"])
def test_other_content_types_are_refused(
    api: FlaskClient, auth: dict[str, str], content_type: str
) -> None:
    response = api.post(
        "/v1/application",
        headers=auth,
        data=b'{"apkUrl": "https://files.example.com/a.apk"}',
        content_type=content_type,
    )
    assert (response.status_code, response.json) == (
        400,
        {"detail": "Send the upload as multipart/form-data"},
    )


def test_json_body_is_refused(api: FlaskClient, auth: dict[str, str]) -> None:
    response = api.post("/v1/application", headers=auth, json={"apkUrl": "https://x.test/a"})
    assert response.status_code == 400
    assert response.json == {"detail": "Send the upload as multipart/form-data"}


def test_malformed_multipart(api: FlaskClient, auth: dict[str, str]) -> None:
    response = api.post(
        "/v1/application",
        headers=auth,
        data=b"no boundary here",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.json == {"detail": "The multipart/form-data body is malformed"}


@pytest.mark.parametrize("settings_overrides", [{"max_direct_upload_bytes": 1000}])
def test_content_length_over_the_limit_is_413(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    too_big = 1000 + application_api.FORM_OVERHEAD_BYTES + 1
    response = post_upload(api, auth, b"\0" * too_big)

    assert response.status_code == 413
    assert "/v1/application/uploads" in response.json["detail"]
    assert response.json["detail"].startswith("The file is larger than 1000 bytes")
    assert fake_bucket(deps).started == []  # refused before reading the body


@pytest.mark.parametrize("settings_overrides", [{"max_direct_upload_bytes": 1000}])
def test_a_file_over_the_limit_within_the_overhead_is_413(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    response = post_upload(api, auth, b"\0" * 1001)

    assert response.status_code == 413
    assert "/v1/application/uploads" in response.json["detail"]
    (started,) = fake_bucket(deps).started
    assert started.terminated
    assert fake_bucket(deps).objects == {}


def test_a_second_file_field_is_refused(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    response = post_upload(api, auth, build_apk(), field="apk")
    assert (response.status_code, response.json) == (
        400,
        {"detail": "Send the APK in the field 'file'"},
    )
    assert fake_bucket(deps).objects == {}
    assert all(upload.terminated for upload in fake_bucket(deps).started)


def test_two_files_are_refused(api: FlaskClient, auth: dict[str, str], deps: Dependencies) -> None:
    data = {
        "file": (io.BytesIO(build_apk()), "app.apk", APK_TYPE),
        "apk": (io.BytesIO(build_apk()), "other.apk", APK_TYPE),
    }
    response = api.post("/v1/application", headers=auth, data=data)
    assert (response.status_code, response.json) == (
        400,
        {"detail": "Send exactly one file, in the field 'file'"},
    )
    assert fake_bucket(deps).objects == {}


def test_invalid_apk_is_400_and_not_kept(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    response = post_upload(api, auth, b"not an apk at all")
    assert (response.status_code, response.json) == (
        400,
        {"detail": "Invalid APK: not a zip archive"},
    )
    assert fake_bucket(deps).objects == {}


def test_do_nothing_conflict_is_409(api: FlaskClient, auth: dict[str, str]) -> None:
    content = build_apk("com.example.nothing")
    assert post_upload(api, auth, content).status_code == 200
    response = post_upload(api, auth, content, versionAction="do_nothing")
    assert response.status_code == 409
    assert response.json == {
        "detail": "Application with package name 'com.example.nothing' already exists. "
        "Use versionAction='create_new_version' to create a new version or "
        "'create_new_app' to create a separate app entry."
    }


# --- large uploads ------------------------------------------------------------------------------


def test_large_upload_round_trip(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    started = api.post("/v1/application/uploads", headers=auth)
    assert started.status_code == 200, started.json
    body = started.json
    assert set(body) == {"uploadId", "uploadSpec", "expiresInSeconds"}
    assert body["uploadSpec"]["method"] == "PUT"
    content = build_apk("com.example.large")
    fake_bucket(deps).put(fake_store(deps).uploads[body["uploadId"]]["objectName"], content)

    response = post_upload(api, auth, uploadId=body["uploadId"])

    assert response.status_code == 200, response.json
    again = post_upload(api, auth, uploadId=body["uploadId"])
    assert (again.status_code, again.json) == (
        404,
        {"detail": f"Upload {body['uploadId']} not found (or already used)"},
    )


# --- rate limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [{"upload_rate_limit_per_minute": 3}])
def test_rate_limit(api: FlaskClient, auth: dict[str, str], deps: Dependencies) -> None:
    statuses = [post_upload(api, auth).status_code for _ in range(2)]
    statuses.append(api.post("/v1/application/uploads", headers=auth).status_code)
    assert statuses == [400, 400, 200]  # refused uploads count too

    limited = post_upload(api, auth, build_apk())

    assert limited.status_code == 429
    assert limited.json == {"detail": RATE_LIMITED}
    assert limited.headers["Retry-After"] == "40"  # NOW is 20 s into its minute
    assert fake_bucket(deps).started == []  # refused before the body was read
    assert api.post("/v1/application/uploads", headers=auth).status_code == 429
    # Reading is not limited, and another key has its own window.
    assert api.get("/v1/application", headers=auth).status_code == 200
    other = {"X-Api-Key": issue_api_key(deps.accounts, "other@example.com")}
    assert post_upload(api, other, build_apk()).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"upload_rate_limit_per_minute": 1}])
def test_rate_limit_is_per_key_not_per_account(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    second_key = {"X-Api-Key": issue_api_key(deps.accounts, "ci@example.com")}
    assert post_upload(api, auth).status_code == 400
    assert post_upload(api, auth).status_code == 429
    assert post_upload(api, second_key).status_code == 400


@pytest.mark.parametrize("settings_overrides", [{"upload_rate_limit_per_minute": 1}])
def test_unauthenticated_requests_do_not_count(api: FlaskClient, auth: dict[str, str]) -> None:
    for _ in range(3):
        assert post_upload(api, {"X-Api-Key": "apkd_nope"}).status_code == 401
    assert post_upload(api, auth).status_code == 400


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/application"),
        ("GET", "/v1/application"),
        ("POST", "/v1/application/uploads"),
        ("GET", "/v1/application/AbCdEfGhIjKlMnOpQrStUv"),
    ],
)
def test_missing_key(api: FlaskClient, method: str, path: str) -> None:
    response = api.open(path, method=method)
    assert (response.status_code, response.json) == (401, {"detail": "Missing API Key"})
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="apkdrop"'


def test_unknown_key(api: FlaskClient) -> None:
    response = api.get("/v1/application", headers={"Authorization": "Bearer nope"})
    assert (response.status_code, response.json) == (401, {"detail": "Invalid API Key"})


# --- reading ------------------------------------------------------------------------------------


def test_list_and_detail(api: FlaskClient, auth: dict[str, str]) -> None:
    first = post_upload(api, auth, build_apk("com.example.a", "1.0", 1)).json["data"]
    post_upload(api, auth, build_apk("com.example.a", "1.1", 2), releaseNotes="Second")
    other = post_upload(api, auth, build_apk("com.example.b")).json["data"]

    listed = api.get("/v1/application", headers=auth)
    assert listed.status_code == 200
    assert [(a["id"], a["latestVersion"]) for a in listed.json["data"]] == [
        (other["id"], "1.0"),
        (first["id"], "2.0"),
    ]
    assert listed.json["data"][1]["packageName"] == "com.example.a"

    detail = api.get(f"/v1/application/{first['id']}", headers=auth)
    assert detail.status_code == 200
    data = detail.json["data"]
    assert data["magicLink"] == first["magicLink"]
    assert [v["version"] for v in data["versions"]] == ["2.0", "1.0"]
    assert data["versions"][0]["releaseNotes"] == "Second"
    assert data["versions"][0]["apkInfo"]["versionCode"] == 2
    assert data["versions"][1]["application_meta_data"] == {
        "package_info": {"version_name": "1.0", "version_code": 1}
    }
    assert data["dateCreated"].endswith("Z")
    assert "objectName" not in data["versions"][0]
    assert "accountId" not in data


def test_unknown_app_is_404(api: FlaskClient, auth: dict[str, str]) -> None:
    response = api.get("/v1/application/AbCdEfGhIjKlMnOpQrStUv", headers=auth)
    assert (response.status_code, response.json) == (
        404,
        {"detail": "Application AbCdEfGhIjKlMnOpQrStUv not found"},
    )


@pytest.mark.parametrize("app_id", ["short", "x" * 44, "a.b" * 8, "%2E%2E", "é" * 22])
def test_a_malformed_app_id_is_404_without_a_lookup(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies, app_id: str
) -> None:
    """The api is the one layer that checks ids: a malformed one never reaches the database."""

    def no_lookup(_: str) -> None:
        raise AssertionError("a malformed id reached the repository")

    deps.applications.get_app = no_lookup  # type: ignore[method-assign]
    response = api.get(f"/v1/application/{app_id}", headers=auth)
    assert response.status_code == 404
    assert response.json["detail"].startswith("Application ")


def test_another_accounts_app_is_404(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    app_id = post_upload(api, auth, build_apk()).json["data"]["id"]
    stranger = {"X-Api-Key": issue_api_key(deps.accounts, "stranger@example.com")}
    assert api.get(f"/v1/application/{app_id}", headers=stranger).status_code == 404
    assert api.get("/v1/application", headers=stranger).json == {
        "data": [],
        "nextPageToken": None,
    }
    hijack = post_upload(api, stranger, build_apk(), appId=app_id)
    assert (hijack.status_code, hijack.json) == (404, {"detail": f"Application {app_id} not found"})


def listed_pages(api: FlaskClient, auth: dict[str, str], limit: str = "") -> list[list[dict]]:
    """Every page of GET /v1/application, following nextPageToken to the end."""
    pages, token = [], ""
    while True:
        query = {"limit": limit, "pageToken": token}
        answer = api.get("/v1/application", headers=auth, query_string=query)
        assert answer.status_code == 200, answer.json
        assert set(answer.json) == {"data", "nextPageToken"}
        pages.append(answer.json["data"])
        token = answer.json["nextPageToken"]
        if token is None:
            return pages


def new_apps(api: FlaskClient, auth: dict[str, str], count: int) -> list[str]:
    content = build_apk("com.example.many")
    uploads = [
        post_upload(api, auth, content, versionAction="CREATE_NEW_APP") for _ in range(count)
    ]
    return [upload.json["data"]["id"] for upload in uploads]


def test_the_list_pages_the_accounts_apps_newest_first(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    """120 apps, 20 of them created at the same instant (the id breaks the tie), between
    another account's: 50 a page by default, each app exactly once."""
    stranger = {"X-Api-Key": issue_api_key(deps.accounts, "stranger@example.com")}
    mine = new_apps(api, auth, 50)
    theirs = new_apps(api, stranger, 5)
    deps.clock.step = None  # the same dateCreated for the next 20 of each
    mine += new_apps(api, auth, 20)
    theirs += new_apps(api, stranger, 20)
    deps.clock.step = datetime.timedelta(milliseconds=1)
    mine += new_apps(api, auth, 50)

    pages = listed_pages(api, auth)

    assert [len(page) for page in pages] == [50, 50, 20]
    listed = [app for page in pages for app in page]
    assert sorted(app["id"] for app in listed) == sorted(mine)
    newest_first = sorted(listed, key=lambda app: (app["dateCreated"], app["id"]), reverse=True)
    assert listed == newest_first
    assert listed[0]["id"] == mine[-1] and listed[-1]["id"] == mine[0]
    assert sorted(app["id"] for page in listed_pages(api, stranger, "7") for app in page) == sorted(
        theirs
    )


def test_a_deleted_app_leaves_no_gap_in_the_list(api: FlaskClient, auth: dict[str, str]) -> None:
    """A deleted app's document has no dateCreated, so the query does not read it: pages stay
    full."""
    oldest, deleted, middle, also_deleted, newest = new_apps(api, auth, 5)
    for app_id in (deleted, also_deleted):
        assert api.delete(f"/v1/application/{app_id}", headers=auth).status_code == 204

    pages = listed_pages(api, auth, "2")

    assert [[app["id"] for app in page] for page in pages] == [[newest, middle], [oldest]]


def test_a_listed_app_keeps_its_shape(api: FlaskClient, auth: dict[str, str]) -> None:
    (app_id,) = new_apps(api, auth, 1)
    (listed,) = api.get("/v1/application", headers=auth).json["data"]
    assert set(listed) == {
        "id",
        "packageName",
        "appLabel",
        "name",
        "magicLink",
        "latestVersion",
        "accessType",
        "signerPolicy",
        "dateCreated",
    }
    assert (listed["id"], listed["latestVersion"], listed["accessType"]) == (
        app_id,
        "1.0",
        "public",
    )


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=0", "limit must be an integer from 1 to 100"),
        ("limit=101", "limit must be an integer from 1 to 100"),
        ("limit=1&limit=2", "limit must be given at most once"),
        ("pageToken=%FF%00", "pageToken is not one this API handed out"),
        ("pageToken=bm90IGpzb24", "pageToken is not one this API handed out"),  # "not json"
        ("pageToken=Mg", "pageToken is not one this API handed out"),  # a versions page's: 2
        ("pageToken=a&pageToken=b", "pageToken must be given at most once"),
    ],
)
def test_a_bad_page_of_the_list_is_a_400(
    api: FlaskClient, auth: dict[str, str], query: str, detail: str
) -> None:
    answer = api.get(f"/v1/application?{query}", headers=auth)
    assert (answer.status_code, answer.json) == (400, {"detail": detail})


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", "/v1/application", 405),
        ("PUT", "/v1/application/AbCdEfGhIjKlMnOpQrStUv", 405),
        ("GET", "/v1/application/uploads/x", 404),
        ("GET", "/v1/other", 404),
    ],
)
def test_unknown_routes_and_methods(
    api: FlaskClient, auth: dict[str, str], method: str, path: str, status: int
) -> None:
    response = api.open(path, method=method, headers=auth)
    assert response.status_code == status
    assert response.json["detail"]


# --- bugs ---------------------------------------------------------------------------------------


def test_a_control_character_in_apk_url_is_a_client_error(
    api: FlaskClient, auth: dict[str, str]
) -> None:
    response = post_upload(api, auth, apkUrl="https://files.example.com/a\x01b.apk")
    assert response.status_code == 400


def test_a_server_that_does_not_terminate_the_input(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies
) -> None:
    plain = api.application.test_client()  # no wsgi.input_terminated in its environ
    response = post_upload(plain, auth, build_apk())
    assert response.status_code == 200
    assert len(fake_store(deps).apps) == 1


# --- no form is a server error ------------------------------------------------------------------

FIELD_NAMES = [
    "file",
    "apkUrl",
    "uploadId",
    "accessType",
    "allowedUsers",
    "versionAction",
    "sendNotification",
    "notificationEmails",
    "releaseNotes",
    "appId",
]
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
OPAQUE_IDS = st.text(string.ascii_letters + string.digits + "-_", min_size=16, max_size=43)
# URLs the fake DNS and web answer (printable paths: other characters are the known bug above).
URLS = st.builds(
    "https://{}/{}".format,
    st.sampled_from(["files.example.com", "intranet.example.com", "nowhere.example"]),
    st.text(string.printable.strip(), max_size=30),
)
VALUES = st.one_of(
    TEXT,
    OPAQUE_IDS,
    URLS,
    st.sampled_from(["private", "PUBLIC", "create_new_app", "do_nothing", "true", "qa@x.io"]),
)
FORMS = st.lists(st.tuples(st.sampled_from(FIELD_NAMES) | TEXT.filter(bool), VALUES), max_size=6)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=FORMS, multipart=st.booleans())
def test_no_form_is_a_server_error(
    api: FlaskClient, auth: dict[str, str], pairs: list[tuple[str, str]], multipart: bool
) -> None:
    response = api.post(
        "/v1/application",
        headers=auth,
        data=MultiDict(pairs),
        content_type="multipart/form-data" if multipart else "application/x-www-form-urlencoded",
    )
    event(f"status {response.status_code}")
    assert response.status_code in {400, 404}, response.get_data(as_text=True)
    assert isinstance(response.json["detail"], str) and response.json["detail"]
