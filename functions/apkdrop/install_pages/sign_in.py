"""Email sign-in for private apps: one-time links that never reveal who has access.

A request queues the same task whatever the address; the email worker decides, at send time,
whether the address gets a link, and mints its token (the task carries no secret).
"""

import datetime
import hashlib
import re
import secrets
from typing import NamedTuple

from apkdrop import links
from apkdrop.accounts import is_email
from apkdrop.applications.models import Application, Version
from apkdrop.applications.rate_limit import enforce_rate_limit
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest
from apkdrop.ids import REQUEST_ID, new_request_id
from apkdrop.install_pages.access import may_open
from apkdrop.install_pages.ports import LinkTarget
from apkdrop.notifications.models import SignInEmailTask
from apkdrop.settings import InstallPagesSettings, PublicLinkSettings

LINK_MINUTES = 15
LINK_LIFETIME = datetime.timedelta(minutes=LINK_MINUTES)
LINK_EXPIRED = "This sign-in link was already used or has expired. Ask for a new one."
# `{request id}.{secret}`: the id finds the request's token, the secret proves the email.
TOKEN = re.compile(rf"{REQUEST_ID}\.[A-Za-z0-9_-]{{43}}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def request_link(
    deps: Dependencies[InstallPagesSettings],
    app: Application,
    address: str,
    client: str,
    version: int | None,
    channel: str | None = None,
) -> None:
    """Queues a sign-in task for `version` (None: the latest, of `channel` when given), whoever
    the address is."""
    email = address.strip().lower()
    if not is_email(email):
        raise InvalidRequest("Enter a valid email address")
    settings, now = deps.settings, deps.clock()
    # With the client: a stranger asking for a tester's links cannot use up the tester's limit.
    address_key = "sign-in-address-" + _digest(f"{email}\n{client}")[:32]
    client_key = "sign-in-client-" + _digest(client)[:32]
    enforce_rate_limit(deps.rate_limits, address_key, settings.sign_in_rate_limit_per_address, now)
    enforce_rate_limit(deps.rate_limits, client_key, settings.sign_in_rate_limit_per_client, now)
    task = SignInEmailTask(
        requestId=new_request_id(), email=email, appId=app.id, version=version, channel=channel
    )
    deps.email_queue.schedule(
        task.delivery_id, str(settings.email_worker_url), task.model_dump(), now
    )


def deserves_link(app: Application, version: Version, email: str) -> bool:
    """A version anyone may open needs no link (sending one would mail anyone anything)."""
    return not may_open(app, version, None) and may_open(app, version, email)


def issue_link(
    deps: Dependencies[PublicLinkSettings], task: SignInEmailTask, version_label: str | None
) -> str:
    """Mints the request's one-time token, stores its hash (replacing an earlier attempt's), and
    returns the link that carries it."""
    secret = secrets.token_urlsafe(32)
    target = LinkTarget(task.email, task.appId, version_label, task.channel)
    deps.sign_in_tokens.issue(task.requestId, _digest(secret), target, deps.clock() + LINK_LIFETIME)
    return links.sign_in_link(deps.settings.public_base_url, f"{task.requestId}.{secret}")


class LinkShown(NamedTuple):
    """What the confirm page names, so nobody presses the button for someone else's link."""

    email: str
    app_name: str | None  # None: the app was deleted since the link was sent


def _request_and_hash(token: str) -> tuple[str, str]:
    """The token's request id and its secret's hash; a token that cannot be one of ours is
    refused before any read."""
    if TOKEN.fullmatch(token) is None:
        raise InvalidRequest(LINK_EXPIRED)
    request_id, secret = token.split(".")
    return request_id, _digest(secret)


def peek_link(deps: Dependencies[object], token: str) -> LinkShown:
    """Who a valid, unused link signs in, and to which app; spends nothing (a mail scanner
    opens links). Refused as redeeming would refuse it, whichever the reason."""
    target = deps.sign_in_tokens.peek(*_request_and_hash(token))
    if target is None:
        raise InvalidRequest(LINK_EXPIRED)
    app = deps.applications.get_app(target.app_id)
    return LinkShown(target.email, None if app is None else app.display_name)


def redeem_link(deps: Dependencies[object], token: str) -> LinkTarget:
    """What a valid, unused link was issued for; it cannot be used again."""
    redeemed = deps.sign_in_tokens.redeem(*_request_and_hash(token))
    if redeemed is None:
        raise InvalidRequest(LINK_EXPIRED)
    return redeemed
