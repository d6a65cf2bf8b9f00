"""`--comment-pr`: one comment per app on the pull request, posted once and then edited, found
again by its hidden marker and its author (the token's identity) across pages; outside a pull
request or on failure, a message only."""

import io
from pathlib import Path

import httpx
import pytest

from apkdrop_cli import http as cli_http
from apkdrop_cli.main import run
from infra.fake_github import FakeGitHub
from tests.unit.cli_uploads import (
    KEY,
    TOKEN,
    EndlessAnswer,
    FakeApi,
    Router,
    pull_request_env,
    uploaded,
)

MARK = "<!-- apkdrop:app:AppA -->"
ACTIONS_BOT = {"login": "github-actions[bot]", "type": "Bot"}
SOMEONE = "github_pat_someone-else-0123456789"  # anyone may comment on a public pull request


def plant(github: FakeGitHub, body: str, token: str = SOMEONE) -> dict:
    """A comment posted on the pull request with `token` (TOKEN: by GitHub Actions' bot)."""
    with httpx.Client(transport=httpx.WSGITransport(app=github)) as client:
        client.post(
            "http://github.test/repos/octo/app/issues/7/comments",
            json={"body": body},
            headers={"Authorization": f"Bearer {token}"},
        ).raise_for_status()
    return github.comments[-1]


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
        plant(github, f"see {MARK} below" if index == 2 else f"review {index}")
    assert upload(tmp_path, api, github, environ)[0] == 0
    api.next = uploaded("AppB", "1.0")
    assert upload(tmp_path, api, github, environ)[0] == 0
    api.next = uploaded("AppA", "2.0")
    assert upload(tmp_path, api, github, environ)[0] == 0

    ours = [c for c in github.comments if c["body"].startswith("<!-- apkdrop:")]
    assert [c["id"] for c in ours] == [6, 7]
    assert "/app/AppA?version=2.0" in ours[0]["body"]
    assert "/app/AppB?version=1.0" in ours[1]["body"]
    assert github.comments[2]["body"] == f"see {MARK} below"  # not ours
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


def test_a_marked_comment_by_someone_else_is_never_edited(tmp_path: Path) -> None:
    """Anyone may comment on a pull request, so a marker alone does not make a comment ours:
    editing another's would fail (GITHUB_TOKEN) or rewrite their words (an admin's token)."""
    other_app = "ghs_other-app-0123456789"
    api, github = FakeApi(), FakeGitHub(app_tokens={other_app: "other-app"})
    environ = pull_request_env(tmp_path)
    planted = [
        dict(plant(github, f"{MARK}\nplanted")),
        dict(plant(github, f"{MARK}\nbot", other_app)),
    ]
    code, _, stderr = upload(tmp_path, api, github, environ)
    assert code == 0, stderr
    assert "posted the comment on pull request #7" in stderr
    ours = github.comments[-1]
    assert ours["id"] == 3 and ours["user"] == ACTIONS_BOT

    api.next = uploaded("AppA", "2.0")
    code, _, stderr = upload(tmp_path, api, github, environ)
    assert code == 0, stderr
    assert "updated the comment on pull request #7" in stderr
    assert github.comments[:2] == planted and len(github.comments) == 3  # as they were
    assert "/app/AppA?version=2.0" in ours["body"]
    assert not any(r.startswith("PATCH") and not r.endswith("/3") for r in github.requests)


def test_our_comment_is_found_after_a_page_of_others_with_the_marker(tmp_path: Path) -> None:
    api, github, environ = FakeApi(), FakeGitHub(), pull_request_env(tmp_path)
    for index in range(150):
        plant(github, f"{MARK}\nplanted {index}" if index % 2 else f"review {index}")
    ours = plant(github, f"{MARK}\nold summary", TOKEN)
    code, _, stderr = upload(tmp_path, api, github, environ)
    assert code == 0, stderr
    assert "updated the comment on pull request #7" in stderr
    assert "/app/AppA?version=1.0" in ours["body"]
    assert len(github.comments) == 151
    assert all("planted" in c["body"] for c in github.comments[1:150:2])
    assert github.requests.count("GET /repos/octo/app/issues/7/comments") == 2  # two pages


def test_a_personal_token_finds_the_comments_of_its_user(tmp_path: Path) -> None:
    """GET /user names a personal access token's user; GitHub Actions' bot is not it."""
    api, github = FakeApi(), FakeGitHub()
    environ = pull_request_env(tmp_path, GITHUB_TOKEN="github_pat_unit-test-0123456789")
    me = github.identity(environ["GITHUB_TOKEN"]).user
    plant(github, f"{MARK}\nby the bot", TOKEN)
    for version in ("1.0", "2.0"):
        api.next = uploaded("AppA", version)
        code, _, stderr = upload(tmp_path, api, github, environ)
        assert code == 0, stderr
    assert "updated the comment on pull request #7" in stderr
    assert github.comments[0]["body"] == f"{MARK}\nby the bot"
    [ours] = github.comments[1:]
    assert ours["user"] == me and "/app/AppA?version=2.0" in ours["body"]
    assert github.requests.count("GET /user") == 2


def test_another_apps_token_finds_its_comments_by_the_login_it_is_given(tmp_path: Path) -> None:
    """An installation token cannot ask GitHub who it is: its bot's login is given."""
    api, github = FakeApi(), FakeGitHub(app_tokens={TOKEN: "my-app"})
    environ = pull_request_env(tmp_path, APKDROP_GITHUB_LOGIN="my-app[bot]")
    plant(github, f"{MARK}\nby the Actions bot", "ghs_a-github-token-0123456789")
    for version in ("1.0", "2.0"):
        api.next = uploaded("AppA", version)
        code, _, stderr = upload(tmp_path, api, github, environ)
        assert code == 0, stderr
    assert "updated the comment on pull request #7" in stderr
    [ours] = github.comments[1:]
    assert ours["user"] == {"login": "my-app[bot]", "type": "Bot"}
    assert "GET /user" not in github.requests


def test_a_comment_deleted_since_it_was_found_is_posted_again(tmp_path: Path) -> None:
    api, github, environ = FakeApi(), FakeGitHub(), pull_request_env(tmp_path)
    plant(github, f"{MARK}\nold summary", TOKEN)
    wsgi = httpx.WSGITransport(app=github)

    def deleted_meanwhile(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            github.comments.clear()  # someone deleted it between the list and the edit
        return wsgi.handle_request(request)

    code, _, stderr = upload(tmp_path, api, httpx.MockTransport(deleted_meanwhile), environ)
    assert code == 0, stderr
    assert "posted the comment on pull request #7" in stderr
    [comment] = github.comments
    assert comment["id"] == 2 and "/app/AppA?version=1.0" in comment["body"]
    assert github.requests[-2:] == [
        "PATCH /repos/octo/app/issues/comments/1", "POST /repos/octo/app/issues/7/comments",
    ]  # fmt: skip


def test_another_refusal_of_get_user_is_a_warning_not_a_guess(tmp_path: Path) -> None:
    """Only GitHub's answer to an installation token stands for github-actions[bot]: a rate
    limit's 403 says nothing of who the token is."""
    api, github, environ = FakeApi(), FakeGitHub(), pull_request_env(tmp_path)
    ours = plant(github, f"{MARK}\nold summary", TOKEN)
    wsgi = httpx.WSGITransport(app=github)

    def rate_limited(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/user":
            return httpx.Response(403, json={"message": "API rate limit exceeded"})
        return wsgi.handle_request(request)

    code, _, stderr = upload(tmp_path, api, httpx.MockTransport(rate_limited), environ)
    assert code == 0
    assert "comment failed: GitHub GET http://github.test/user: 403" in stderr
    assert ours["body"] == f"{MARK}\nold summary"
    assert github.requests == ["POST /repos/octo/app/issues/7/comments"]  # the plant only


@pytest.mark.parametrize(
    "answer",
    [
        # json.loads raises RecursionError, no ValueError
        lambda: httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
        lambda: httpx.Response(200, stream=EndlessAnswer(cap=8 * 1024 * 1024)),
    ],
    ids=["nested", "endless"],
)
def test_an_absurd_answer_from_github_is_a_warning_and_the_upload_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer
) -> None:
    monkeypatch.setattr(cli_http, "MAX_ANSWER_BYTES", 1024 * 1024)
    absurd = httpx.MockTransport(lambda request: answer())
    code, stdout, stderr = upload(tmp_path, FakeApi(), absurd, pull_request_env(tmp_path))
    assert code == 0, stderr
    assert "app AppA version 1.0" in stdout
    assert "::warning title=apkdrop::the pull request comment failed" in stderr
