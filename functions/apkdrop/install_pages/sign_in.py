"""Email sign-in for private apps: one-time links that never reveal who has access."""

import datetime
import hashlib
import logging
import secrets

from apkdrop.accounts import EMAIL
from apkdrop.applications.models import AccessType, Application
from apkdrop.applications.rate_limit import enforce_rate_limit
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest
from apkdrop.install_pages.access import openable
from apkdrop.notifications.models import SignInEmailTask
from apkdrop.notifications.render import SIGN_IN_LINK_MINUTES
from apkdrop.timeutil import utc_now

log = logging.getLogger(__name__)
LINK_LIFETIME = datetime.timedelta(minutes=SIGN_IN_LINK_MINUTES)
LINK_EXPIRED = "This sign-in link was already used or has expired. Ask for a new one."


def request_link(deps: Dependencies, app: Application, address: str, client: str) -> None:
    """Emails a one-time link if `address` may open a private version of the app; silently does
    nothing otherwise."""
    email = address.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidRequest("Enter a valid email address")
    settings, now = deps.settings, utc_now()
    address_key = "sign-in-address-" + hashlib.sha256(email.encode()).hexdigest()[:32]
    client_key = "sign-in-client-" + hashlib.sha256(client.encode()).hexdigest()[:32]
    enforce_rate_limit(deps.rate_limits, address_key, settings.sign_in_rate_limit_per_address, now)
    enforce_rate_limit(deps.rate_limits, client_key, settings.sign_in_rate_limit_per_client, now)
    versions = openable(app, deps.applications.versions(app.id), email)
    if not any(version.accessType is AccessType.PRIVATE for version in versions):
        # Public versions need no session: sending links for them would mail anyone anything.
        log.info("no sign-in link sent for %s", app.id)
        return
    token = secrets.token_urlsafe(32)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    deps.sign_in_tokens.create(token_hash, email, app.id, now + LINK_LIFETIME)
    task = SignInEmailTask(
        email=email,
        appName=app.appLabel or app.packageName,
        link=f"{str(settings.public_base_url).rstrip('/')}/auth/verify?token={token}",
        tokenId=token_hash[:32],
    )
    deps.email_queue.schedule(
        task.delivery_id, str(settings.email_worker_url), task.model_dump(), now
    )


def redeem_link(deps: Dependencies, token: str) -> tuple[str, str]:
    """The (email, appId) a valid, unused link was issued for; it cannot be used again."""
    if not 16 <= len(token) <= 128:
        raise InvalidRequest(LINK_EXPIRED)
    redeemed = deps.sign_in_tokens.redeem(hashlib.sha256(token.encode()).hexdigest())
    if redeemed is None:
        raise InvalidRequest(LINK_EXPIRED)
    return redeemed
