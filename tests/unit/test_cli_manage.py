"""`apkdrop app delete | access | downloads` and `build delete` against an in-memory API."""

import io
import json
from pathlib import Path

import httpx
import pytest

from apkdrop_cli.errors import ExitCode
from apkdrop_cli.main import run

KEY = "apkd_Secret-Unit-Key_0123456789abcdef"
API = "https://api.test"
APP_ID = "AppId0123456789abcdef"
UPLOAD_ONLY = "This API key may only upload; use an admin key"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeApi:
    """Answers by (method, path) from a script; records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[tuple[str, str], list[httpx.Response]] = {}

    def script(self, method: str, path: str, *responses: httpx.Response) -> None:
        self.answers.setdefault((method, path), []).extend(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if request.headers.get("X-Api-Key") != KEY:
            return httpx.Response(401, json={"detail": "Invalid API Key"})
        queued = self.answers.get((request.method, request.url.path))
        if not queued:
            return httpx.Response(404, json={"detail": "Not Found"})
        return queued.pop(0) if len(queued) > 1 else queued[0]

    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


class Cli:
    def __init__(self, api: FakeApi) -> None:
        self.api = api
        self.stdout = self.stderr = ""
        self.slept: list[float] = []

    def __call__(self, *argv: str, stdin: io.StringIO | None = None) -> int:
        out, err = io.StringIO(), io.StringIO()
        code = run(
            list(argv),
            environ={"APKDROP_API_URL": API, "APKDROP_API_KEY": KEY},
            stdin=stdin or io.StringIO(""),
            stdout=out,
            stderr=err,
            cwd=Path.cwd(),
            transport=httpx.MockTransport(self.api),
            sleep=self.slept.append,
        )
        self.stdout, self.stderr = out.getvalue(), err.getvalue()
        assert KEY not in self.stdout + self.stderr
        return code


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def cli(api: FakeApi) -> Cli:
    return Cli(api)


def no_content() -> httpx.Response:
    return httpx.Response(204)


# --- app delete --------------------------------------------------------------------------------


def test_app_delete_deletes_the_app_without_asking_when_stdin_is_not_a_terminal(cli, api):
    api.script("DELETE", f"/v1/application/{APP_ID}", no_content())
    assert cli("app", "delete", APP_ID, "--json") == ExitCode.OK, cli.stderr
    assert api.calls() == [f"DELETE /v1/application/{APP_ID}"]
    assert json.loads(cli.stdout) == {"appId": APP_ID, "version": None, "deleted": True}
    assert "[y/N]" not in cli.stderr


@pytest.mark.parametrize("given", ["3", "3.0"])
def test_app_delete_of_one_version(cli, api, given):
    api.script("DELETE", f"/v1/application/{APP_ID}/versions/3.0", no_content())
    assert cli("app", "delete", APP_ID, "--version", given) == ExitCode.OK, cli.stderr
    assert cli.stdout.strip() == f"deleted version 3.0 of app {APP_ID}"


@pytest.mark.parametrize("version", ["0", "3.1", "x", "-1"])
def test_a_bad_version_is_a_usage_error(cli, api, version):
    assert cli("app", "delete", APP_ID, "--version", version) == ExitCode.USAGE
    assert "--version must be a version number like 3.0" in cli.stderr
    assert api.requests == []


def test_on_a_terminal_a_deletion_asks_first(cli, api):
    api.script("DELETE", f"/v1/application/{APP_ID}", no_content())
    assert cli("app", "delete", APP_ID, stdin=Terminal("y\n")) == ExitCode.OK, cli.stderr
    assert f"Delete app {APP_ID} and every version? [y/N]" in cli.stderr
    assert len(api.requests) == 1


@pytest.mark.parametrize("answer", ["\n", "n\n", "no\n", ""])
def test_on_a_terminal_anything_but_yes_deletes_nothing(cli, api, answer):
    code = cli("app", "delete", APP_ID, "--version", "2.0", stdin=Terminal(answer))
    assert code == ExitCode.FAILED
    assert f"Delete version 2.0 of app {APP_ID}? [y/N]" in cli.stderr
    assert "cancelled: nothing was deleted" in cli.stderr
    assert api.requests == []


def test_yes_skips_the_question_on_a_terminal(cli, api):
    api.script("DELETE", f"/v1/application/{APP_ID}", no_content())
    assert cli("app", "delete", APP_ID, "--yes", stdin=Terminal("")) == ExitCode.OK
    assert "[y/N]" not in cli.stderr


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (403, UPLOAD_ONLY),
        (404, f"Application {APP_ID} not found"),
        (410, f"Application {APP_ID} was deleted"),
    ],
)
def test_a_refused_deletion_shows_the_detail_and_fails(cli, api, status, detail):
    api.script(
        "DELETE", f"/v1/application/{APP_ID}", httpx.Response(status, json={"detail": detail})
    )
    assert cli("app", "delete", APP_ID, "--json") == ExitCode.FAILED
    assert f"deleting app {APP_ID}: {status} {detail}" in cli.stderr
    assert json.loads(cli.stdout)["status"] == status


def test_a_deletion_that_failed_halfway_is_retried(cli, api):
    unavailable = httpx.Response(
        503, json={"detail": "Cloud Storage is unavailable"}, headers={"Retry-After": "1"}
    )
    api.script("DELETE", f"/v1/application/{APP_ID}", unavailable, no_content())
    assert cli("app", "delete", APP_ID) == ExitCode.OK, cli.stderr
    assert len(api.requests) == 2
    assert cli.slept == [1.0]


def test_a_deletion_whose_answer_was_lost_is_not_sent_again(cli, api):
    """A second DELETE would answer 404 for a deletion that happened."""

    def lost(request: httpx.Request) -> httpx.Response:
        api.requests.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    cli.api = lost  # type: ignore[assignment]
    assert cli("app", "delete", APP_ID) == ExitCode.UNAVAILABLE
    assert len(api.requests) == 1


# --- app access --------------------------------------------------------------------------------


def test_app_access_private_patches_the_app(cli, api):
    answer = {
        "data": {"id": APP_ID, "accessType": "PRIVATE", "allowedUsers": ["qa@x.io", "b@x.io"]}
    }
    api.script("PATCH", f"/v1/application/{APP_ID}", httpx.Response(200, json=answer))
    code = cli("app", "access", APP_ID, "--private", "--allow", "qa@x.io", "--allow", "b@x.io")
    assert code == ExitCode.OK, cli.stderr
    [request] = api.requests
    assert json.loads(request.content) == {
        "accessType": "PRIVATE",
        "allowedUsers": ["qa@x.io", "b@x.io"],
    }
    assert cli.stdout.strip() == f"app {APP_ID} is now PRIVATE to qa@x.io, b@x.io"


def test_app_access_public_patches_one_version(cli, api):
    answer = {"data": {"version": "2.0", "accessType": "PUBLIC", "allowedUsers": []}}
    api.script("PATCH", f"/v1/application/{APP_ID}/versions/2.0", httpx.Response(200, json=answer))
    assert cli("app", "access", APP_ID, "--version", "2", "--public", "--json") == ExitCode.OK
    assert json.loads(api.requests[0].content) == {"accessType": "PUBLIC"}
    assert json.loads(cli.stdout) == answer["data"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--private"], "Private access needs at least one --allow EMAIL"),
        (["--public", "--allow", "a@x.io"], "--allow applies to private access: add --private"),
    ],
)
def test_app_access_usage_errors(cli, api, argv, message):
    assert cli("app", "access", APP_ID, *argv) == ExitCode.USAGE
    assert message in cli.stderr
    assert api.requests == []


def test_app_access_needs_private_or_public(cli, api):
    assert cli("app", "access", APP_ID) == ExitCode.USAGE
    assert cli("app", "access", APP_ID, "--private", "--public", "--allow", "a@x.io") == 2
    assert api.requests == []


def test_app_access_with_an_upload_key_is_refused(cli, api):
    refused = httpx.Response(403, json={"detail": UPLOAD_ONLY})
    api.script("PATCH", f"/v1/application/{APP_ID}", refused)
    assert cli("app", "access", APP_ID, "--public") == ExitCode.FAILED
    assert f"403 {UPLOAD_ONLY}" in cli.stderr


# --- app downloads -----------------------------------------------------------------------------


def record(n: int) -> dict:
    visitor = None if n % 2 else f"tester{n}@x.io"
    return {"version": "1.0", "at": f"2026-01-01T00:00:{n:02d}Z", "visitor": visitor, "via": "page"}


def pages(api: FakeApi, *batches: list[dict]) -> None:
    path = f"/v1/application/{APP_ID}/downloads"
    for index, batch in enumerate(batches):
        token = f"t{index + 1}" if index + 1 < len(batches) else None
        api.script("GET", path, httpx.Response(200, json={"data": batch, "nextPageToken": token}))


def test_downloads_follow_every_page(cli, api):
    pages(api, [record(1), record(2)], [record(3)], [record(4)])
    assert cli("app", "downloads", APP_ID, "--json") == ExitCode.OK, cli.stderr
    assert json.loads(cli.stdout) == [record(1), record(2), record(3), record(4)]
    queries = [dict(r.url.params) for r in api.requests]
    # No limit: the server's page size, so a deployment's lower MAX_PAGE_SIZE is never a 400.
    assert queries == [{}, {"pageToken": "t1"}, {"pageToken": "t2"}]


def test_downloads_stop_at_the_limit(cli, api):
    pages(api, [record(1), record(2)], [record(3), record(4)], [record(5)])
    code = cli("app", "downloads", APP_ID, "--version", "1.0", "--limit", "3", "--json")
    assert code == ExitCode.OK, cli.stderr
    assert json.loads(cli.stdout) == [record(1), record(2), record(3)]
    queries = [dict(r.url.params) for r in api.requests]
    assert queries == [{"version": "1.0"}, {"version": "1.0", "pageToken": "t1"}]


def test_downloads_as_a_table_name_anonymous_visitors(cli, api):
    pages(api, [record(1), record(2)])
    assert cli("app", "downloads", APP_ID) == ExitCode.OK
    assert cli.stdout.splitlines() == [
        "2026-01-01T00:00:01Z\t1.0\tanonymous\tpage",
        "2026-01-01T00:00:02Z\t1.0\ttester2@x.io\tpage",
    ]


def test_downloads_of_an_unknown_app_fail_with_the_detail(cli, api):
    assert cli("app", "downloads", "nope") == ExitCode.FAILED
    assert "reading the downloads of app nope: 404 Not Found" in cli.stderr


# --- build delete ------------------------------------------------------------------------------


def test_build_delete_of_one_build(cli, api):
    api.script("DELETE", "/api/v1/projects/my-app/builds/7", no_content())
    code = cli("build", "delete", "--project", "my-app", "--build", "7", "--json")
    assert code == ExitCode.OK, cli.stderr
    assert json.loads(cli.stdout) == {
        "project": "my-app",
        "buildId": 7,
        "contextId": None,
        "deleted": True,
    }


def test_build_delete_of_a_context_asks_on_a_terminal(cli, api):
    api.script("DELETE", "/api/v1/projects/my-app/build-uploads/3", no_content())
    code = cli("build", "delete", "--project", "my-app", "--context", "3", stdin=Terminal("yes\n"))
    assert code == ExitCode.OK, cli.stderr
    assert "Delete every build of upload context 3 in project my-app? [y/N]" in cli.stderr
    assert cli.stdout.strip() == "deleted every build of upload context 3 in project my-app"


@pytest.mark.parametrize(
    "argv",
    [
        ["--project", "p"],
        ["--project", "p", "--build", "1", "--context", "2"],
        ["--project", "p", "--build", "0"],
        ["--project", "p", "--context", "x"],
        ["--build", "1"],
    ],
)
def test_build_delete_usage_errors(cli, api, argv):
    assert cli("build", "delete", *argv) == ExitCode.USAGE
    assert api.requests == []


def test_build_delete_of_an_unknown_build_fails_with_the_detail(cli, api):
    gone = httpx.Response(404, json={"detail": "Build 9 not found"})
    api.script("DELETE", "/api/v1/projects/p/builds/9", gone)
    assert cli("build", "delete", "--project", "p", "--build", "9") == ExitCode.FAILED
    assert "deleting build 9: 404 Build 9 not found" in cli.stderr
