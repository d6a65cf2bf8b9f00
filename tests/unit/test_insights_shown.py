"""Insights where people read them: the install page's card and the upload email's line."""

import datetime
import re
import urllib.parse

import pytest
from flask.testing import FlaskClient

from apkdrop.applications import deletion
from apkdrop.dependencies import Dependencies
from apkdrop.install_pages import session
from apkdrop.notifications import delivery, render
from apkdrop.notifications.models import UploadNotificationTask
from tests.fakes import FakeMailer, fake_dependencies, install_session_cookie
from tests.fixtures.apk_builder import build_apk
from tests.unit.test_application_service import upload
from tests.unit.test_version_insights import CAMERA, INTERNET, OTHER, OWNER, RELEASE, apk

NFC = "android.permission.NFC"


@pytest.fixture
def deps() -> Dependencies:
    deps = fake_dependencies(session_signing_key="k" * 40)
    deps.clock.now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    deps.clock.step = datetime.timedelta(seconds=1)
    return deps


@pytest.fixture
def pages(load) -> FlaskClient:
    return load("install_pages")


def card(pages: FlaskClient, link: str) -> str | None:
    page = pages.get(urllib.parse.urlsplit(link).path + "?version=" + link.rsplit("=", 1)[1])
    assert page.status_code == 200
    found = re.search(r'<section class="card" id="changes">(.*?)</section>', page.text, re.S)
    return " ".join(found.group(1).split()) if found else None


def test_the_install_page_says_what_changed_since_the_previous_version(deps, pages) -> None:
    first = upload(deps, OWNER, apk(1, permissions=(INTERNET, NFC)))
    assert card(pages, first.data.versionedMagicLink) is None  # nothing to compare with

    second = upload(deps, OWNER, apk(2, permissions=(INTERNET, CAMERA)))

    shown = card(pages, second.data.versionedMagicLink)
    assert shown is not None
    assert "What changed since 1.0" in shown
    assert re.search(r"Size: [0-9.]+ KB \((\+|-)[0-9.]+ KB\)|Size: [0-9.]+ KB \(no change\)", shown)
    assert f"New permission: {CAMERA} <strong>(asks you at run time)</strong>" in shown
    assert f"Permission removed: {NFC}" in shown
    assert "signed with another key" not in shown


def test_the_install_page_warns_of_a_changed_signer(deps, pages) -> None:
    upload(deps, OWNER, apk(1))
    changed = upload(deps, OWNER, apk(2, signer=OTHER))

    shown = card(pages, changed.data.versionedMagicLink)
    assert shown is not None
    assert 'role="alert">This version is signed with another key than 1.0' in shown


def test_the_card_describes_no_version_the_visitor_may_not_open(deps, pages) -> None:
    """2.0 is public, 1.0 private to qa: an anonymous visitor of 2.0 learns nothing of 1.0,
    not even that it exists; qa, who may open both, sees the card."""
    upload(
        deps,
        OWNER,
        apk(1, permissions=(INTERNET, NFC)),
        accessType="PRIVATE",
        allowedUsers="qa@example.com",
    )
    second = upload(deps, OWNER, apk(2, signer=OTHER), accessType="PUBLIC")
    link = second.data.versionedMagicLink

    assert card(pages, link) is None
    anonymous = pages.get(urllib.parse.urlsplit(link).path + "?version=2.0").text
    assert "1.0" not in anonymous and NFC not in anonymous

    cookie = install_session_cookie(deps.settings, deps.sessions, "qa@example.com")
    pages.set_cookie(session.COOKIE_NAME, cookie)
    shown = card(pages, link)
    assert shown is not None and "signed with another key than 1.0" in shown


def test_the_card_of_a_version_whose_previous_one_was_deleted_is_gone(deps, pages) -> None:
    """Whom a deleted version was open to is not known any more: it is described to nobody."""
    first = upload(deps, OWNER, apk(1))
    second = upload(deps, OWNER, apk(2, signer=OTHER))
    deletion.delete_version(deps, OWNER, first.data.id, "1.0")

    assert card(pages, second.data.versionedMagicLink) is None


@pytest.mark.parametrize(
    ("recipients", "told"), [("qa@example.com", True), ("qa@example.com,x@example.com", False)]
)
def test_the_email_describes_the_previous_version_only_to_those_who_may_open_it(
    deps, recipients: str, told: bool
) -> None:
    """The upload email goes to every recipient at once: each must be allowed 1.0."""
    upload(deps, OWNER, apk(1), accessType="PRIVATE", allowedUsers="qa@example.com")
    second = upload(
        deps,
        OWNER,
        apk(2, signer=OTHER),
        accessType="PUBLIC",
        sendNotification="true",
        notificationEmails=recipients,
    )

    delivery.deliver_email(deps, UploadNotificationTask(appId=second.data.id, version=2))

    assert isinstance(deps.mailer, FakeMailer)
    (email,) = deps.mailer.sent
    for part in (email.text, email.html):
        assert ("since 1.0" in part) is told
        assert ("Signer changed" in part) is told


def versions_of(deps: Dependencies, app_id: str):
    app = deps.applications.get_app(app_id)
    assert app is not None
    return app, deps.applications.versions(app_id)


def test_the_email_carries_a_line_of_size_delta_and_the_signer_warning(deps) -> None:
    first = upload(deps, OWNER, apk(1))
    upload(
        deps, OWNER, build_apk("com.example.guarded", "2.0", 2, signer=OTHER, padding_bytes=4096)
    )
    app, (newest, oldest) = versions_of(deps, first.data.id)

    email = render.upload_email(
        app, newest, ["qa@example.com"], "https://x.test/", None, newest.insights
    )

    assert newest.insights is not None and newest.insights.size is not None
    line = f"+{newest.insights.size.file.delta / 1024:.0f} KB since 1.0"
    assert f"Size change:       {line}\n" in email.text
    assert f"<tr><th>Size change</th><td>{line}</td></tr>" in email.html
    warning = newest.insights.warnings[0]
    assert RELEASE.sha256 in warning and OTHER.sha256 in warning
    assert f"Signer changed: {warning}" in email.text
    assert "<strong>Signer changed.</strong> " + warning.replace(">", "&gt;") in email.html

    first_email = render.upload_email(
        app, oldest, ["qa@example.com"], "https://x.test/", None, None
    )
    assert "Size change" not in first_email.text and "Signer changed" not in first_email.text
    assert "Size change" not in first_email.html


def test_the_same_signer_adds_no_warning_to_the_email(deps) -> None:
    first = upload(deps, OWNER, apk(1))
    upload(deps, OWNER, apk(2))
    app, (newest, _) = versions_of(deps, first.data.id)
    email = render.upload_email(
        app, newest, ["qa@example.com"], "https://x.test/", None, newest.insights
    )
    assert "Size change:" in email.text and "Signer changed" not in email.text
