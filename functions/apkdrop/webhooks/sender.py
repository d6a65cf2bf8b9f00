"""POSTing to a hook's URL without letting a caller reach our network (SSRF).

https on 443 only, to public addresses only, connecting to the address checked (url_guard);
checked when a hook is registered and again before every delivery, since DNS changes. A
redirect is an answer like any other: never followed. WEBHOOK_TIMEOUT_SECONDS bounds the
whole POST, not each read: a receiver that trickles its answer a byte at a time is cut off too.
"""

import re
from dataclasses import dataclass

import httpx

from apkdrop.errors import InvalidRequest
from apkdrop.settings import WebhookSettings
from apkdrop.url_guard import Resolver, Target, UrlRules, check_url, send_within
from apkdrop.webhooks.ports import ReceiverUnreachable

HOOK_URL = UrlRules("url", {"https": 443})
# The local stack's receiver: {WEBHOOK_DEV_RECEIVER_URL}{name}, over plain http on loopback.
DEV_RECEIVER_URL = UrlRules("url", {"http": 80, "https": 443})
DEV_RECEIVER_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class HookSender:
    resolver: Resolver
    timeout_seconds: float
    # Local stack only: the one URL prefix hooks may (and must) use. None in production.
    dev_receiver_url: str | None = None

    @classmethod
    def from_settings(cls, settings: WebhookSettings, resolver: Resolver) -> "HookSender":
        receiver = settings.webhook_dev_receiver_url
        return cls(resolver, settings.webhook_timeout_seconds, str(receiver) if receiver else None)

    def check(self, url: str) -> None:
        self._target(url)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        target = self._target(url)
        timeout = httpx.Timeout(self.timeout_seconds)
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            try:
                request = target.request(client, "POST", headers, body)
            except httpx.InvalidURL as exc:
                raise InvalidRequest("url is not a valid URL") from exc
            # The answer's body is never read: a receiver cannot hold the worker with it.
            try:
                response = send_within(client, request, self.timeout_seconds)
            except (httpx.TimeoutException, TimeoutError) as exc:
                raise ReceiverUnreachable("timed out") from exc
            except httpx.HTTPError as exc:
                raise ReceiverUnreachable("connection failed") from exc
            response.close()
            return response.status_code

    def _target(self, url: str) -> Target:
        if self.dev_receiver_url is None:
            return check_url(url, HOOK_URL, self.resolver)
        name = url.removeprefix(self.dev_receiver_url)
        if name == url or not DEV_RECEIVER_NAME.fullmatch(name):
            raise InvalidRequest(f"url may only be {self.dev_receiver_url}NAME here")
        port = httpx.URL(self.dev_receiver_url).port or 80
        return check_url(url, DEV_RECEIVER_URL, self.resolver, loopback_port=port)
