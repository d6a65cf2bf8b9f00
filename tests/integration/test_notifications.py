"""Upload → Cloud Task → email worker → (fake) SendGrid, through the gateway, on the emulators."""

import time

import httpx
import pytest

from tests.browser import artifact, chromium, colours
from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded

pytestmark = pytest.mark.integration
MAIL_TIMEOUT_SECONDS = 30


def mail(stack) -> list[dict]:
    return httpx.get(stack.url + "/_dev/mail.json").json()


def mail_about(stack, package: str) -> list[dict]:
    return [message for message in mail(stack) if package in message["text"]]


def wait_for_mail(stack, package: str, count: int = 1) -> list[dict]:
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while len(found := mail_about(stack, package)) < count and time.monotonic() < deadline:
        time.sleep(0.25)
    return found


def notification_of(client: httpx.Client, app_id: str) -> dict | None:
    return client.get(f"/v1/application/{app_id}").json()["data"]["versions"][0]["notification"]


def wait_for_status(client: httpx.Client, app_id: str, status: str) -> dict:
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while (found := notification_of(client, app_id))["status"] != status:
        assert time.monotonic() < deadline, found
        time.sleep(0.25)
    return found


def fail_next_sends(stack, status: int, count: int = 1) -> None:
    sendgrid = stack.state["functionEnvs"]["email-worker"]["SENDGRID_HOST"]
    httpx.post(f"{sendgrid}/_control/failures", json={"status": status, "count": count})


def test_upload_email_reaches_the_uploader(stack, client):
    apk = build_apk("com.example.mail", "3.2.1", 321, label="Mail App")
    app = uploaded(upload(client, apk, sendNotification="true", releaseNotes="Faster sync"))

    (message,) = wait_for_mail(stack, "com.example.mail")

    assert message["to"] == [notification_of(client, app["id"])["recipients"][0]]
    assert message["to"][0].startswith("ci-")
    assert message["subject"] == "🚀 Mail App - Successfully Uploaded to apkdrop"
    link = f"{app['magicLink']}?version=1.0"
    for part in (message["html"], message["text"]):
        for fact in (
            "Mail App",
            "com.example.mail",
            "3.2.1",
            "(321)",
            link,
            app["id"],
            "Faster sync",
            "public",
        ):
            assert fact in part, fact
    assert "Open Application" in message["html"]
    status = wait_for_status(client, app["id"], "sent")
    assert status["sentAt"] >= status["queuedAt"]


def test_each_of_a_hundred_recipients_sees_only_their_own_address(stack, client):
    recipients = [f"tester{n}@example.com" for n in range(100)]
    app = uploaded(
        upload(
            client,
            build_apk("com.example.hundred"),
            sendNotification="true",
            notificationEmails=",".join(recipients),
        )
    )
    messages = wait_for_mail(stack, "com.example.hundred", count=100)
    assert sorted(message["to"] for message in messages) == sorted([r] for r in recipients)
    for message in messages:
        others = set(recipients) - set(message["to"])
        assert not any(other in message["html"] + message["text"] for other in others)
    assert wait_for_status(client, app["id"], "sent")["recipients"] == recipients


def test_named_recipients_and_the_rules_for_invalid_ones(stack, client):
    named = uploaded(
        upload(
            client,
            build_apk("com.example.named"),
            sendNotification="true",
            notificationEmails="qa@example.com, broken, lead@example.com",
        )
    )
    # One entry per recipient (one personalization each): nobody sees the other's address.
    messages = wait_for_mail(stack, "com.example.named", count=2)
    assert [message["to"] for message in messages] == [["qa@example.com"], ["lead@example.com"]]
    assert wait_for_status(client, named["id"], "sent")["recipients"] == [
        "qa@example.com",
        "lead@example.com",
    ]

    response = upload(
        client,
        build_apk("com.example.nobody"),
        sendNotification="true",
        notificationEmails="broken,also-broken",
    )
    assert response.status_code == 200
    assert (
        "No valid notification email was given: no notification was sent"
        in (response.json()["warnings"])
    )
    quiet = upload(client, build_apk("com.example.quiet"), notificationEmails="qa@example.com")
    time.sleep(2)
    assert mail_about(stack, "com.example.nobody") == []
    assert mail_about(stack, "com.example.quiet") == []
    assert notification_of(client, quiet.json()["data"]["id"]) is None


def test_a_duplicated_delivery_sends_one_email(stack, client):
    app = uploaded(upload(client, build_apk("com.example.twice"), sendNotification="true"))
    wait_for_mail(stack, "com.example.twice")
    task = {"appId": app["id"], "version": 1}

    # The tasks emulator does not deduplicate; Cloud Tasks may deliver twice as well.
    answers = [httpx.post(stack.function_url("email-worker"), json=task) for _ in range(3)]

    assert [a.json()["outcome"] for a in answers] == ["duplicate"] * 3
    assert len(mail_about(stack, "com.example.twice")) == 1


def test_sendgrid_429_is_retried_until_sent(stack, client):
    fail_next_sends(stack, 429, count=2)
    app = uploaded(upload(client, build_apk("com.example.busy"), sendNotification="true"))

    assert len(wait_for_mail(stack, "com.example.busy")) == 1
    wait_for_status(client, app["id"], "sent")
    time.sleep(1)
    assert len(mail_about(stack, "com.example.busy")) == 1


def test_a_permanent_refusal_is_recorded_not_retried(stack, client):
    fail_next_sends(stack, 400)
    app = uploaded(upload(client, build_apk("com.example.refused"), sendNotification="true"))

    status = wait_for_status(client, app["id"], "failed")

    assert "400" in status["failureReason"]
    time.sleep(1)
    assert mail_about(stack, "com.example.refused") == []


def test_apk_supplied_text_is_escaped(stack, client):
    label = "<script>alert(1)</script>"
    upload(
        client,
        build_apk("com.example.xss", label=label),
        sendNotification="true",
        releaseNotes='<img src=x onerror="alert(2)">',
    )

    (message,) = wait_for_mail(stack, "com.example.xss")

    assert "<script>" not in message["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message["html"]
    assert "<img src=x" not in message["html"]
    assert label in message["text"]  # plain text shows it as it is


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_email_renders_in_a_browser(stack, client, scheme):
    # A package per scheme: the fake SendGrid keeps the other run's email too.
    package = f"com.example.render.{scheme}"
    upload(client, build_apk(package, label="Render Check"), sendNotification="true")
    (message,) = wait_for_mail(stack, package)
    shot = artifact(f"upload-email-{scheme}.png")

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
        page.set_content(message["html"])
        assert page.get_by_text("Open Application").is_visible()
        page.screenshot(path=shot, full_page=True)

    distinct, brightness = colours(shot)
    assert distinct > 20  # text, a button and an icon, not a blank page
    assert (brightness > 150) if scheme == "light" else (brightness < 110)
