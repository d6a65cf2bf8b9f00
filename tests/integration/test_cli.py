"""The `apkdrop` CLI, run as CI runs it (a subprocess), against the local stack."""

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fixtures.apk_builder import build_apk, write_apk
from tests.paths import ROOT

pytestmark = pytest.mark.integration

CLI_TIMEOUT_SECONDS = 180
LARGE_FILE_BYTES = 34 * 1024 * 1024  # above the 32 MiB one request can carry


def apkdrop(
    url: str, key: str, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    """`python -m apkdrop_cli ARGS` with the API's URL and key in the environment."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APKDROP_", "GITHUB_"))
    }
    environ.update(
        APKDROP_API_URL=url,
        APKDROP_API_KEY=key,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "cli"), environ.get("PYTHONPATH")])),
        **(env or {}),
    )
    done = subprocess.run(
        [sys.executable, "-m", "apkdrop_cli", *args],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        stdin=subprocess.DEVNULL,
    )
    if key:
        assert key not in done.stdout + done.stderr, "the API key was printed"
    return done


@pytest.fixture
def key(api_keys) -> str:
    return api_keys(f"cli-{time.monotonic_ns()}@example.com")


@pytest.fixture
def cli(stack, key):
    def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return apkdrop(stack.url, key, *args, **kwargs)

    return run


def result(done: subprocess.CompletedProcess) -> dict | list:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def git_head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


# --- build upload ------------------------------------------------------------------------------


def test_build_upload_waits_until_both_builds_are_finished(cli, tmp_path):
    apk = write_apk(tmp_path / "app-debug.apk", package="com.example.cli", version_name="2.1")
    # The same app built with performance instrumentation: a second dex of the agent's code.
    instrumented = write_apk(
        tmp_path / "app-instrumented.apk",
        package="com.example.cli",
        version_name="2.1",
        files={"classes2.dex": b"dex\n" + bytes(2000)},
    )
    done = cli(
        "build", "upload", "--project", "cli-builds", "--apk", str(apk),
        "--instrumented", str(instrumented), "--name", "Nightly", "--wait", "--json",
    )  # fmt: skip
    uploaded = result(done)
    assert uploaded["state"] == "FINISHED"
    app, test = uploaded["builds"]
    assert (app["buildType"], app["uploadState"]) == ("APK", "FINISHED")
    assert app["apkInfo"]["packageName"] == "com.example.cli"
    assert app["apkInfo"]["versionName"] == "2.1"
    assert app["name"] == "Nightly"
    assert (test["buildType"], test["uploadState"]) == ("INSTRUMENTED_APK", "FINISHED")
    assert test["apkInfo"]["packageName"] == "com.example.cli"
    pairing = uploaded["pairing"]
    assert (pairing["apkBuildId"], pairing["instrumentedBuildId"]) == (app["id"], test["id"])
    assert pairing["warnings"] == ["neither build is signed"]
    assert pairing["size"]["dex"]["uncompressed"]["delta"] == 2004
    assert app["contextId"] == test["contextId"] == uploaded["contextId"]
    # Run inside this repository: the commit defaults to its HEAD, with its time.
    assert app["sourceControlId"] == git_head()
    assert app["sourceControlIsoTimestamp"]


def test_build_upload_of_garbage_fails_with_the_reason(cli, tmp_path):
    garbage = tmp_path / "garbage.apk"
    garbage.write_bytes(b"this is not a zip archive" * 40)
    done = cli("build", "upload", "--project", "cli-builds", "--apk", str(garbage), "--wait")
    assert done.returncode == 1, done.stderr
    assert "FAILED: not a zip archive" in done.stderr
    assert "garbage.apk: FAILED - not a zip archive" in done.stdout


def test_build_upload_without_wait_leaves_the_build_uploading(cli, tmp_path):
    apk = write_apk(tmp_path / "app.apk")
    done = cli("build", "upload", "--project", "cli-builds", "--apk", str(apk), "--json")
    uploaded = result(done)
    assert uploaded["builds"][0]["uploadState"] in {"UPLOADING", "FINISHED"}
    assert isinstance(uploaded["contextId"], int)


def test_build_delete_of_a_build_then_of_its_context(cli, tmp_path):
    apk = write_apk(tmp_path / "app.apk", package="com.example.cli.delete")
    uploaded = result(
        cli("build", "upload", "--project", "cli-delete", "--apk", str(apk), "--wait", "--json")
    )
    build_id, context = uploaded["builds"][0]["id"], uploaded["contextId"]

    # No terminal on stdin: nothing is asked.
    deleted = cli("build", "delete", "--project", "cli-delete", "--build", str(build_id), "--json")
    assert result(deleted) == {
        "project": "cli-delete",
        "buildId": build_id,
        "contextId": None,
        "deleted": True,
    }
    assert "[y/N]" not in deleted.stderr
    again = cli("build", "delete", "--project", "cli-delete", "--build", str(build_id))
    assert again.returncode == 1
    assert f"deleting build {build_id}: 404 Build {build_id} not found" in again.stderr

    assert (
        cli("build", "delete", "--project", "cli-delete", "--context", str(context)).returncode == 0
    )
    unknown = cli("build", "delete", "--project", "cli-delete", "--context", str(context))
    assert f"404 Build upload context {context} not found" in unknown.stderr


# --- app upload --------------------------------------------------------------------------------


def test_app_upload_then_a_conflict_with_do_nothing(cli, tmp_path):
    apk = write_apk(tmp_path / "app.apk", package="com.example.cli.app", version_code=7)
    first = result(cli("app", "upload", str(apk), "--release-notes", "First", "--json"))
    assert (first["version"], first["accessType"], first["uploadPath"]) == (
        "1.0",
        "public",
        "direct",
    )
    second = result(cli("app", "upload", str(apk), "--json"))
    assert (second["id"], second["version"]) == (first["id"], "2.0")

    refused = cli("app", "upload", str(apk), "--action", "do-nothing")
    assert refused.returncode == 1
    assert (
        "409 Application with package name 'com.example.cli.app' already exists" in refused.stderr
    )


def test_app_upload_from_a_url_private_with_allowed_users(cli, apk_server):
    url = apk_server.serve("/cli-import.apk", build_apk("com.example.cli.url", "3.0", 30))
    done = cli(
        "app", "upload", "--url", url, "--private",
        "--allow", "qa@example.com,lead@example.com", "--json",
    )  # fmt: skip
    uploaded = result(done)
    assert (uploaded["accessType"], uploaded["uploadPath"]) == ("private", "url")

    shown = result(cli("app", "show", uploaded["id"], "--json"))
    assert shown["packageName"] == "com.example.cli.url"
    assert shown["accessType"] == "private"
    assert shown["versions"][0]["allowedUsers"] == ["qa@example.com", "lead@example.com"]


def test_a_file_above_the_direct_limit_takes_the_large_file_path(cli, tmp_path):
    apk = write_apk(
        tmp_path / "big.apk", package="com.example.cli.big", padding_bytes=LARGE_FILE_BYTES
    )
    uploaded = result(cli("app", "upload", str(apk), "--json"))
    assert uploaded["uploadPath"] == "large-file"
    shown = result(cli("app", "show", uploaded["id"], "--json"))
    assert shown["versions"][0]["size"] == apk.stat().st_size


def test_app_list_and_show(cli, tmp_path):
    apk = write_apk(tmp_path / "app.apk", package="com.example.cli.list", label="Lister")
    uploaded = result(cli("app", "upload", str(apk), "--json"))

    listed = result(cli("app", "list", "--json"))
    assert [(app["id"], app["latestVersion"]) for app in listed] == [(uploaded["id"], "1.0")]
    plain = cli("app", "list")
    assert plain.returncode == 0
    assert plain.stdout.split("\t")[:2] == [uploaded["id"], "com.example.cli.list"]

    shown = cli("app", "show", uploaded["id"])
    assert shown.returncode == 0
    assert f"(com.example.cli.list): app {uploaded['id']}, public" in shown.stdout
    assert f"magic link: {uploaded['magicLink']}" in shown.stdout
    assert cli("app", "show", "NoSuchApp0123456789abc").returncode == 1


# --- CI integration and errors -----------------------------------------------------------------


def test_github_output_receives_the_results(cli, tmp_path):
    apk = write_apk(tmp_path / "app.apk", package="com.example.cli.gha")
    outputs, summary = tmp_path / "github-output", tmp_path / "summary.md"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = cli("app", "upload", str(apk), env=env)
    assert done.returncode == 0, done.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    document = json.loads(values["json"])
    assert values["app-id"] == document["id"]
    assert values["version"] == "1.0"
    assert values["magic-link"].endswith(f"/app/{document['id']}")
    assert values["versioned-magic-link"] == document["versionedMagicLink"]
    assert document["versionedMagicLink"] in summary.read_text()

    build_outputs = tmp_path / "build-output"
    done = cli(
        "build", "upload", "--project", "cli-gha", "--apk", str(apk), "--wait",
        env={**env, "GITHUB_OUTPUT": str(build_outputs)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    values = dict(line.split("=", 1) for line in build_outputs.read_text().splitlines())
    assert values["build-state"] == values["state"] == "FINISHED"
    assert values["package-name"] == "com.example.cli.gha"


def test_missing_key_exits_2_and_says_what_to_set(stack, tmp_path):
    done = apkdrop(stack.url, "", "app", "list")
    assert done.returncode == 2
    assert "No API key: set APKDROP_API_KEY" in done.stderr


def test_invalid_key_exits_1_without_printing_it(stack):
    done = apkdrop(stack.url, "apkd_not-a-real-key", "app", "list")
    assert done.returncode == 1
    assert "401 Invalid API Key" in done.stderr
    assert "apkd_not-a-real-key" not in done.stdout + done.stderr


def test_missing_file_exits_2(cli, tmp_path):
    done = cli("app", "upload", str(tmp_path / "missing.apk"))
    assert done.returncode == 2
    assert "No such APK" in done.stderr
    done = cli("build", "upload", "--project", "p", "--apk", str(tmp_path / "missing.apk"))
    assert done.returncode == 2


class RateLimitedStub:
    """A loopback API that answers 429 (Retry-After: 1) once, then an empty app list."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, str, str | None]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append((time.monotonic(), self.path, self.headers["X-Api-Key"]))
                limited = len(stub.requests) == 1
                body = (
                    b'{"detail": "Rate limit exceeded. Please try again later."}'
                    if limited
                    else b'{"data": []}'
                )
                self.send_response(429 if limited else 200)
                if limited:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def rate_limited_stub() -> Iterator[RateLimitedStub]:
    stub = RateLimitedStub()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


def test_a_429_is_retried_after_retry_after(rate_limited_stub):
    done = apkdrop(rate_limited_stub.url, "apkd_stub-key", "app", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    (first, _, key), (second, path, _) = rate_limited_stub.requests
    assert (path, key) == ("/v1/application", "apkd_stub-key")
    assert second - first >= 1.0
    assert "429 Too Many Requests; retry 1/5 in 1.0s" in done.stderr
