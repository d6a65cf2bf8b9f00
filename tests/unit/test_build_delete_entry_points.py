"""DELETE of builds and upload contexts through the real build_api entry point, over the fakes."""

import pytest
from flask.testing import FlaskClient

from apkdrop.accounts import KeyScope, issue_api_key
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from tests.fakes import FakeBucket

PROJECT_URL = "/api/v1/projects/demo"
UPLOAD_ONLY = {"detail": "This API key may only upload; use an admin key"}


@pytest.fixture
def api(load) -> FlaskClient:
    return load("build_api", "http")


@pytest.fixture
def auth(deps: Dependencies) -> dict[str, str]:
    return {"X-Api-Key": issue_api_key(deps.accounts, "ci@example.com")}


@pytest.fixture
def upload_only(deps: Dependencies) -> dict[str, str]:
    return {"X-Api-Key": issue_api_key(deps.accounts, "ci@example.com", scope=KeyScope.UPLOAD)}


def register(api: FlaskClient, auth: dict[str, str]) -> dict:
    context = api.post(f"{PROJECT_URL}/build-uploads", headers=auth).json["id"]
    body = {"contextId": context, "buildType": "APK", "buildFileName": "app.apk"}
    response = api.post(f"{PROJECT_URL}/builds", headers=auth, json=body)
    assert response.status_code == 200, response.json
    return response.json["build"]


def test_delete_a_build(api: FlaskClient, auth: dict[str, str]) -> None:
    build = register(api, auth)
    url = f"{PROJECT_URL}/builds/{build['id']}"
    response = api.delete(url, headers=auth)
    assert (response.status_code, response.data) == (204, b"")
    assert api.get(url, headers=auth).json["uploadState"] == "DELETED"
    again = api.delete(url, headers=auth)
    assert (again.status_code, again.json) == (404, {"detail": f"Build {build['id']} not found"})


def test_delete_a_context(api: FlaskClient, auth: dict[str, str]) -> None:
    build = register(api, auth)
    url = f"{PROJECT_URL}/build-uploads/{build['contextId']}"
    assert api.delete(url, headers=auth).status_code == 204
    listed = api.get(url, headers=auth).json
    assert [b["uploadState"] for b in listed["builds"]] == ["DELETED"]
    assert listed["dateDeleted"]
    body = {"contextId": build["contextId"], "buildType": "APK", "buildFileName": "app.apk"}
    refused = api.post(f"{PROJECT_URL}/builds", headers=auth, json=body)
    assert refused.status_code == 409
    assert refused.json == {"detail": f"Build upload context {build['contextId']} was deleted"}
    assert api.delete(url, headers=auth).status_code == 404


@pytest.mark.parametrize("what", ["builds", "build-uploads"])
def test_an_upload_only_key_may_not_delete(
    api: FlaskClient, auth: dict[str, str], upload_only: dict[str, str], what: str
) -> None:
    build = register(api, upload_only)  # it may upload
    target = build["id"] if what == "builds" else build["contextId"]
    response = api.delete(f"{PROJECT_URL}/{what}/{target}", headers=upload_only)
    assert (response.status_code, response.json) == (403, UPLOAD_ONLY)
    assert api.get(f"{PROJECT_URL}/builds/{build['id']}", headers=auth).json["uploadState"] == (
        "UPLOADING"
    )


@pytest.mark.parametrize("what", ["builds", "build-uploads"])
def test_a_delete_needs_a_key_and_a_numeric_id(
    api: FlaskClient, auth: dict[str, str], what: str
) -> None:
    missing = api.delete(f"{PROJECT_URL}/{what}/1")
    assert (missing.status_code, missing.json) == (401, {"detail": "Missing API Key"})
    bad = api.delete(f"{PROJECT_URL}/{what}/x", headers=auth)
    assert bad.status_code == 400
    assert bad.json["detail"].endswith("must be a positive integer")
    unknown = api.delete(f"{PROJECT_URL}/{what}/99", headers=auth)
    assert unknown.status_code == 404


def test_a_storage_outage_is_a_503_and_a_retry_finishes(
    api: FlaskClient, auth: dict[str, str], deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = register(api, auth)
    url = f"{PROJECT_URL}/builds/{build['id']}"
    assert isinstance(deps.bucket, FakeBucket)

    def unavailable(object_name: str) -> None:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    with monkeypatch.context() as patch:
        patch.setattr(deps.bucket, "delete_object", unavailable)
        failed = api.delete(url, headers=auth)
    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "5")
    assert failed.json["detail"] == "Cloud Storage is unavailable, retry later"
    assert api.delete(url, headers=auth).status_code == 204
    assert api.delete(url, headers=auth).status_code == 404
