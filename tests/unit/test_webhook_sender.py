"""The webhook URL rules: the shared SSRF guard with https on 443 only, and the local stack's
one receiver URL when WEBHOOK_DEV_RECEIVER_URL is set."""

import time

import httpx
import pytest

from apkdrop.errors import InvalidRequest
from apkdrop.webhooks.ports import ReceiverUnreachable
from apkdrop.webhooks.sender import HookSender
from tests.fakes import FakeResolver, FakeWeb

RECEIVER = "http://127.0.0.1:8080/_dev/webhooks/receive/"


def refusal(sender: HookSender, url: str) -> str:
    with pytest.raises(InvalidRequest) as caught:
        sender.check(url)
    return caught.value.detail


def test_production_takes_https_on_443_to_public_addresses_only() -> None:
    sender = HookSender(FakeResolver({"hooks.example.com": ["93.184.215.14"]}), 5.0)

    sender.check("https://hooks.example.com/in?team=a")
    assert refusal(sender, RECEIVER + "team-a") == "url must be an https URL"
    assert refusal(sender, "https://127.0.0.1/in") == "url points to a private or reserved address"
    assert refusal(sender, "https://[::ffff:10.0.0.1]/in") == (
        "url points to a private or reserved address"
    )
    assert refusal(sender, "https://hooks.example.com:80/in") == "url must use port 443"


def test_the_dev_receiver_allows_exactly_its_own_urls() -> None:
    sender = HookSender(FakeResolver({"hooks.example.com": ["93.184.215.14"]}), 5.0, RECEIVER)
    only = f"url may only be {RECEIVER}NAME here"

    sender.check(RECEIVER + "team-a")
    for url in (
        "https://hooks.example.com/in",  # public, yet a test stack reaches nothing beyond it
        "http://127.0.0.1:8080/v1/application",
        "http://127.0.0.1:8081/_dev/webhooks/receive/team-a",
        RECEIVER,
        RECEIVER + "../../v1/audit",
        RECEIVER + "a/b",
        RECEIVER + "a?b=c",
    ):
        assert refusal(sender, url) == only, url


def test_the_dev_receiver_must_still_resolve_to_loopback() -> None:
    receiver = "http://receiver.test:8080/_dev/webhooks/receive/"
    sender = HookSender(FakeResolver({"receiver.test": ["10.0.0.9"]}), 5.0, receiver)

    assert refusal(sender, receiver + "a") == "url must use port 80 or 443"


def test_the_timeout_bounds_the_whole_post_not_each_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # A receiver that trickles its answer keeps every read under the timeout; the POST as a
    # whole is cut off, well before the receiver would be done.
    web = FakeWeb()
    web.install(monkeypatch)

    def trickling(request: httpx.Request) -> httpx.Response:
        time.sleep(5)
        return httpx.Response(200)

    web.route("https://hooks.example.com/in", trickling)
    sender = HookSender(FakeResolver({"hooks.example.com": ["93.184.215.14"]}), 0.5)

    started = time.monotonic()
    with pytest.raises(ReceiverUnreachable, match="timed out"):
        sender.post("https://hooks.example.com/in", b"{}", {})
    assert time.monotonic() - started < 4
