"""`apkdrop app access | downloads | delete` as CI runs them, against the local stack.

They use the endpoints of issue #14 that other branches build (PATCH and DELETE of apps and
versions, `GET /v1/application/{id}/downloads`): they pass once those are merged.
"""

import time

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from apkdrop.accounts import KeyScope, issue_api_key
from apkdrop.adapters.firestore import AccountStore
from tests.fixtures.apk_builder import write_apk
from tests.integration.test_cli import apkdrop, result

pytestmark = pytest.mark.integration

UPLOAD_ONLY = "This API key may only upload; use an admin key"


@pytest.fixture
def email() -> str:
    return f"cli-manage-{time.monotonic_ns()}@example.com"


@pytest.fixture
def cli(stack, api_keys, email):
    key = api_keys(email)

    def run(*args: str, **kwargs):
        return apkdrop(stack.url, key, *args, **kwargs)

    return run


@pytest.fixture
def upload_only_cli(stack, email):
    client = firestore.Client(
        project=stack.env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials()
    )
    try:
        key = issue_api_key(AccountStore(client), email, scope=KeyScope.UPLOAD)
    finally:
        client.close()

    def run(*args: str, **kwargs):
        return apkdrop(stack.url, key, *args, **kwargs)

    return run


@pytest.fixture
def app_with_two_versions(cli, tmp_path) -> str:
    apk = write_apk(tmp_path / "app.apk", package=f"com.example.manage.n{time.monotonic_ns()}")
    first = result(cli("app", "upload", str(apk), "--json"))
    second = result(cli("app", "upload", str(apk), "--json"))
    assert (first["version"], second["version"]) == ("1.0", "2.0")
    return first["id"]


def versions(cli, app_id: str) -> dict[str, dict]:
    shown = result(cli("app", "show", app_id, "--json"))
    return {version["version"]: version for version in shown["versions"]}


def test_app_access_of_one_version_then_of_the_whole_app(cli, app_with_two_versions):
    app_id = app_with_two_versions
    changed = cli(
        "app", "access", app_id, "--version", "2.0", "--private", "--allow", "qa@example.com",
        "--json",
    )  # fmt: skip
    assert result(changed)["accessType"].upper() == "PRIVATE"
    by_number = versions(cli, app_id)
    assert by_number["2.0"]["accessType"].upper() == "PRIVATE"
    assert by_number["2.0"]["allowedUsers"] == ["qa@example.com"]
    assert by_number["1.0"]["accessType"].upper() == "PUBLIC"

    assert cli("app", "access", app_id, "--public").returncode == 0
    assert {v["accessType"].upper() for v in versions(cli, app_id).values()} == {"PUBLIC"}


def test_app_downloads_lists_a_download(stack, cli, app_with_two_versions):
    app_id = app_with_two_versions
    assert result(cli("app", "downloads", app_id, "--json")) == []
    download = httpx.get(f"{stack.url}/app/{app_id}/download?version=1.0")
    assert download.status_code in (302, 303, 307), download.text
    [record] = result(cli("app", "downloads", app_id, "--json"))
    assert (record["version"], record["visitor"], record["via"]) == ("1.0", None, "page")
    assert result(cli("app", "downloads", app_id, "--version", "2.0", "--json")) == []
    assert result(cli("app", "downloads", app_id, "--limit", "1", "--json")) == [record]


def test_app_delete_of_a_version_then_of_the_app(cli, app_with_two_versions):
    app_id = app_with_two_versions
    assert cli("app", "delete", app_id, "--version", "1.0").returncode == 0
    again = cli("app", "delete", app_id, "--version", "1.0")
    assert again.returncode == 1
    assert "404" in again.stderr

    done = cli("app", "delete", app_id, "--json")
    assert result(done) == {"appId": app_id, "version": None, "deleted": True}
    assert "[y/N]" not in done.stderr
    assert cli("app", "show", app_id).returncode == 1
    assert cli("app", "delete", app_id).returncode == 1


def test_an_upload_only_key_may_not_manage(cli, upload_only_cli, app_with_two_versions):
    app_id = app_with_two_versions
    for args in (
        ("app", "delete", app_id),
        ("app", "access", app_id, "--public"),
        ("app", "downloads", app_id),
    ):
        refused = upload_only_cli(*args)
        assert refused.returncode == 1, args
        assert f"403 {UPLOAD_ONLY}" in refused.stderr
    assert set(versions(cli, app_id)) == {"1.0", "2.0"}
