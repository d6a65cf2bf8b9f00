"""`apkdrop app upload --comment-pr --summary FILE` as `make dev` users try it: against the
local stack, with GITHUB_API_URL pointed at the gateway's fake GitHub (/_dev/github)."""

import json
import time

import httpx
import pytest

from tests.fixtures.apk_builder import write_apk
from tests.integration.test_cli import apkdrop

pytestmark = pytest.mark.integration


def test_one_comment_per_app_edited_by_the_next_upload(stack, api_keys, tmp_path):
    key = api_keys(f"cli-pr-{time.monotonic_ns()}@example.com")
    number = time.monotonic_ns() % 1_000_000_000  # this test's own pull request
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": number}}))
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_TOKEN": "dev-token",
        "GITHUB_API_URL": f"{stack.url}/_dev/github/api",
    }
    apk = write_apk(tmp_path / "app.apk", package=f"com.example.pr{number}", label="PR Demo")
    summary = tmp_path / "summary.md"
    for version in ("1.0", "2.0"):
        done = apkdrop(stack.url, key, "app", "upload", str(apk), "--comment-pr", "--summary",
                       str(summary), env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "dev-token" not in done.stdout + done.stderr
        assert f"?version={version}" in summary.read_text()

    held = httpx.get(f"{stack.url}/_dev/github.json").json()
    [comment] = [c for c in held if c["repo"] == "octo/app" and c["issue"] == number]
    assert comment["body"].startswith("<!-- apkdrop:app:")
    assert comment["body"].endswith(summary.read_text())  # the second upload's summary
    assert "### apkdrop: PR Demo" in comment["body"]
    assert "?version=1.0" not in comment["body"]
    assert "PR Demo" in httpx.get(f"{stack.url}/_dev/github").text
