"""The upload email: its subject, both parts, what they say, and how user text is escaped."""

import datetime
import html
import re

import pytest

from apkdrop.apk.bundle import FileType
from apkdrop.apk_inspection import ApkInfo
from apkdrop.applications.models import (
    AccessType,
    Application,
    ApplicationMetaData,
    PackageInfo,
    Version,
)
from apkdrop.notifications import render
from apkdrop.notifications.models import RenderedEmail

PACKAGE = "com.example.render"
APP_ID = "Zr4nd0m_App-Id0000000A"
BASE_URL = "https://apkdrop.example.test/"
LINK = f"https://apkdrop.example.test/app/{APP_ID}"
UPLOADED = datetime.datetime(2026, 3, 1, 12, 34, 56, tzinfo=datetime.UTC)
RECIPIENTS = ["dev@example.com", "qa@example.com"]


def app_and_version(
    label: str | None = "Render App",
    number: int = 3,
    version_name: str | None = "2.5.1",
    version_code: int | None = 251,
    release_notes: str | None = "Faster sync",
    access: AccessType = AccessType.PUBLIC,
    uploaded: datetime.datetime = UPLOADED,
    file_type: FileType = "APK",
) -> tuple[Application, Version]:
    info = ApkInfo(
        fileType=file_type,
        packageName=PACKAGE,
        versionName=version_name,
        versionCode=version_code,
        minSdkVersion=24,
        targetSdkVersion=35,
        hasInstrumentation=False,
        appLabel=label,
    )
    app = Application(
        id=APP_ID,
        accountId="acct-alice",
        packageName=PACKAGE,
        appLabel=label,
        dateCreated=uploaded,
        latest_application_version=number,
        accessType=access,
    )
    version = Version(
        versionNumber=number,
        application_meta_data=ApplicationMetaData(
            package_info=PackageInfo(version_name=version_name, version_code=version_code)
        ),
        apkInfo=info,
        size=1234,
        sha256="0" * 64,
        uploaderEmail="alice@example.com",
        uploadTime=uploaded,
        accessType=access,
        allowedUsers=["qa@example.com"] if access is AccessType.PRIVATE else [],
        releaseNotes=release_notes,
        sendNotification=True,
        objectName=f"applications/acct-alice/{number}.apk",
    )
    return app, version


def email(icon_url: str | None = None, **options) -> RenderedEmail:
    app, version = app_and_version(**options)
    return render.upload_email(app, version, RECIPIENTS, BASE_URL, icon_url, version.insights)


def parts(rendered: RenderedEmail) -> list[str]:
    return [rendered.html, rendered.text]


# --- subject and recipients -------------------------------------------------------------------


def test_subject_names_the_app_by_its_label() -> None:
    assert email().subject == "🚀 Render App - Successfully Uploaded to apkdrop"


def test_subject_falls_back_to_the_package_name() -> None:
    assert email(label=None).subject == f"🚀 {PACKAGE} - Successfully Uploaded to apkdrop"


@pytest.mark.parametrize(
    "label",
    [
        "Evil\r\nBcc: victim@example.com",
        "Evil\nBcc: victim@example.com",
        "Evil\rBcc: victim@example.com",
        "Evil\u2028Bcc: victim@example.com",
        "Evil\x85Bcc: victim@example.com",
        "Evil\x0bBcc:\x0c victim@example.com",
        "  Evil \t Bcc:   victim@example.com\n",
    ],
)
def test_no_line_break_of_a_label_reaches_the_subject(label: str) -> None:
    subject = email(label=label).subject
    assert subject == "🚀 Evil Bcc: victim@example.com - Successfully Uploaded to apkdrop"
    assert not any(character in subject for character in "\r\n\x0b\x0c\x85\u2028\u2029\t")


def test_the_email_goes_to_the_recipients_given() -> None:
    assert email().to == RECIPIENTS


# --- what both parts say ----------------------------------------------------------------------


def test_both_parts_carry_every_fact() -> None:
    rendered = email()
    facts = [
        "Render App",
        PACKAGE,
        "2.5.1 (251)",
        "3.0",
        "APK",
        "public",
        f"{LINK}?version=3.0",
        APP_ID,
        "alice@example.com",
        "01 Mar 2026, 12:34 UTC",
        "Release notes",
        "Faster sync",
        "Next steps",
        "Open Application",
    ]
    for part in parts(rendered):
        for fact in facts:
            assert fact in part, fact


def test_a_bundle_says_its_file_type() -> None:
    rendered = email(file_type="AAB")
    assert "<tr><th>File type</th><td>AAB</td></tr>" in rendered.html
    assert re.search(r"^File type: +AAB$", rendered.text, re.MULTILINE)


def test_the_link_points_to_this_version() -> None:
    rendered = email(number=12)
    assert f'href="{LINK}?version=12.0"' in rendered.html
    assert f"Open Application: {LINK}?version=12.0" in rendered.text
    assert "?version=3.0" not in rendered.html + rendered.text


def test_upload_time_is_shown_in_utc() -> None:
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    rendered = email(uploaded=datetime.datetime(2026, 3, 2, 3, 4, tzinfo=tokyo))
    for part in parts(rendered):
        assert "01 Mar 2026, 18:04 UTC" in part


def test_without_release_notes_there_is_no_such_section() -> None:
    rendered = email(release_notes=None)
    for part in parts(rendered):
        assert "Release notes" not in part
        assert "Next steps" in part


def test_without_version_name_or_code() -> None:
    rendered = email(version_name=None, version_code=None)
    for part in parts(rendered):
        assert "not set" in part
        assert "()" not in part and "(None)" not in part and "None" not in part


def test_version_code_zero_is_shown() -> None:
    for part in parts(email(version_name="0.1", version_code=0)):
        assert "0.1 (0)" in part


def test_public_access_has_no_sign_in_step() -> None:
    for part in parts(email()):
        assert "public" in part
        assert "sign in" not in part


def test_private_access_adds_the_sign_in_step() -> None:
    rendered = email(access=AccessType.PRIVATE)
    for part in parts(rendered):
        assert "private" in part
        assert "This app is private: sign in with your email address when asked." in part
    assert "3. This app is private" in rendered.text


def test_icon_is_shown_when_given() -> None:
    url = "https://storage.example.test/b/icons/acct/key.png?X-Goog-Signature=ab&X-Goog-Date=1"
    rendered = email(icon_url=url)
    assert f'src="{html.escape(url)}"' in rendered.html
    assert "<img" in rendered.html
    assert "<img" not in email().html


# --- escaping ---------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
NOTES = 'Fixed <b>bold</b> & "quotes" <img src=x onerror=alert(2)>\nSecond line'


def test_a_label_with_html_is_escaped_in_html_and_verbatim_in_text() -> None:
    rendered = email(label=SCRIPT)
    assert SCRIPT not in rendered.html
    assert "<script" not in rendered.html
    assert html.escape(SCRIPT) in rendered.html
    assert SCRIPT in rendered.text
    assert SCRIPT in rendered.subject  # a plain-text header: nothing to escape


def test_release_notes_with_html_are_escaped_in_html_and_verbatim_in_text() -> None:
    rendered = email(release_notes=NOTES)
    assert "<b>" not in rendered.html and "onerror=alert(2)>" not in rendered.html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;quotes&#34;" in rendered.html
    assert "&lt;img src=x onerror=alert(2)&gt;" in rendered.html
    assert NOTES in rendered.text


def test_the_subject_is_escaped_in_the_html_title() -> None:
    rendered = email(label=SCRIPT)
    assert f"<title>🚀 {html.escape(SCRIPT)} - Successfully" in rendered.html


def test_text_part_never_contains_html_entities_of_user_text() -> None:
    rendered = email(label="Tom & Jerry's <App>", release_notes="a < b && c > d")
    assert "Tom & Jerry's <App>" in rendered.text
    assert "a < b && c > d" in rendered.text
    assert "&amp;" not in rendered.text and "&lt;" not in rendered.text


# --- the HTML's shape -------------------------------------------------------------------------


def test_html_is_responsive_with_a_dark_variant() -> None:
    page = email().html
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (prefers-color-scheme: dark)" in page
    assert '<meta name="color-scheme" content="light dark">' in page
    assert "@media (max-width:" in page


def test_text_part_has_no_markup() -> None:
    text = email().text
    assert "<" not in text and ">" not in text
    assert text.endswith("\n")


def test_the_email_names_the_versions_channel() -> None:
    app, version = app_and_version()
    nightly = version.model_copy(update={"channel": "nightly"})
    rendered = render.upload_email(app, nightly, RECIPIENTS, BASE_URL, None, None)
    assert "<th>Channel</th><td>nightly</td>" in rendered.html
    assert "Channel:           nightly" in rendered.text
