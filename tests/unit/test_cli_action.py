"""The composite GitHub Action: its inputs reach the CLI as the right flags, safely."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.paths import ROOT

ACTION = ROOT / ".github" / "actions" / "apkdrop-upload" / "action.yml"
CLI_OUTPUTS = {
    "app-id", "version", "access-type", "magic-link", "versioned-magic-link", "context-id",
    "state", "build-id", "build-state", "instrumented-build-id", "instrumented-build-state",
    "failure-reason", "package-name", "version-name", "version-code", "size-delta",
    "signer-changed", "json", "error", "exit-code", "channel", "channel-magic-link",
}  # fmt: skip


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def step(action: dict, step_id: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("id") == step_id)


def test_it_is_a_composite_action_whose_outputs_come_from_the_cli(action):
    assert action["runs"]["using"] == "composite"
    assert set(action["outputs"]) == CLI_OUTPUTS
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.upload.outputs.{name} }}}}"


def test_scripts_take_inputs_from_the_environment_only(action):
    """An input pasted into a script is a shell injection; every one goes through env."""
    for each in action["runs"]["steps"]:
        assert "${{" not in each.get("run", "")
    used = set(re.findall(r"inputs\.([a-z-]+)", ACTION.read_text()))
    assert used <= set(action["inputs"])
    assert set(action["inputs"]) <= used


def run_upload(
    action: dict, tmp_path: Path, show_env: tuple[str, ...] = (), **inputs: str
) -> subprocess.CompletedProcess:
    """The upload step's script, with a stand-in for the CLI that prints its arguments (then
    the variables `show_env` names, as NAME=value, or NAME unset)."""
    fake = tmp_path / "apkdrop"
    shown = "".join(f'echo "{name}=${{{name}-(unset)}}"\n' for name in show_env)
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n' + shown)
    fake.chmod(0o755)
    upload = step(action, "upload")
    env = {
        "PATH": "/usr/bin:/bin",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary"),
    }
    for name, value in upload["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", value)
        if match:
            env[name] = inputs.get(
                match.group(1), action["inputs"][match.group(1)].get("default", "")
            )
    env["APKDROP_BIN"] = str(fake)
    return subprocess.run(
        ["bash", "-c", upload["run"]], env=env, cwd=tmp_path, capture_output=True, text=True
    )


def test_app_mode_flags(action, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "app-1.2.3-release.apk").write_bytes(b"PK")
    done = run_upload(
        action, tmp_path,
        file="out/*-release.apk", private="true", allow="qa@example.com\nlead@example.com",
        emails="team@example.com", **{"release-notes": "@not-a-file\nline 2"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "--retries", "5", "app", "upload", "--action", "new-version",
        "out/app-1.2.3-release.apk", "--private", "--allow", "qa@example.com,lead@example.com",
        "--email", "team@example.com", "--release-notes", f"@{tmp_path}/apkdrop-release-notes.txt",
    ]  # fmt: skip
    # Text is passed through a file, so a leading @ is not taken for a file name.
    assert (tmp_path / "apkdrop-release-notes.txt").read_text() == "@not-a-file\nline 2"


def test_app_mode_from_a_url(action, tmp_path):
    done = run_upload(action, tmp_path, url="https://example.com/a.apk", notify="TRUE")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "--retries", "5", "app", "upload", "--action", "new-version",
        "--url", "https://example.com/a.apk", "--notify",
    ]  # fmt: skip


def test_app_mode_channel_is_passed_on_when_given(action, tmp_path):
    done = run_upload(action, tmp_path, url="https://example.com/a.apk", channel="nightly")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["--channel", "nightly"]


def test_build_mode_flags(action, tmp_path):
    (tmp_path / "app.apk").write_bytes(b"PK")
    done = run_upload(
        action, tmp_path,
        mode="build", project="my-app", file="app.apk", name="Nightly", commit="abc123",
        **{"instrumented-file": "test.apk", "wait-timeout": "60"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "--retries", "5", "build", "upload", "--project", "my-app", "--apk", "app.apk",
        "--instrumented", "test.apk", "--name", "Nightly", "--commit", "abc123",
        "--wait", "--wait-timeout", "60",
    ]  # fmt: skip


def test_a_glob_matching_several_files_fails_the_step(action, tmp_path):
    for name in ("a.apk", "b.apk"):
        (tmp_path / name).write_bytes(b"PK")
    done = run_upload(action, tmp_path, file="*.apk")
    assert done.returncode == 2
    assert "matches 2 files" in done.stderr
    assert done.stdout == ""


def test_an_unknown_mode_fails_the_step(action, tmp_path):
    done = run_upload(action, tmp_path, mode="apps")
    assert done.returncode == 2
    assert "mode must be app or build" in done.stderr


@pytest.mark.parametrize(
    ("private", "flags"), [("", []), ("false", ["--public"]), ("TRUE", ["--private"])]
)
def test_app_mode_access_is_sent_only_when_named(action, tmp_path, private, flags):
    done = run_upload(action, tmp_path, url="https://example.com/a.apk", private=private)
    assert done.returncode == 0, done.stderr
    arguments = done.stdout.splitlines()
    assert [flag for flag in arguments if flag in ("--public", "--private")] == flags


def test_the_summary_and_the_pull_request_comment(action, tmp_path):
    shown = ("GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "APKDROP_GITHUB_LOGIN")
    done = run_upload(action, tmp_path, shown, url="https://example.com/a.apk")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-4:] == [
        "https://example.com/a.apk", f"GITHUB_STEP_SUMMARY={tmp_path}/step-summary",
        "GITHUB_TOKEN=(unset)", "APKDROP_GITHUB_LOGIN=(unset)",
    ]  # fmt: skip

    done = run_upload(
        action, tmp_path, shown,
        url="https://example.com/a.apk", summary="false", **{"comment-pr": "true",
        "github-token": "ghs_token", "github-login": "my-app[bot]"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-5:] == [
        "https://example.com/a.apk", "--comment-pr", "GITHUB_STEP_SUMMARY=",
        "GITHUB_TOKEN=ghs_token", "APKDROP_GITHUB_LOGIN=my-app[bot]",
    ]  # fmt: skip
