"""Each version keeps its own audience, through the gateway (issue 12's scenario)."""

import re
import time

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded
from tests.integration.test_install_pages import SIGN_IN_LINK
from tests.integration.test_notifications import MAIL_TIMEOUT_SECONDS, mail_about

pytestmark = pytest.mark.integration
PACKAGE, LABEL = "com.example.audience", "Audience App"
QA = "qa@example.com"
SECRET_NOTES = "Secret notes of two"


def signed_in(stack, app_id: str, email: str) -> httpx.Client:
    """A browser-like client with the session the emailed sign-in link starts."""
    visitor = httpx.Client(base_url=stack.url, timeout=30)
    asked = visitor.post("/auth/sign-in", data={"app": app_id, "email": email})
    assert asked.status_code == 200, asked.text
    link = sign_in_link(stack, email)
    assert visitor.get(link).status_code == 200  # the confirm page spends nothing
    verified = visitor.post("/auth/verify", data={"token": link.partition("token=")[2]})
    assert verified.status_code == 303, verified.text
    return visitor


def sign_in_link(stack, email: str) -> str:
    """The link the fake SendGrid received for `email` (others may have had theirs first)."""
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while not (mine := [m for m in mail_about(stack, LABEL) if m["to"] == [email]]):
        assert time.monotonic() < deadline, f"no sign-in link reached {email}"
        time.sleep(0.25)
    (message,) = mine
    return SIGN_IN_LINK.search(message["text"]).group(0)


def seen(visitor: httpx.Client, app_id: str, query: str = "") -> tuple[int, int, list[str], str]:
    """The page's status, the download's status, the versions the page lists, and the page."""
    page = visitor.get(f"/app/{app_id}{query}")
    download = visitor.get(f"/app/{app_id}/download{query}")
    history = re.findall(r'\?version=([0-9.]+)">', page.text.partition('class="history"')[2])
    return page.status_code, download.status_code, history, page.text


def test_each_version_is_opened_under_its_own_access(stack, api_keys):
    owner = f"owner-{time.monotonic_ns()}@example.com"
    with httpx.Client(
        base_url=stack.url, headers={"X-Api-Key": api_keys(owner)}, timeout=60
    ) as client:
        one = uploaded(upload(client, build_apk(PACKAGE, "1", 1, label=LABEL)))
        two = uploaded(
            upload(
                client,
                build_apk(PACKAGE, "2", 2, label=LABEL),
                accessType="PRIVATE",
                allowedUsers=QA,
                releaseNotes=SECRET_NOTES,
            )
        )
        three = uploaded(upload(client, build_apk(PACKAGE, "3", 3, label=LABEL)))
        detail = client.get(f"/v1/application/{one['id']}").json()["data"]
        listed = client.get("/v1/application").json()["data"]

    app_id = one["id"]
    assert [(a["version"], a["accessType"]) for a in (one, two, three)] == [
        ("1.0", "public"),
        ("2.0", "private"),
        ("3.0", "private"),  # inherited: omitting accessType never widens anything
    ]
    assert [(v["version"], v["accessType"], v["allowedUsers"]) for v in detail["versions"]] == [
        ("3.0", "private", [QA]),
        ("2.0", "private", [QA]),
        ("1.0", "public", []),
    ]
    assert (detail["accessType"], [a["accessType"] for a in listed]) == ("private", ["private"])

    anonymous = httpx.Client(base_url=stack.url, timeout=30)
    pages = {
        query: seen(anonymous, app_id, query) for query in ("?version=2.0", "?version=3.0", "")
    }
    for status, download, history, html in pages.values():
        assert (status, download, history) == (401, 401, [])
        assert 'name="email"' in html  # the sign-in form
    status, download, history, html = seen(anonymous, app_id, "?version=1.0")
    assert (status, download, history) == (200, 302, ["1.0"])  # older public versions stay open
    assert all(SECRET_NOTES not in page[3] for page in [*pages.values(), (0, 0, [], html)])
    assert "version=2.0" not in html and "version=3.0" not in html

    tester = signed_in(stack, app_id, QA)
    for query in ("?version=2.0", "?version=3.0"):
        assert seen(tester, app_id, query)[:3] == (200, 302, ["3.0", "2.0", "1.0"])
    status, _, _, html = seen(tester, app_id)  # the magic link: the latest, under its access
    assert status == 200 and '<dd id="platform-version">3.0</dd>' in html
    assert SECRET_NOTES in seen(tester, app_id, "?version=2.0")[3]

    uploader = signed_in(stack, app_id, owner)
    for query in ("?version=1.0", "?version=2.0", "?version=3.0", ""):
        assert seen(uploader, app_id, query)[:3] == (200, 302, ["3.0", "2.0", "1.0"])
