"""A stand-in apkdrop API and the fake GitHub behind one transport, for the CLI's tests of the
upload summary and `--comment-pr`."""

import json

import httpx

from infra.fake_github import FakeGitHub

GITHUB_HOST = "github.test"
TOKEN = "ghs_unit-test-token-0123456789"
KEY = "apkd_summary-unit-key-0123456789"
SERVER = "https://apkdrop.example.com"


def uploaded(app_id: str, version: str, **fields: object) -> dict:
    link = f"{SERVER}/app/{app_id}"
    return {
        "id": app_id,
        "magicLink": link,
        "versionedMagicLink": f"{link}?version={version}",
        "accessType": "PUBLIC",
        "version": version,
        "checks": [],
        "insights": None,
        **fields,
    }


def app_detail(app_id: str, version: str, name: str = "Demo") -> dict:
    return {
        "id": app_id,
        "name": name,
        "packageName": "com.example.demo",
        "versions": [
            {
                "version": version,
                "apkInfo": {"versionName": "1.4.2", "versionCode": 42},
                "uploaderEmail": "ci@example.com",
            }
        ],
    }


class FakeApi:
    """Answers uploads with `self.next` (the upload's data) and the app's GET with its detail."""

    def __init__(self) -> None:
        self.next = uploaded("AppA", "1.0")
        self.name = "Demo"
        self.detail_status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if request.method == "POST":
            return httpx.Response(200, json={"data": self.next, "warnings": []})
        if self.detail_status != 200:
            return httpx.Response(self.detail_status, json={"detail": "nope"})
        detail = app_detail(self.next["id"], self.next["version"], self.name)
        return httpx.Response(200, json={"data": detail})


class Router(httpx.BaseTransport):
    """github.test goes to `github` (the fake GitHub by default), the rest to `api`."""

    def __init__(self, api: FakeApi, github: FakeGitHub | httpx.BaseTransport) -> None:
        self._api = httpx.MockTransport(api)
        self._github = httpx.WSGITransport(app=github) if isinstance(github, FakeGitHub) else github

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = self._github if request.url.host == GITHUB_HOST else self._api
        return target.handle_request(request)


def pull_request_env(tmp_path, number: int = 7, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": number}}))
    return {
        "APKDROP_API_URL": SERVER,
        "APKDROP_API_KEY": KEY,
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": f"http://{GITHUB_HOST}",
        **extra,
    }


class EndlessAnswer(httpx.SyncByteStream):
    """An answer that never ends; past `cap` bytes it fails the test instead of running on."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.sent = 0

    def __iter__(self):
        while self.sent <= self.cap:
            self.sent += 64 * 1024
            yield b" " * (64 * 1024)
        raise AssertionError(f"read {self.sent} bytes of an endless answer")
