"""`--comment-pr`: one comment per app on the pull request, posted once and then edited, found
again by its hidden marker across pages; outside a pull request or on failure, a message only."""

import io
from pathlib import Path

import httpx

from apkdrop_cli.main import run
from infra.fake_github import FakeGitHub
from tests.unit.cli_uploads import KEY, TOKEN, FakeApi, Router, pull_request_env, uploaded


def upload(tmp_path: Path, api: FakeApi, github, environ: dict) -> tuple[int, str, str]:
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK\x03\x04")
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(
        ["app", "upload", str(apk), "--comment-pr", "--no-progress"],
        environ=environ,
        stdout=stdout,
        stderr=stderr,
        transport=Router(api, github),
        sleep=lambda seconds: None,
    )
    for secret in (KEY, TOKEN):
        assert secret not in stdout.getvalue() + stderr.getvalue()
    return code, stdout.getvalue(), stderr.getvalue()


def test_the_comment_is_posted_once_then_updated(tmp_path: Path) -> None:
    api, github, environ = FakeApi(), FakeGitHub(), pull_request_env(tmp_path)
    code, _, stderr = upload(tmp_path, api, github, environ)
    assert code == 0, stderr
    assert "posted the comment on pull request #7" in stderr
    [comment] = github.comments
    assert (comment["repo"], comment["issue"]) == ("octo/app", 7)
    assert comment["body"].startswith("<!-- apkdrop:app:AppA -->\n### apkdrop: Demo 1.4.2 (42)")
    assert "/app/AppA?version=1.0" in comment["body"]

    api.next = uploaded("AppA", "2.0")
    code, _, stderr = upload(tmp_path, api, github, environ)
    assert code == 0, stderr
    assert "updated the comment on pull request #7" in stderr
    [comment] = github.comments
    assert "/app/AppA?version=2.0" in comment["body"]
    assert "version=1.0" not in comment["body"]
    assert github.requests.count("POST /repos/octo/app/issues/7/comments") == 1
    assert "PATCH /repos/octo/app/issues/comments/1" in github.requests


def test_two_apps_get_two_comments_found_again_across_pages(tmp_path: Path) -> None:
    api, github, environ = FakeApi(), FakeGitHub(max_page_size=2), pull_request_env(tmp_path)
    for index in range(5):  # a discussion before the first upload, one that mentions the marker
        body = "see <!-- apkdrop:app:AppA --> below" if index == 2 else f"review {index}"
        github.comments.append({"id": index + 1, "repo": "octo/app", "issue": 7, "body": body})
    assert upload(tmp_path, api, github, environ)[0] == 0
    api.next = uploaded("AppB", "1.0")
    assert upload(tmp_path, api, github, environ)[0] == 0
    api.next = uploaded("AppA", "2.0")
    assert upload(tmp_path, api, github, environ)[0] == 0

    ours = [c for c in github.comments if c["body"].startswith("<!-- apkdrop:")]
    assert [c["id"] for c in ours] == [6, 7]
    assert "/app/AppA?version=2.0" in ours[0]["body"]
    assert "/app/AppB?version=1.0" in ours[1]["body"]
    assert github.comments[2]["body"] == "see <!-- apkdrop:app:AppA --> below"  # not ours
    assert github.requests.count("GET /repos/octo/app/issues/7/comments") == 3 + 3 + 3  # pages


def test_outside_a_pull_request_only_a_note(tmp_path: Path) -> None:
    github = FakeGitHub()
    environ = pull_request_env(tmp_path, GITHUB_EVENT_NAME="push")
    code, stdout, stderr = upload(tmp_path, FakeApi(), github, environ)
    assert code == 0
    assert "app AppA version 1.0" in stdout
    assert "--comment-pr: not a pull_request event (GITHUB_EVENT_NAME=push)" in stderr
    assert github.requests == []


def test_a_failed_comment_is_a_warning_and_the_upload_succeeds(tmp_path: Path) -> None:
    refused = httpx.MockTransport(
        lambda request: httpx.Response(403, json={"message": "Resource not accessible"})
    )
    code, stdout, stderr = upload(tmp_path, FakeApi(), refused, pull_request_env(tmp_path))
    assert code == 0
    assert "app AppA version 1.0" in stdout
    assert "::warning title=apkdrop::the pull request comment failed: GitHub GET" in stderr
    assert "403" in stderr


def test_a_503_from_github_is_retried(tmp_path: Path) -> None:
    github, answers = FakeGitHub(), iter([503])
    wsgi = httpx.WSGITransport(app=github)

    def flaky(request: httpx.Request) -> httpx.Response:
        status = next(answers, None)
        return httpx.Response(status) if status else wsgi.handle_request(request)

    environ = pull_request_env(tmp_path)
    code, _, stderr = upload(tmp_path, FakeApi(), httpx.MockTransport(flaky), environ)
    assert code == 0, stderr
    assert "retry 1/5" in stderr
    assert len(github.comments) == 1
