"""The install pages in a real browser (Debian's Chromium): public, versioned and private apps."""

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from tests.browser import artifact, chromium
from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded
from tests.integration.test_notifications import wait_for_mail

pytestmark = pytest.mark.integration
PHONE = {"width": 390, "height": 844}
SIGN_IN_LINK = re.compile(r"https?://\S+/auth/verify\?token=[A-Za-z0-9._-]+")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sign_in_link(stack, email: str, app_name: str) -> str:
    """The one-time link the fake SendGrid received for `email`."""
    (message,) = [m for m in wait_for_mail(stack, app_name) if m["to"] == [email]]
    assert message["subject"] == f"Your sign-in link for {app_name} on apkdrop"
    return SIGN_IN_LINK.search(message["text"]).group(0)


def private_app(client, package: str, label: str, tester: str) -> dict:
    apk = build_apk(package, label=label)
    return uploaded(upload(client, apk, accessType="private", allowedUsers=tester))


def open_link(page, link: str) -> None:
    """Follows an emailed link: its page asks to confirm, and the button spends it."""
    page.goto(link)
    assert page.locator("h1").inner_text() == "Sign in", page.content()
    page.click("#confirm")
    page.wait_for_load_state()


def ask_for_link(page, email: str) -> None:
    assert page.locator("#email").count() == 1, page.content()
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_public_app_page_shows_the_app_and_downloads_it(stack, client):
    apk = build_apk("com.example.page", "5.4.3", 543, label="Page Demo")
    app = uploaded(upload(client, apk, releaseNotes="Line one\n<b>not bold</b>"))

    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        response = page.goto(app["magicLink"])
        assert response.status == 200
        assert page.locator("h1").inner_text() == "Page Demo"
        assert page.locator("#platform-version").inner_text() == "1.0"
        assert page.get_by_text("5.4.3 (543)").is_visible()
        assert page.get_by_text("<b>not bold</b>").is_visible()  # escaped, shown as text
        assert page.locator(".qr svg").count() == 1
        page.screenshot(path=artifact("install-page-phone.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#download")
        saved = artifact("downloaded.apk")
        download.value.save_as(saved)

    assert sha256_of(saved) == hashlib.sha256(apk).hexdigest()


def test_a_versioned_link_opens_that_version(stack, client):
    first = uploaded(upload(client, build_apk("com.example.versions", "1.0.0", 1)))
    uploaded(upload(client, build_apk("com.example.versions", "2.0.0", 2)))

    with chromium() as browser:
        page = browser.new_page()
        page.goto(first["versionedMagicLink"])
        assert page.locator("#platform-version").inner_text() == "1.0"
        assert page.get_by_text("This is an older version.").is_visible()
        assert page.locator("ol.history li").count() == 2
        page.goto(first["magicLink"])
        assert page.locator("#platform-version").inner_text() == "2.0"


def test_unknown_apps_and_versions_get_a_friendly_404(stack, client):
    app = uploaded(upload(client, build_apk("com.example.missing")))
    with chromium() as browser:
        page = browser.new_page()
        for url in (
            f"{stack.url}/app/NoSuchApp0123456789AB",
            f"{app['magicLink']}?version=7.0",
            f"{stack.url}/app/%3Cscript%3E",
        ):
            response = page.goto(url)
            assert response.status == 404
            assert page.locator("h1").inner_text() == "Not found"


def test_private_app_sign_in_flow(stack, client):
    apk = build_apk("com.example.secret", "0.9", 9, label="Secret App")
    app = uploaded(upload(client, apk, accessType="private", allowedUsers="tester@example.com"))

    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        blocked = page.goto(app["magicLink"])
        assert blocked.status == 401
        assert page.get_by_text("This app is private").is_visible()
        assert httpx.get(f"{app['magicLink']}/download").status_code == 401
        page.screenshot(path=artifact("private-sign-in.png"), full_page=True)

        ask_for_link(page, "Tester@Example.com")
        assert page.get_by_text("Check your email").is_visible()
        link = sign_in_link(stack, "tester@example.com", "Secret App")
        open_link(page, link)
        assert page.url == app["magicLink"]
        assert page.locator("h1").inner_text() == "Secret App"
        assert page.get_by_text("tester@example.com").is_visible()
        cookie = next(c for c in page.context.cookies() if c["name"] == "apkdrop_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        with page.expect_download() as download:
            page.click("#download")
        saved = artifact("private-download.apk")
        download.value.save_as(saved)
        assert sha256_of(saved) == hashlib.sha256(apk).hexdigest()

        # The link works once: spent, its page says so before any button.
        assert page.goto(link).status == 400
        assert page.get_by_text("already used or has expired").is_visible()
        assert page.locator("#confirm").count() == 0
        page.goto(app["magicLink"])
        page.click("text=Sign out")
        assert page.goto(app["magicLink"]).status == 401


def test_the_answer_does_not_reveal_who_has_access(stack, client):
    app = private_app(client, "com.example.quietly", "Quiet App", "member@example.com")
    with chromium() as browser:
        texts = []
        for email in ("member@example.com", "stranger@example.com"):
            page = browser.new_page()
            page.goto(app["magicLink"])
            ask_for_link(page, email)
            texts.append(page.locator("main").inner_text())
    assert texts[0] == texts[1]
    messages = wait_for_mail(stack, "Quiet App")
    assert [m["to"] for m in messages] == [["member@example.com"]]


def test_a_signed_in_user_without_access_is_refused(stack, client):
    mine = private_app(client, "com.example.mine", "Mine", "outsider@example.com")
    theirs = private_app(client, "com.example.theirs", "Theirs", "insider@example.com")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(mine["magicLink"])
        ask_for_link(page, "outsider@example.com")
        open_link(page, sign_in_link(stack, "outsider@example.com", "Mine"))
        assert page.locator("h1").inner_text() == "Mine"

        refused = page.goto(theirs["magicLink"])
        assert refused.status == 403
        assert page.get_by_text("outsider@example.com is not on this app's list").is_visible()
        assert page.goto(f"{theirs['magicLink']}/download").status == 403


def test_an_expired_sign_in_link_is_refused(stack, client):
    app = private_app(client, "com.example.stale", "Stale App", "late@example.com")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(app["magicLink"])
        ask_for_link(page, "late@example.com")
        link = sign_in_link(stack, "late@example.com", "Stale App")
        request_id = link.rsplit("=", 1)[1].split(".")[0]
        database = firestore.Client(
            project=stack.env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials()
        )
        expired = {"expireAt": firestore.SERVER_TIMESTAMP}  # now: the link's 15 minutes are up
        database.collection("signInTokens").document(request_id).update(expired)

        assert page.goto(link).status == 400
        assert page.get_by_text("already used or has expired").is_visible()
        assert page.locator("#confirm").count() == 0
        assert page.goto(app["magicLink"]).status == 401
