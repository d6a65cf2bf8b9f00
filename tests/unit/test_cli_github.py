"""GitHub Actions: step outputs, job summary and annotations from the CLI's results."""

import io
import json
from pathlib import Path

import httpx

from apkdrop_cli.github import annotation, output_lines
from apkdrop_cli.main import run

KEY = "apkd_github-unit-key-0123456789"


def read_outputs(path: Path) -> dict[str, str]:
    """Parses $GITHUB_OUTPUT as the runner does: name=value, and name<<DELIMITER blocks."""
    values: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def test_output_lines_simple_and_multiline():
    text = output_lines({"app-id": "abc", "notes": "two\nlines"})
    assert text.startswith("app-id=abc\nnotes<<ghadelimiter_")
    assert "\ntwo\nlines\nghadelimiter_" in text


def test_annotation_escapes_line_breaks():
    assert annotation("error", "100% broken\nreally") == (
        "::error title=apkdrop::100%25 broken%0Areally"
    )


def upload_answer(request: httpx.Request) -> httpx.Response:
    request.read()
    link = "https://apkdrop.example.com/app/AppId0123456789abcdef"
    data = {
        "id": "AppId0123456789abcdef",
        "magicLink": link,
        "versionedMagicLink": f"{link}?version=3.0",
        "accessType": "public",
        "version": "3.0",
    }
    return httpx.Response(200, json={"data": data, "warnings": []})


def test_results_go_to_github_output_and_the_summary(tmp_path: Path):
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK\x03\x04")
    outputs, summary = tmp_path / "output", tmp_path / "summary"
    outputs.write_text("earlier=1\n")
    environ = {
        "APKDROP_API_URL": "https://apkdrop.example.com",
        "APKDROP_API_KEY": KEY,
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(
        ["app", "upload", str(apk)],
        environ=environ,
        stdout=stdout,
        stderr=stderr,
        transport=httpx.MockTransport(upload_answer),
    )
    assert code == 0
    values = read_outputs(outputs)
    assert values["earlier"] == "1"  # appended, not overwritten
    assert values["app-id"] == "AppId0123456789abcdef"
    assert values["version"] == "3.0"
    assert values["versioned-magic-link"].endswith("/app/AppId0123456789abcdef?version=3.0")
    assert json.loads(values["json"])["uploadPath"] == "direct"
    assert "?version=3.0" in summary.read_text()
    assert KEY not in outputs.read_text() + summary.read_text()


def test_an_error_becomes_an_annotation_and_an_output(tmp_path: Path):
    outputs = tmp_path / "output"
    environ = {
        "APKDROP_API_URL": "https://apkdrop.example.com",
        "APKDROP_API_KEY": KEY,
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
    }
    stderr = io.StringIO()
    code = run(
        ["app", "upload", str(tmp_path / "missing.apk")],
        environ=environ,
        stdout=io.StringIO(),
        stderr=stderr,
    )
    assert code == 2
    assert f"::error title=apkdrop::No such APK: {tmp_path / 'missing.apk'}" in stderr.getvalue()
    assert read_outputs(outputs)["exit-code"] == "2"
