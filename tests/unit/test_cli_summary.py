"""The markdown summary of an upload: a committed snapshot, a QR code that is the link's, text
from the APK shown as text, and where it goes (--summary FILE, the GitHub job summary)."""

import io
import re
from pathlib import Path

import httpx
import segno

from apkdrop_cli import builds
from apkdrop_cli.main import run
from apkdrop_cli.qr import HALF_BLOCKS, QUIET_ZONE_MODULES, qr_text
from apkdrop_cli.summary import app_summary
from tests.unit.cli_uploads import KEY, SERVER, FakeApi, Router, app_detail, uploaded
from tests.unit.test_cli_insights import FINGERPRINT_A, FINGERPRINT_B, insights

SNAPSHOTS = Path(__file__).parent / "snapshots"
NO_GITHUB = httpx.MockTransport(lambda request: httpx.Response(418))  # never asked here


def change(before: int, after: int) -> dict:
    return {"before": before, "after": after, "delta": after - before}


def component(before: int, after: int) -> dict:
    return {"compressed": change(before, after), "uncompressed": change(before * 2, after * 2)}


SIZE = {
    "file": change(4_000_000, 5_310_720),
    "total": component(3_990_000, 5_300_000),
    "dex": component(2_000_000, 3_000_000),
    "resources": component(1_000_000, 1_000_000),
    "native": component(900_000, 1_210_000),
    "assets": component(50_000, 50_000),
    "other": component(40_000, 40_000),
    "abis": {"arm64-v8a": component(0, 310_000), "armeabi-v7a": component(900_000, 900_000)},
}
ICON_URL = "https://storage.example.test/uploads/applications/icon.png?X-Goog-Expires=604800&a=b"
UPLOAD = uploaded(
    "AppId0123456789abcdef",
    "3.0",
    iconUrl=ICON_URL,
    insights=insights(
        size=SIZE,
        signer={"changed": True, "before": FINGERPRINT_A, "after": FINGERPRINT_B},
        warnings=["versionCode 42 is not above 42: testers cannot install it as an update"],
    ),
    checks=[
        {"id": "targetSdk", "status": "fail", "reason": "targetSdkVersion 33 is below 34"},
        {"id": "debuggable", "status": "pass", "reason": "not debuggable"},
        {"id": "signature", "status": "warn", "reason": "signed with v1 only"},
    ],
)


def test_the_app_summary_matches_its_snapshot() -> None:
    detail = app_detail("AppId0123456789abcdef", "3.0", name="Demo App")
    expected = (SNAPSHOTS / "cli_app_summary.md").read_text(encoding="utf-8")
    assert app_summary(UPLOAD, detail) == expected


def test_the_qr_code_is_the_links_module_for_module() -> None:
    link = UPLOAD["versionedMagicLink"]
    drawn = {glyph: pair for pair, glyph in HALF_BLOCKS.items()}
    lines = qr_text(link).split("\n")
    matrix = [[bool(m) for m in row] for row in segno.make(link, error="m").matrix_iter(border=2)]
    width = len(matrix[0])
    read = []
    for line in lines:
        pairs = [drawn[glyph] for glyph in line.ljust(width)]
        read += [[upper for upper, _ in pairs], [lower for _, lower in pairs]]
    assert read[: len(matrix)] == matrix
    padding = read[len(matrix) :]  # an odd number of rows ends on a blank half line
    assert len(padding) == len(matrix) % 2 and not any(module for row in padding for module in row)
    assert all(not any(row[:QUIET_ZONE_MODULES]) for row in matrix)  # the quiet zone is there


def test_text_from_the_apk_is_never_markup() -> None:
    """A label could hide a link, an image or another app's comment marker."""
    detail = app_detail("AppX", "1.0", name="[Win](https://evil.example) <!-- apkdrop:app:AppA -->")
    summary = app_summary(uploaded("AppX", "1.0"), detail)
    assert "[Win](" not in summary  # an unescaped link
    assert not re.search(r"(?<!\\)<!--", summary)  # no unescaped marker
    assert r"\[Win\](https\://evil.example) \<!-- apkdrop\:app\:AppA --\>" in summary


def test_the_icon_is_an_image_of_the_signed_url_only() -> None:
    summary = app_summary(UPLOAD, None)
    assert summary.startswith(f'### <img src="{ICON_URL.replace("&", "&amp;")}" width="32"')
    for url in ["javascript:alert(1)", 'https://x.example/"><script>', None, 7]:
        summary = app_summary(uploaded("AppX", "1.0", iconUrl=url), None)
        assert "<script>" not in summary and "javascript:" not in summary
        if url is None or not str(url).startswith("https://"):
            assert summary.startswith("### apkdrop:")


def test_without_the_apps_details_it_says_less() -> None:
    summary = app_summary(uploaded("AppX", "1.0"), None)
    assert summary.startswith("### apkdrop: app AppX 1.0\n")
    assert f"| install | <{SERVER}/app/AppX?version=1.0> |" in summary


def test_a_build_summary_shows_each_builds_changes() -> None:
    build = {
        "id": 12,
        "buildType": "APK",
        "buildFileName": "app.apk",
        "uploadState": "FINISHED",
        "apkInfo": {"packageName": "com.example.demo", "versionName": "1.4.2"},
        "insights": insights(comparedTo={"contextId": 3, "buildId": 11}),
    }
    result = builds._result("demo", 4, [build])
    assert result.summary_key == "build:demo"
    assert "#### Build 12: changes since build 11 (context 3)\n" in (result.summary or "")
    assert "- permission added: `CAMERA` (runtime: users are asked)" in (result.summary or "")


def upload(tmp_path: Path, api: FakeApi, *args: str, **environ: str) -> tuple[int, str]:
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK\x03\x04")
    stderr = io.StringIO()
    code = run(
        ["app", "upload", str(apk), "--no-progress", *args],
        environ={"APKDROP_API_URL": SERVER, "APKDROP_API_KEY": KEY, **environ},
        stdout=io.StringIO(),
        stderr=stderr,
        transport=Router(api, NO_GITHUB),
    )
    return code, stderr.getvalue()


def test_summary_file_and_job_summary_get_the_same_markdown(tmp_path: Path) -> None:
    job_summary, own = tmp_path / "step-summary.md", tmp_path / "apkdrop.md"
    job_summary.write_text("### an earlier step\n")
    api = FakeApi()
    code, stderr = upload(
        tmp_path, api, "--summary", str(own), GITHUB_STEP_SUMMARY=str(job_summary)
    )
    assert code == 0, stderr
    markdown = own.read_text()
    assert markdown.startswith("### apkdrop: Demo 1.4.2 (42)\n")
    assert job_summary.read_text() == "### an earlier step\n" + markdown  # appended
    assert KEY not in markdown


def test_the_summary_file_alone_and_an_unreadable_app(tmp_path: Path) -> None:
    api, own = FakeApi(), tmp_path / "apkdrop.md"
    api.detail_status = 403
    code, stderr = upload(tmp_path, api, "--summary", str(own))
    assert code == 0
    assert "warning: the summary lacks the app's name and versions" in stderr
    assert own.read_text().startswith("### apkdrop: app AppA 1.0\n")
