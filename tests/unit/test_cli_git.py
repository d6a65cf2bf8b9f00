"""Where `build upload` takes its commit from: flags, git's HEAD, or the CI's variables."""

import subprocess
from pathlib import Path

import pytest

from apkdrop_cli.errors import UsageError
from apkdrop_cli.gitinfo import resolve_commit


def git(repo: Path, *args: str, **env: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_SYSTEM": "/dev/null",
            "HOME": str(repo),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            **env,
        },
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README").write_text("hello")
    git(repo, "add", "README")
    when = "2024-03-07T16:55:49+01:00"
    git(
        repo,
        "-c", "user.name=CI", "-c", "user.email=ci@example.com",
        "commit", "-q", "-m", "first",
        GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when,
    )  # fmt: skip
    return repo


def test_head_and_its_commit_time_by_default(repo: Path):
    head = git(repo, "rev-parse", "HEAD")
    commit = resolve_commit(None, None, cwd=repo, environ={"GITHUB_SHA": "ignored"})
    assert commit.sha == head
    assert commit.timestamp == "2024-03-07T16:55:49+01:00"


def test_from_a_subdirectory_of_the_repository(repo: Path):
    (repo / "app" / "build").mkdir(parents=True)
    commit = resolve_commit(None, None, cwd=repo / "app" / "build", environ={})
    assert commit.sha == git(repo, "rev-parse", "HEAD")


def test_a_short_sha_is_sent_in_full_with_its_time(repo: Path):
    head = git(repo, "rev-parse", "HEAD")
    commit = resolve_commit(head[:7], None, cwd=repo, environ={})
    assert commit.sha == head
    assert commit.timestamp == "2024-03-07T16:55:49+01:00"


def test_a_commit_git_does_not_know_is_sent_as_given(repo: Path):
    commit = resolve_commit("r1234", None, cwd=repo, environ={})
    assert (commit.sha, commit.timestamp) == ("r1234", None)


def test_the_given_time_wins(repo: Path):
    commit = resolve_commit(None, "2025-01-02T03:04:05Z", cwd=repo, environ={})
    assert commit.timestamp == "2025-01-02T03:04:05+00:00"


def test_outside_a_repository_the_ci_variables_are_used(tmp_path: Path):
    environ = {"CI_COMMIT_SHA": "abc123", "CI_COMMIT_TIMESTAMP": "2024-03-07T16:55:49+00:00"}
    commit = resolve_commit(None, None, cwd=tmp_path, environ=environ)
    assert (commit.sha, commit.timestamp) == ("abc123", "2024-03-07T16:55:49+00:00")
    assert resolve_commit(None, None, cwd=tmp_path, environ={"GIT_COMMIT": "j1"}).sha == "j1"


def test_nothing_to_go_on(tmp_path: Path):
    commit = resolve_commit(None, None, cwd=tmp_path, environ={})
    assert (commit.sha, commit.timestamp) == (None, None)


def test_an_option_lookalike_is_not_passed_to_git(repo: Path):
    assert resolve_commit("--output=/tmp/x", None, cwd=repo, environ={}).sha == "--output=/tmp/x"


@pytest.mark.parametrize("bad", ["yesterday", "2024-03-07T16:55:49"])
def test_a_bad_commit_time_is_a_usage_error(tmp_path: Path, bad: str):
    with pytest.raises(UsageError):
        resolve_commit(None, bad, cwd=tmp_path, environ={})
