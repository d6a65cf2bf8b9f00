"""Hook secrets and the `X-Apkdrop-Signature` header that proves a delivery is ours.

A hook's secret is derived, never stored: HMAC-SHA256 of its id under WEBHOOK_SIGNING_KEY (a
Secret Manager secret only application-api and webhook-worker read). A database leak reveals
no secret; a hook whose secret leaked is deleted and registered again (a new id, a new secret).
"""

import base64
import hashlib
import hmac

from pydantic import SecretStr

from apkdrop.errors import Misconfigured

SECRET_PREFIX = "whsec_"


def hook_secret(signing_key: SecretStr | None, hook_id: str) -> str:
    if signing_key is None:
        raise Misconfigured("webhooks are not configured (WEBHOOK_SIGNING_KEY is unset)")
    digest = hmac.new(signing_key.get_secret_value().encode(), hook_id.encode(), hashlib.sha256)
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`: the time is signed too,
    so a receiver can refuse a replayed delivery."""
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"
