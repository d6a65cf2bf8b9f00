"""Sign-in to a private app through the gateway, without a browser: what the answers reveal,
what a prefetched link leaves, and what signing out ends."""

import re

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded
from tests.integration.test_notifications import wait_for_mail

pytestmark = pytest.mark.integration
SIGN_IN_LINK = re.compile(r"https?://\S+/auth/verify\?token=[A-Za-z0-9._-]+")
COOKIE = "apkdrop_session"


def private_app(client: httpx.Client, package: str, label: str, tester: str) -> dict:
    apk = build_apk(package, label=label)
    return uploaded(upload(client, apk, accessType="private", allowedUsers=tester))


def ask_for_link(stack, app: dict, email: str) -> httpx.Response:
    return httpx.post(f"{stack.url}/auth/sign-in", data={"app": app["id"], "email": email})


def emailed_link(stack, email: str, label: str) -> str:
    (message,) = [m for m in wait_for_mail(stack, label) if m["to"] == [email]]
    return SIGN_IN_LINK.search(message["text"]).group(0)


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


def test_the_answer_names_no_app(stack, client):
    app = private_app(client, "com.example.unnamed", "Codename Falcon", "crew@example.com")
    answers = [ask_for_link(stack, app, email) for email in ("crew@example.com", "x@example.com")]
    for answer in answers:
        assert answer.status_code == 200
        assert "Check your email" in answer.text
        assert "Codename Falcon" not in answer.text and "com.example.unnamed" not in answer.text
    assert answers[0].text == answers[1].text


def test_a_prefetched_link_stays_valid_until_confirmed(stack, client):
    app = private_app(client, "com.example.prefetch", "Prefetch App", "reader@example.com")
    assert ask_for_link(stack, app, "reader@example.com").status_code == 200
    link = emailed_link(stack, "reader@example.com", "Prefetch App")

    # A mail scanner opens the link (twice): it gets the confirm page, and no session.
    for _ in range(2):
        scanned = httpx.get(link)
        assert scanned.status_code == 200, scanned.text
        assert '<form method="post" action="../auth/verify">' in scanned.text
        assert '<strong id="sign-in-email">reader@example.com</strong>' in scanned.text
        assert COOKIE not in scanned.headers.get("Set-Cookie", "")

    confirmed = httpx.post(f"{stack.url}/auth/verify", data={"token": token_of(link)})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == app["magicLink"]
    cookie = confirmed.cookies[COOKIE]
    page = httpx.get(app["magicLink"], cookies={COOKIE: cookie})
    assert page.status_code == 200 and "Prefetch App" in page.text

    again = httpx.post(f"{stack.url}/auth/verify", data={"token": token_of(link)})
    assert again.status_code == 400 and "already used or has expired" in again.text


def test_a_cookie_replayed_after_sign_out_is_not_signed_in(stack, client):
    app = private_app(client, "com.example.replay", "Replay App", "leaver@example.com")
    ask_for_link(stack, app, "leaver@example.com")
    link = emailed_link(stack, "leaver@example.com", "Replay App")
    with httpx.Client(base_url=stack.url) as browser:
        assert browser.post("/auth/verify", data={"token": token_of(link)}).status_code == 303
        cookie = browser.cookies[COOKIE]
        assert browser.get(f"/app/{app['id']}").status_code == 200
        assert browser.post("/auth/sign-out").status_code == 200

    replayed = httpx.get(app["magicLink"], cookies={COOKIE: cookie})
    assert replayed.status_code == 401
    assert "Replay App" not in replayed.text
