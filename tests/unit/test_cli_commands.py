"""The `apkdrop` commands end to end against an in-memory API and storage (no network)."""

import email.parser
import email.policy
import io
import json
import threading
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from apkdrop_cli import apps
from apkdrop_cli.errors import ExitCode
from apkdrop_cli.main import run

KEY = "apkd_Secret-Unit-Key_0123456789abcdef"
API = "https://api.test"
STORAGE = "https://storage.test/bucket"
SIGNED_HEADERS = {
    "Content-Type": "application/octet-stream",
    "X-Goog-Content-Length-Range": "0,1073741824",
    "x-goog-if-generation-match": "0",
}
UPLOAD_ID = "U" * 22


def form_of(request: httpx.Request) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    """The fields and files of a multipart/form-data or urlencoded body."""
    content_type = request.headers.get("Content-Type", "")
    body = request.read()
    if content_type.startswith("application/x-www-form-urlencoded"):
        return parse_qs(body.decode()), {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, list[str]] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename():
            files[name] = payload
        else:
            fields.setdefault(name, []).append(payload.decode())
    return fields, files


class FakeApkdrop:
    """The API and the bucket behind one MockTransport; a fake clock that sleeps advance."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.objects: dict[str, bytes] = {}
        self.put_headers: dict[str, httpx.Headers] = {}
        self.contexts: dict[int, list[int]] = {}
        self.builds: dict[int, dict] = {}
        self.forms: list[tuple[dict, dict]] = []
        self.outcome = {"state": "FINISHED", "reason": None}
        self.polls_to_settle = 2
        self.pairing: dict | None = None  # shown once every build FINISHED, after pairing_delay
        self.pairing_delay = 0
        self.queued: dict[tuple[str, str], list[httpx.Response]] = {}
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def answer_next(self, method: str, path: str, *responses: httpx.Response | Exception) -> None:
        self.queued.setdefault((method, path), []).extend(responses)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            queued = self.queued.get((request.method, request.url.path))
            if queued:
                request.read()
                answer = queued.pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer
        if request.url.host == "storage.test":
            return self._put(request)
        if request.headers.get("X-Api-Key") != KEY:
            return httpx.Response(401, json={"detail": "Invalid API Key"})
        parts = request.url.path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "projects"]:
            return self._builds(request, parts[3], parts[4:])
        return self._applications(request, parts[2:])

    def _put(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[1]
        self.objects[name] = request.read()
        self.put_headers[name] = request.headers
        if name.startswith("build-"):
            self.builds[int(name.split("-")[1])]["polls"] = self.polls_to_settle
        return httpx.Response(200)

    def _builds(self, request: httpx.Request, project: str, rest: list[str]) -> httpx.Response:
        if request.method == "POST" and rest == ["build-uploads"]:
            context = len(self.contexts) + 1
            self.contexts[context] = []
            return httpx.Response(200, json={"id": context, "dateCreated": "2024-03-07T16:55Z"})
        if request.method == "POST" and rest == ["builds"]:
            body = json.loads(request.read())
            build_id = len(self.builds) + 1
            build = {**body, "id": build_id, "uploadState": "UPLOADING", "apkInfo": None}
            build["failureReason"] = None
            self.builds[build_id] = {"record": build, "polls": None, "project": project}
            self.contexts[body["contextId"]].append(build_id)
            spec = {"method": "PUT", "url": f"{STORAGE}/build-{build_id}?X-Goog-Signature=s"}
            return httpx.Response(
                200, json={"uploadSpec": {**spec, "headers": SIGNED_HEADERS}, "build": build}
            )
        if request.method == "GET" and rest[0] == "build-uploads":
            builds = self._poll(rest[1])
            answer: dict = {"id": int(rest[1]), "builds": builds, "pairing": None}
            if self.pairing and all(b["uploadState"] == "FINISHED" for b in builds):
                self.pairing_delay -= 1
                if self.pairing_delay < 0:
                    answer["pairing"] = self.pairing
            return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"detail": "Not Found"})

    def _poll(self, context: str) -> list[dict]:
        builds = []
        for build_id in self.contexts[int(context)]:
            entry = self.builds[build_id]
            if entry["polls"] is not None:
                entry["polls"] -= 1
                if entry["polls"] <= 0 and entry["record"]["uploadState"] == "UPLOADING":
                    entry["record"]["uploadState"] = self.outcome["state"]
                    entry["record"]["failureReason"] = self.outcome["reason"]
                    if self.outcome["state"] == "FINISHED":
                        info = {"packageName": "com.example.app", "versionName": "1.2"}
                        entry["record"]["apkInfo"] = {**info, "versionCode": 12}
            builds.append(entry["record"])
        return builds

    def _applications(self, request: httpx.Request, rest: list[str]) -> httpx.Response:
        if request.method == "POST" and rest == ["uploads"]:
            spec = {"method": "PUT", "url": f"{STORAGE}/pending-{UPLOAD_ID}?X-Goog-Signature=s"}
            return httpx.Response(
                200,
                json={
                    "uploadId": UPLOAD_ID,
                    "uploadSpec": {**spec, "headers": SIGNED_HEADERS},
                    "expiresInSeconds": 3600,
                },
            )
        if request.method == "POST" and not rest:
            fields, files = form_of(request)
            self.forms.append((fields, files))
            access = fields.get("accessType", ["PUBLIC"])[0].lower()
            link = f"{API}/app/AppId0123456789abcdef"
            data = {
                "id": "AppId0123456789abcdef",
                "magicLink": link,
                "versionedMagicLink": f"{link}?version=1.0",
                "accessType": access,
                "version": "1.0",
                "channel": fields.get("channel", ["default"])[0],
            }
            data["channelMagicLink"] = f"{link}?channel={data['channel']}"
            return httpx.Response(200, json={"data": data, "warnings": []})
        if request.method == "GET" and not rest:
            return httpx.Response(200, json={"data": [APP]})
        if request.method == "GET" and rest == [APP["id"]]:
            return httpx.Response(200, json={"data": {**APP, "versions": [VERSION]}})
        if request.method == "GET" and rest == [EMPTIED_APP["id"]]:
            return httpx.Response(200, json={"data": {**EMPTIED_APP, "versions": []}})
        return httpx.Response(404, json={"detail": f"Application {rest[0]} not found"})


APP = {
    "id": "AppId0123456789abcdef",
    "packageName": "com.example.app",
    "appLabel": "Example",
    "magicLink": f"{API}/app/AppId0123456789abcdef",
    "latestVersion": "1.0",
    "accessType": "public",
    "dateCreated": "2024-03-07T16:55:49.168Z",
}
# An app whose every version was deleted, renamed by its owner.
EMPTIED_APP = {**APP, "id": "Emptied0123456789abcd", "name": "Nightly", "latestVersion": None}
VERSION = {
    "version": "1.0",
    "channel": "default",
    "apkInfo": {"versionName": "1.2", "versionCode": 12},
    "uploadTime": "2024-03-07T16:55:49.168Z",
    "size": 2048,
    "uploaderEmail": "ci@example.com",
}


@pytest.fixture
def fake() -> FakeApkdrop:
    return FakeApkdrop()


@pytest.fixture
def apk(tmp_path: Path) -> Path:
    path = tmp_path / "app-debug.apk"
    path.write_bytes(b"PK\x03\x04" + bytes(5000))
    return path


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Cli:
    def __init__(self, fake: FakeApkdrop, cwd: Path) -> None:
        self.fake, self.cwd = fake, cwd
        self.stdout = self.stderr = ""

    def __call__(self, *argv: str, env: dict[str, str] | None = None, tty: bool = False) -> int:
        environ = {"APKDROP_API_URL": API, "APKDROP_API_KEY": KEY, **(env or {})}
        out, err = (Terminal(), Terminal()) if tty else (io.StringIO(), io.StringIO())
        code = run(
            list(argv),
            environ=environ,
            stdout=out,
            stderr=err,
            cwd=self.cwd,
            transport=httpx.MockTransport(self.fake),
            sleep=self.fake.sleep,
            clock=self.fake.clock,
        )
        self.stdout, self.stderr = out.getvalue(), err.getvalue()
        assert KEY not in self.stdout + self.stderr
        return code


@pytest.fixture
def cli(fake: FakeApkdrop, tmp_path: Path) -> Cli:
    workdir = tmp_path / "work"  # not a git repository
    workdir.mkdir()
    return Cli(fake, workdir)


# --- build upload ------------------------------------------------------------------------------


def test_build_upload_registers_both_builds_and_puts_them_with_the_signed_headers(cli, fake, apk):
    instrumented = apk.with_name("app-debug-androidTest.apk")
    instrumented.write_bytes(b"PK\x03\x04instrumented")
    code = cli(
        "build", "upload", "--project", "my-app", "--apk", str(apk),
        "--instrumented", str(instrumented), "--name", "Nightly", "--description", "from CI",
        "--commit", "6f1c2a9", "--commit-time", "2024-03-07T16:55:49Z",
    )  # fmt: skip
    assert code == ExitCode.OK, cli.stderr
    assert fake.paths()[:3] == [
        "POST /api/v1/projects/my-app/build-uploads",
        "POST /api/v1/projects/my-app/builds",
        "POST /api/v1/projects/my-app/builds",
    ]
    bodies = [json.loads(r.content) for r in fake.requests if r.url.path.endswith("/builds")]
    assert bodies[0] == {
        "contextId": 1,
        "buildType": "APK",
        "buildFileName": "app-debug.apk",
        "name": "Nightly",
        "description": "from CI",
        "sourceControlId": "6f1c2a9",
        "sourceControlIsoTimestamp": "2024-03-07T16:55:49+00:00",
    }
    assert bodies[1]["buildType"] == "INSTRUMENTED_APK"
    assert bodies[1]["buildFileName"] == "app-debug-androidTest.apk"
    assert fake.objects == {"build-1": apk.read_bytes(), "build-2": instrumented.read_bytes()}
    for headers in fake.put_headers.values():
        assert {name: headers[name] for name in SIGNED_HEADERS} == SIGNED_HEADERS
        assert "x-api-key" not in headers
    assert "upload context 1 in project my-app: UPLOADING" in cli.stdout


def test_wait_polls_until_finished(cli, fake, apk):
    code = cli("build", "upload", "--project", "p", "--apk", str(apk), "--wait", "--json")
    assert code == ExitCode.OK, cli.stderr
    result = json.loads(cli.stdout)
    assert result["state"] == "FINISHED"
    assert result["contextId"] == 1
    assert result["builds"][0]["apkInfo"]["packageName"] == "com.example.app"
    assert fake.sleeps == [2]  # settled on the second look


def test_wait_ends_non_zero_with_the_failure_reason(cli, fake, apk):
    fake.outcome = {"state": "FAILED", "reason": "not a zip archive"}
    code = cli("build", "upload", "--project", "p", "--apk", str(apk), "--wait")
    assert code == ExitCode.FAILED
    assert "build 1 (app-debug.apk) FAILED: not a zip archive" in cli.stderr
    assert "FAILED - not a zip archive" in cli.stdout


def test_wait_gives_up_at_its_timeout(cli, fake, apk):
    fake.polls_to_settle = 10_000
    code = cli(
        "build", "upload", "--project", "p", "--apk", str(apk), "--wait", "--wait-timeout", "9"
    )
    assert code == ExitCode.TIMEOUT
    assert "gave up after 9s" in cli.stderr
    assert "app-debug.apk UPLOADING" in cli.stderr
    assert sum(fake.sleeps) == pytest.approx(9)


def size_change(compressed: int, uncompressed: int) -> dict:
    return {
        "compressed": {"before": 1000, "after": 1000 + compressed, "delta": compressed},
        "uncompressed": {"before": 3000, "after": 3000 + uncompressed, "delta": uncompressed},
    }


PAIRING = {
    "apkBuildId": 1,
    "instrumentedBuildId": 2,
    "samePackageName": True,
    "sameVersion": False,
    "sameSigner": True,
    "warnings": ["versions differ: APK 1.2 (12), INSTRUMENTED_APK 1.2 (13)"],
    "size": {
        "total": size_change(3584, 9000),
        "dex": size_change(3072, 8000),
        "resources": size_change(0, 0),
        "native": size_change(1024, 1000),
        "assets": size_change(0, 0),
        "other": size_change(-512, 0),
        "abis": {"arm64-v8a": size_change(1024, 1000)},
    },
}


def test_wait_shows_the_pairing_in_one_line_and_its_warnings(cli, fake, apk):
    instrumented = apk.with_name("app-instrumented.apk")
    instrumented.write_bytes(b"PK\x03\x04instrumented")
    fake.pairing, fake.pairing_delay = PAIRING, 1  # recorded a moment after the builds finish
    code = cli(
        "build", "upload", "--project", "p", "--apk", str(apk),
        "--instrumented", str(instrumented), "--wait",
    )  # fmt: skip
    assert code == ExitCode.OK, cli.stderr  # a mismatch is a warning, not a failure
    assert cli.stdout.splitlines()[-1] == (
        "  pairing of build 2 with build 1: 1 warning; +3.5 KiB as stored"
        " (dex +3.0 KiB, native +1.0 KiB, other -0.5 KiB)"
    )
    assert "warning: versions differ: APK 1.2 (12), INSTRUMENTED_APK 1.2 (13)" in cli.stderr


def test_a_matching_pair_says_so_and_json_carries_the_pairing(cli, fake, apk):
    instrumented = apk.with_name("app-instrumented.apk")
    instrumented.write_bytes(b"PK\x03\x04instrumented")
    fake.pairing = {**PAIRING, "sameVersion": True, "warnings": [], "size": None}
    args = ["build", "upload", "--project", "p", "--apk", str(apk), "--instrumented"]
    assert cli(*args, str(instrumented), "--wait") == ExitCode.OK
    assert cli.stdout.splitlines()[-1] == (
        "  pairing of build 2 with build 1: same package, version and signer"
    )
    assert "warning" not in cli.stderr
    assert cli(*args, str(instrumented), "--wait", "--json") == ExitCode.OK
    assert json.loads(cli.stdout)["pairing"] == fake.pairing


def test_a_pairing_that_never_comes_fails_nothing(cli, fake, apk):
    instrumented = apk.with_name("app-instrumented.apk")
    instrumented.write_bytes(b"PK\x03\x04instrumented")
    code = cli(
        "build", "upload", "--project", "p", "--apk", str(apk),
        "--instrumented", str(instrumented), "--wait", "--wait-timeout", "9", "--json",
    )  # fmt: skip
    assert code == ExitCode.OK, cli.stderr
    result = json.loads(cli.stdout)
    assert (result["state"], result["pairing"]) == ("FINISHED", None)
    assert sum(fake.sleeps) == pytest.approx(9)


def test_project_from_the_environment(cli, fake, apk):
    assert cli("build", "upload", "--apk", str(apk), env={"APKDROP_PROJECT": "envproj"}) == 0
    assert fake.paths()[0] == "POST /api/v1/projects/envproj/build-uploads"


def test_no_project_is_a_usage_error(cli, fake, apk):
    assert cli("build", "upload", "--apk", str(apk)) == ExitCode.USAGE
    assert "--project" in cli.stderr
    assert fake.requests == []


@pytest.mark.parametrize("timeout", ["nan", "inf", "0", "-5"])
def test_a_wait_timeout_that_never_comes_is_a_usage_error(cli, fake, apk, timeout):
    code = cli(
        "build", "upload", "--project", "p", "--apk", str(apk), "--wait", "--wait-timeout", timeout
    )
    assert code == ExitCode.USAGE
    assert fake.requests == []


def test_a_refused_registration_shows_the_detail(cli, fake, apk):
    detail = "sourceControlIsoTimestamp: Input should have timezone info"
    fake.answer_next(
        "POST", "/api/v1/projects/p/builds", httpx.Response(400, json={"detail": detail})
    )
    assert cli("build", "upload", "--project", "p", "--apk", str(apk)) == ExitCode.FAILED
    assert f"registering app-debug.apk: 400 {detail}" in cli.stderr


# --- usage and configuration -------------------------------------------------------------------


def test_missing_key_is_a_usage_error_that_says_what_to_set(cli, fake, apk):
    assert cli("app", "list", env={"APKDROP_API_KEY": ""}) == ExitCode.USAGE
    assert "No API key: set APKDROP_API_KEY" in cli.stderr
    assert fake.requests == []


def test_missing_url_is_a_usage_error(cli, fake):
    assert cli("app", "list", env={"APKDROP_API_URL": ""}) == ExitCode.USAGE
    assert "No API URL: set APKDROP_API_URL" in cli.stderr


def test_a_url_without_scheme_is_a_usage_error(cli, fake):
    assert cli("app", "list", env={"APKDROP_API_URL": "apkdrop.example.com"}) == ExitCode.USAGE
    assert "must be an http(s) URL" in cli.stderr
    assert cli("--timeout", "0", "app", "list") == ExitCode.USAGE
    assert fake.requests == []


def test_missing_file_is_a_usage_error_before_any_request(cli, fake, tmp_path):
    missing = tmp_path / "nope.apk"
    assert cli("app", "upload", str(missing)) == ExitCode.USAGE
    assert f"No such APK: {missing}" in cli.stderr
    assert cli("build", "upload", "--project", "p", "--apk", str(missing)) == ExitCode.USAGE
    assert fake.requests == []


def test_bad_flags_exit_2(cli):
    assert cli("app", "upload", "--action", "sometimes", "x.apk") == ExitCode.USAGE
    assert "invalid choice" in cli.stderr
    assert cli() == ExitCode.USAGE


def test_key_from_a_file(cli, fake, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    assert cli("--api-key-file", str(key_file), "app", "list", env={"APKDROP_API_KEY": ""}) == 0
    assert fake.requests[0].headers["X-Api-Key"] == KEY


def test_the_key_is_never_printed(cli, fake, apk):
    """Not in --verbose logs, not in errors, not even when the server echoes it back."""
    echoed = httpx.Response(400, json={"detail": f"key {KEY} may not upload here"})
    fake.answer_next("POST", "/v1/application", echoed)
    code = cli("--verbose", "app", "upload", str(apk), "--json")
    assert code == ExitCode.FAILED
    assert "key *** may not upload here" in cli.stderr
    assert json.loads(cli.stdout)["error"].startswith("uploading app-debug.apk: 400 key ***")
    assert cli("--api-key", KEY, "-v", "app", "list", env={"APKDROP_API_KEY": ""}) == 0
    assert "debug: GET /v1/application -> 200" in cli.stderr
    # (Cli itself asserts that the key appears in neither stream.)


def test_an_invalid_key_is_refused_with_exit_1(cli, fake):
    assert cli("app", "list", env={"APKDROP_API_KEY": "apkd_wrong"}) == ExitCode.FAILED
    assert "401 Invalid API Key" in cli.stderr
    assert "apkd_wrong" not in cli.stderr


def test_unavailable_after_retries_exits_3(cli, fake):
    down = [httpx.Response(503, json={"detail": "down", "requestId": "r1"}) for _ in range(3)]
    fake.answer_next("GET", "/v1/application", *down)
    assert cli("--retries", "2", "app", "list") == ExitCode.UNAVAILABLE
    assert "retry 1/2" in cli.stderr and "retry 2/2" in cli.stderr
    assert "503 down (requestId r1)" in cli.stderr


def test_a_429_is_retried_after_its_retry_after(cli, fake):
    limited = httpx.Response(429, headers={"Retry-After": "3"}, json={"detail": "Rate limit"})
    fake.answer_next("GET", "/v1/application", limited)
    assert cli("app", "list") == ExitCode.OK
    assert fake.sleeps == [3.0]
    assert len(fake.requests) == 2


# --- app upload --------------------------------------------------------------------------------


def test_app_upload_sends_the_form(cli, fake, apk, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Fixes login\nand more")
    code = cli(
        "app", "upload", str(apk), "--private", "--allow", "qa@example.com,lead@example.com",
        "--allow", "pm@example.com", "--action", "new-app", "--email", "team@example.com",
        "--release-notes", f"@{notes}", "--app-id", "AppId0123456789abcdef",
    )  # fmt: skip
    assert code == ExitCode.OK, cli.stderr
    ((fields, files),) = fake.forms
    assert files == {"file": apk.read_bytes()}
    assert fields == {
        "accessType": ["PRIVATE"],
        "versionAction": ["CREATE_NEW_APP"],
        "allowedUsers": ["qa@example.com", "lead@example.com", "pm@example.com"],
        "sendNotification": ["true"],
        "notificationEmails": ["team@example.com"],
        "releaseNotes": ["Fixes login\nand more"],
        "appId": ["AppId0123456789abcdef"],
    }
    assert f"magic link: {API}/app/AppId0123456789abcdef" in cli.stdout


def test_app_upload_defaults(cli, fake, apk):
    assert cli("app", "upload", str(apk), "--notify", "--release-notes", "Hello") == 0
    ((fields, _),) = fake.forms
    # No accessType: the server keeps the latest version's access, never widening it.
    assert fields == {
        "versionAction": ["CREATE_NEW_VERSION"],
        "sendNotification": ["true"],
        "releaseNotes": ["Hello"],
    }


def test_app_upload_public_names_the_access(cli, fake, apk):
    assert cli("app", "upload", str(apk), "--public") == 0
    ((fields, _),) = fake.forms
    assert fields["accessType"] == ["PUBLIC"]


def test_app_upload_private_and_public_exclude_each_other(cli, apk):
    assert cli("app", "upload", str(apk), "--public", "--private", "--allow", "a@b.co") == 2


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--allow", "qa@example.com"], "--allow applies to private apps"),
        (["--private"], "A private app needs at least one --allow EMAIL"),
        (["--release-notes", "@/nonexistent/notes.txt"], "No such release notes file"),
    ],
)
def test_app_upload_usage_errors(cli, fake, apk, flags, message):
    assert cli("app", "upload", str(apk), *flags) == ExitCode.USAGE
    assert message in cli.stderr
    assert fake.requests == []


def test_file_or_url_exactly_one(cli, apk):
    assert cli("app", "upload") == ExitCode.USAGE
    assert cli("app", "upload", str(apk), "--url", "https://example.com/a.apk") == ExitCode.USAGE
    assert "exactly one" in cli.stderr


def test_app_upload_from_a_url(cli, fake):
    assert cli("app", "upload", "--url", "https://example.com/app.apk", "--json") == 0
    ((fields, files),) = fake.forms
    assert fields["apkUrl"] == ["https://example.com/app.apk"]
    assert files == {}
    assert json.loads(cli.stdout)["uploadPath"] == "url"


def test_a_conflict_shows_the_detail_and_exits_1(cli, fake, apk):
    detail = "Application with package name 'com.example.app' already exists."
    fake.answer_next("POST", "/v1/application", httpx.Response(409, json={"detail": detail}))
    assert cli("app", "upload", str(apk), "--action", "do-nothing") == ExitCode.FAILED
    assert f"409 {detail}" in cli.stderr


def test_a_large_file_takes_the_large_file_path(cli, fake, apk, monkeypatch):
    monkeypatch.setattr(apps, "DIRECT_UPLOAD_LIMIT_BYTES", 1000)
    assert cli("app", "upload", str(apk), "--private", "--allow", "qa@example.com") == 0
    assert fake.paths() == [
        "POST /v1/application/uploads",
        f"PUT /bucket/pending-{UPLOAD_ID}",
        "POST /v1/application",
    ]
    assert fake.objects[f"pending-{UPLOAD_ID}"] == apk.read_bytes()
    ((fields, files),) = fake.forms
    assert fields["uploadId"] == [UPLOAD_ID]
    assert fields["accessType"] == ["PRIVATE"]
    assert files == {}


def test_a_413_switches_to_the_large_file_path(cli, fake, apk):
    too_large = httpx.Response(413, json={"detail": "The file is larger than 1024 bytes"})
    fake.answer_next("POST", "/v1/application", too_large)
    assert cli("app", "upload", str(apk), "--json") == 0
    assert fake.paths() == [
        "POST /v1/application",
        "POST /v1/application/uploads",
        f"PUT /bucket/pending-{UPLOAD_ID}",
        "POST /v1/application",
    ]
    assert json.loads(cli.stdout)["uploadPath"] == "large-file"


def test_a_large_file_put_that_landed_unanswered_is_published(cli, fake, apk, monkeypatch):
    """The first PUT stored the file but its answer was lost; the retry is refused with 412 (the
    URL only creates), which means the file is there: the CLI goes on to publish it."""
    monkeypatch.setattr(apps, "DIRECT_UPLOAD_LIMIT_BYTES", 1000)
    put_path = f"/bucket/pending-{UPLOAD_ID}"
    fake.objects[f"pending-{UPLOAD_ID}"] = apk.read_bytes()
    fake.answer_next("PUT", put_path, httpx.ReadError("connection reset"), httpx.Response(412))
    assert cli("app", "upload", str(apk), "--json") == 0
    assert fake.paths() == [
        "POST /v1/application/uploads",
        f"PUT {put_path}",
        f"PUT {put_path}",
        "POST /v1/application",
    ]
    ((fields, _),) = fake.forms
    assert fields["uploadId"] == [UPLOAD_ID]
    assert json.loads(cli.stdout)["uploadPath"] == "large-file"


def test_a_large_file_put_refused_412_at_once_is_an_error(cli, fake, apk, monkeypatch):
    """Without an earlier attempt, a 412 says the URL's object was there already: not ours."""
    monkeypatch.setattr(apps, "DIRECT_UPLOAD_LIMIT_BYTES", 1000)
    fake.answer_next("PUT", f"/bucket/pending-{UPLOAD_ID}", httpx.Response(412))
    assert cli("app", "upload", str(apk)) == ExitCode.FAILED
    assert "storage refused the upload: 412" in cli.stderr
    assert fake.forms == []


def test_a_direct_upload_that_could_not_connect_is_sent_again_whole(cli, fake, apk):
    fake.answer_next("POST", "/v1/application", httpx.ConnectError("connection refused"))
    assert cli("app", "upload", str(apk)) == 0
    assert len(fake.requests) == 2
    ((_, files),) = fake.forms
    assert files == {"file": apk.read_bytes()}
    assert "uploading app-debug.apk: ConnectError: connection refused; retry 1/5" in cli.stderr


def test_a_direct_upload_whose_answer_was_lost_is_sent_again_with_its_key(cli, fake, apk):
    """Once never repeated (it may have been published); with the key the server answers the
    repeat with the version the first one made."""
    fake.answer_next("POST", "/v1/application", httpx.ReadError("connection reset"))
    assert cli("app", "upload", str(apk)) == 0
    first, again = fake.requests
    assert again.headers["Idempotency-Key"] == first.headers["Idempotency-Key"]
    ((_, files),) = fake.forms
    assert files == {"file": apk.read_bytes()}


@pytest.mark.parametrize("flags", [[], ["--large"]], ids=["direct", "large-file"])
def test_each_upload_has_a_key_of_its_own(cli, fake, apk, flags):
    assert cli("app", "upload", str(apk), *flags) == 0
    assert cli("app", "upload", str(apk), *flags) == 0
    keys = [
        r.headers.get("Idempotency-Key")
        for r in fake.requests
        if (r.method, r.url.path) == ("POST", "/v1/application")
    ]
    assert len(keys) == 2 and None not in keys and len(set(keys)) == 2
    assert all(len(key) <= 255 and key.isascii() and key.isprintable() for key in keys)


def test_an_imported_url_is_sent_again_with_its_key_after_a_lost_answer(cli, fake):
    fake.answer_next("POST", "/v1/application", httpx.ReadTimeout("timed out"))
    assert cli("app", "upload", "--url", "https://files.example.com/app.apk") == 0
    first, again = fake.requests
    assert again.headers["Idempotency-Key"] == first.headers["Idempotency-Key"]


def test_progress_bars_on_a_terminal_plain_lines_otherwise(cli, fake, apk):
    assert cli("app", "upload", str(apk), tty=True) == 0
    assert "app-debug.apk" in cli.stderr and "━" in cli.stderr
    assert "uploading app-debug.apk" not in cli.stderr
    assert cli("app", "list", tty=True) == 0
    assert "┃" in cli.stdout  # a table on a terminal
    assert cli("app", "upload", str(apk)) == 0
    assert "uploading app-debug.apk (4.9 KiB)" in cli.stderr
    assert "━" not in cli.stderr
    assert cli("app", "upload", str(apk), "--no-progress", tty=True) == 0
    assert "━" not in cli.stderr


def test_server_warnings_are_shown(cli, fake, apk):
    answer = {
        "data": {
            "id": "A" * 22,
            "magicLink": "m",
            "versionedMagicLink": "v",
            "accessType": "public",
            "version": "1.0",
        },
        "warnings": ["Ignored invalid notification email: 'nope'"],
    }
    fake.answer_next("POST", "/v1/application", httpx.Response(200, json=answer))
    assert cli("app", "upload", str(apk), "--email", "nope") == 0
    assert "warning: Ignored invalid notification email: 'nope'" in cli.stderr


# --- app list / show ---------------------------------------------------------------------------


def test_app_list_plain_and_json(cli):
    assert cli("app", "list") == 0
    assert cli.stdout.splitlines() == [
        f"AppId0123456789abcdef\tcom.example.app\tExample\t1.0\tpublic\t{API}/app/AppId0123456789abcdef"
    ]
    assert cli("app", "list", "--json") == 0
    assert json.loads(cli.stdout) == [APP]


def test_app_list_follows_every_page(cli, fake: FakeApkdrop):
    second = {**APP, "id": "Second0123456789abcde", "packageName": "com.example.second"}
    fake.answer_next(
        "GET",
        "/v1/application",
        httpx.Response(200, json={"data": [APP], "nextPageToken": "t1"}),
        httpx.Response(200, json={"data": [second], "nextPageToken": None}),
    )

    assert cli("--json", "app", "list") == 0

    assert json.loads(cli.stdout) == [APP, second]
    first, then = [dict(r.url.params) for r in fake.requests if r.url.path == "/v1/application"]
    assert (first, then) == ({}, {"pageToken": "t1"})


def test_app_show(cli):
    assert cli("app", "show", "AppId0123456789abcdef") == 0
    assert "Example (com.example.app): app AppId0123456789abcdef, public" in cli.stdout
    assert "1.0\tdefault\t1.2\t12\t2024-03-07T16:55:49.168Z\t2.0 KiB\tci@example.com" in cli.stdout
    assert cli("--json", "app", "show", "AppId0123456789abcdef") == 0
    assert json.loads(cli.stdout)["versions"] == [VERSION]


def test_app_show_lists_the_versions_of_every_page(cli, fake: FakeApkdrop):
    path = f"/v1/application/{APP['id']}"
    older = {**VERSION, "version": "1.0"}
    newer = {**VERSION, "version": "2.0"}
    fake.answer_next(
        "GET",
        path,
        httpx.Response(200, json={"data": {**APP, "versions": [newer]}, "nextPageToken": "Mg"}),
        httpx.Response(200, json={"data": {**APP, "versions": [older]}, "nextPageToken": None}),
    )

    assert cli("--json", "app", "show", APP["id"], "--channel", "nightly") == 0

    assert json.loads(cli.stdout)["versions"] == [newer, older]
    first, second = [r.url.params for r in fake.requests if r.url.path == path]
    assert dict(first) == {"channel": "nightly"}
    assert dict(second) == {"channel": "nightly", "pageToken": "Mg"}


def test_app_show_of_an_app_without_versions_says_so(cli):
    assert cli("app", "show", EMPTIED_APP["id"]) == 0
    assert "Nightly (com.example.app)" in cli.stdout
    assert "no version left (every one was deleted)" in cli.stdout
    assert "None" not in cli.stdout


def test_app_show_unknown_id(cli):
    assert cli("app", "show", "nope", "--json") == ExitCode.FAILED
    assert json.loads(cli.stdout) == {
        "error": "reading application nope: 404 Application nope not found",
        "exitCode": 1,
        "status": 404,
    }
