"""`apkdrop app upload --channel`: by default the CI branch, as a name the server accepts."""

import json

import pytest

from apkdrop_cli.channels import as_channel, ci_channel
from tests.unit.test_cli_commands import API, apk, cli, fake  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("branch", "channel"),
    [
        ("main", "main"),
        ("feature/Login-Fix", "feature-login-fix"),
        ("release/1.2.x", "release-1.2.x"),
        ("  Dev_Branch ", "dev_branch"),
        ("émoji✓", "-moji-"),
        ("x" * 80, "x" * 64),
        ("", None),
        ("   ", None),
    ],
)
def test_a_branch_as_a_channel(branch: str, channel: str | None) -> None:
    assert as_channel(branch) == channel


@pytest.mark.parametrize(
    ("environ", "channel"),
    [
        ({}, None),
        ({"GITHUB_REF_NAME": "main"}, "main"),
        # A pull request: its branch, not the merge ref GitHub runs on.
        ({"GITHUB_HEAD_REF": "feature/x", "GITHUB_REF_NAME": "12/merge"}, "feature-x"),
        ({"GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "12/merge"}, "12-merge"),
        ({"CI_COMMIT_REF_NAME": "Nightly"}, "nightly"),
        ({"BITRISE_GIT_BRANCH": "develop"}, "develop"),
        ({"BRANCH_NAME": "PR-7"}, "pr-7"),
        ({"CI_COMMIT_REF_NAME": "gitlab", "BRANCH_NAME": "jenkins"}, "gitlab"),
    ],
)
def test_the_ci_branch_variables_in_order(environ: dict[str, str], channel: str | None) -> None:
    assert ci_channel(environ) == channel


def test_an_upload_in_ci_sends_the_branchs_channel(cli, fake, apk) -> None:  # noqa: F811
    assert cli("app", "upload", str(apk), env={"GITHUB_REF_NAME": "Feature/Login"}) == 0
    ((fields, _),) = fake.forms
    assert fields["channel"] == ["feature-login"]
    link = f"{API}/app/AppId0123456789abcdef?channel=feature-login"
    assert f"channel feature-login: {link}" in cli.stdout


def test_the_flag_wins_over_the_branch(cli, fake, apk, tmp_path) -> None:  # noqa: F811
    outputs = tmp_path / "github-output"
    env = {"BRANCH_NAME": "develop", "GITHUB_OUTPUT": str(outputs)}
    assert cli("app", "upload", str(apk), "--channel", "nightly", env=env) == 0
    ((fields, _),) = fake.forms
    assert fields["channel"] == ["nightly"]
    lines = outputs.read_text().splitlines()
    assert "channel=nightly" in lines
    assert f"channel-magic-link={API}/app/AppId0123456789abcdef?channel=nightly" in lines


def test_outside_ci_no_channel_is_sent(cli, fake, apk) -> None:  # noqa: F811
    assert cli("app", "upload", str(apk), "--json") == 0
    ((fields, _),) = fake.forms
    assert "channel" not in fields
    assert json.loads(cli.stdout)["channel"] == "default"
