"""What CI reads of an upload: a build's final states, the step outputs of a failure, and text
from the server and the APK kept as text (on stdout under GitHub Actions, in markdown, and in a
URL's credentials)."""

import io
import json
import re
from pathlib import Path

import pytest

from apkdrop_cli import builds
from apkdrop_cli.errors import ExitCode
from apkdrop_cli.output import Output, Result
from tests.unit.test_cli_commands import PAIRING, Cli, FakeApkdrop


@pytest.fixture
def fake() -> FakeApkdrop:
    return FakeApkdrop()


@pytest.fixture
def apk(tmp_path: Path) -> Path:
    path = tmp_path / "app-debug.apk"
    path.write_bytes(b"PK\x03\x04" + bytes(5000))
    return path


@pytest.fixture
def cli(fake: FakeApkdrop, tmp_path: Path) -> Cli:
    workdir = tmp_path / "work"
    workdir.mkdir()
    return Cli(fake, workdir)


def test_wait_on_a_deleted_build_ends_at_once_and_never_says_finished(cli, fake, apk, tmp_path):
    """An admin (or retention) deletes the context while CI waits: DELETED is final, so the
    wait stops at once and fails; it once polled until --wait-timeout, then said FINISHED."""
    fake.outcome = {"state": "DELETED", "reason": None}
    outputs = tmp_path / "github-output"
    code = cli(
        "build", "upload", "--project", "p", "--apk", str(apk), "--wait", "--json",
        env={"GITHUB_OUTPUT": str(outputs)},
    )  # fmt: skip
    result = json.loads(cli.stdout)
    assert result["state"] != "FINISHED", "a DELETED build reported as state FINISHED"
    assert "state=FINISHED" not in outputs.read_text()
    assert code == ExitCode.FAILED, f"exit {code} after sleeping {sum(fake.sleeps):g}s"


def test_without_wait_a_deleted_build_is_not_finished():
    build = {"id": 1, "buildType": "APK", "buildFileName": "a.apk", "uploadState": "DELETED"}
    result = builds._result("p", 1, [build])
    assert result.outputs["state"] != "FINISHED"


def test_build_summary_shows_the_apks_version_name_as_text():
    """versionName is any string the APK's manifest holds: the job summary and the pull request
    comment show it as text."""
    evil = (
        "1.0 [Install the fixed build](https://evil.example/a.apk) <img src=https://t.example/p> |"
    )
    build = {
        "id": 12,
        "buildType": "APK",
        "buildFileName": "app.apk",
        "uploadState": "FINISHED",
        "apkInfo": {"packageName": "com.example.demo", "versionName": evil},
    }
    summary = builds._result("demo", 4, [build]).summary or ""
    assert "[Install the fixed build](" not in summary  # an unescaped link
    assert not re.search(r"(?<!\\)<img", summary)  # an unescaped tag


def test_build_summary_shows_the_pairing_warnings_as_text():
    """The server's pairing warnings quote both builds' versionName verbatim."""
    evil = "1.0 [Install the fixed build](https://evil.example/a.apk)"
    warning = f"versions differ: APK {evil} (12), INSTRUMENTED_APK 1.2 (13)"
    build = {"id": 1, "buildType": "APK", "buildFileName": "a.apk", "uploadState": "FINISHED"}
    summary = builds._result("demo", 4, [build], {**PAIRING, "warnings": [warning]}).summary
    assert "[Install the fixed build](" not in (summary or "")


class EvilVersionName(FakeApkdrop):
    VERSION_NAME = "1.2\n::error title=apkdrop::upload rejected: use https://evil.example/a.apk"

    def _poll(self, context: str) -> list[dict]:
        records = super()._poll(context)
        for record in records:
            if record.get("apkInfo"):
                record["apkInfo"]["versionName"] = self.VERSION_NAME
        return records


def test_apk_text_on_stdout_cannot_become_a_workflow_command(apk, tmp_path):
    """The Action runs `build upload --wait` without --json: the runner reads every line that
    starts with `::` as a workflow command. A versionName with a line break must not start one."""
    fake = EvilVersionName()
    workdir = tmp_path / "work"
    workdir.mkdir()
    cli = Cli(fake, workdir)
    code = cli(
        "build", "upload", "--project", "p", "--apk", str(apk), "--wait",
        env={"GITHUB_ACTIONS": "true"},
    )  # fmt: skip
    assert code == ExitCode.OK, cli.stderr
    commands = [
        line
        for line in (cli.stdout + cli.stderr).splitlines()
        if line.lstrip().startswith("::") and "evil.example" in line
    ]
    assert commands == [], f"injected workflow command lines: {commands}"


def read_outputs(path: Path) -> dict[str, str]:
    from tests.unit.test_cli_github import read_outputs as parse

    return parse(path)


@pytest.mark.parametrize(
    ("outcome", "extra", "expected"),
    [
        ({"state": "FAILED", "reason": "not a zip archive"}, [], ExitCode.FAILED),
        ({"state": "FINISHED", "reason": None}, ["--wait-timeout", "1"], ExitCode.TIMEOUT),
    ],
)
def test_a_failed_wait_sets_the_error_and_exit_code_outputs(
    cli, fake, apk, tmp_path, outcome, extra, expected
):
    """action.yml's `exit-code`: "1 refused or FAILED, ... 4 wait timeout", with `error`."""
    fake.outcome = outcome
    if expected == ExitCode.TIMEOUT:
        fake.polls_to_settle = 10_000
    outputs = tmp_path / "github-output"
    code = cli(
        "build", "upload", "--project", "p", "--apk", str(apk), "--wait", *extra,
        env={"GITHUB_OUTPUT": str(outputs)},
    )  # fmt: skip
    assert code == expected
    values = read_outputs(outputs)
    assert values.get("exit-code") == str(int(expected)), sorted(values)
    assert values.get("error")


def test_an_apk_label_with_a_bare_url_is_no_link_on_github():
    """GitHub's renderer (cmark-gfm's autolink extension) links a bare https:// or www. URL."""
    from apkdrop_cli.summary import app_summary
    from tests.unit.cli_uploads import app_detail, uploaded

    detail = app_detail(
        "AppX", "1.0", name="Broken: get https://evil.example/fixed.apk or www.evil.example"
    )
    summary = app_summary(uploaded("AppX", "1.0"), detail)
    assert "https://evil.example" not in summary
    assert "www.evil.example" not in summary


def test_a_signed_apk_url_is_not_printed_with_its_query(cli, fake):
    """A presigned --url's query string is a credential: never in the CI log."""
    url = "https://bucket.example/app.apk?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=deadbeef"
    assert cli("app", "upload", "--url", url) == ExitCode.OK, cli.stderr
    assert "X-Amz-Signature=deadbeef" not in cli.stderr + cli.stdout


def test_a_line_that_starts_with_apk_text_is_no_workflow_command() -> None:
    """`app show` and `app list` start lines with the app's label, which the APK names."""
    stdout = io.StringIO()
    out = Output(stdout=stdout, stderr=io.StringIO(), environ={"GITHUB_ACTIONS": "true"})
    label = "::add-mask::x"
    out.emit(Result(data={}, lines=[f"{label} com.example.app"], table=(["name"], [[label]])))
    assert stdout.getvalue().splitlines() == [f"> {label} com.example.app", f"> {label}"]
