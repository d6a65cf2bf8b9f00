"""The signed session cookie that remembers who signed in (7 days)."""

import datetime

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer

from apkdrop.adapters.errors import BackendUnavailable
from apkdrop.settings import Settings

COOKIE_NAME = "apkdrop_session"
SESSION_LIFETIME = datetime.timedelta(days=7)
SALT = "apkdrop-session"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    if settings.session_signing_key is None:
        raise BackendUnavailable("sign-in is not configured (SESSION_SIGNING_KEY is unset)")
    return URLSafeTimedSerializer(settings.session_signing_key.get_secret_value(), salt=SALT)


def require_configured(settings: Settings) -> None:
    """Raises BackendUnavailable when sessions cannot be signed."""
    _serializer(settings)


def signed_in_email(request: flask.Request, settings: Settings) -> str | None:
    """The address the request's cookie vouches for, if it is genuine and not expired."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie or settings.session_signing_key is None:
        return None
    try:
        payload = _serializer(settings).loads(cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadSignature:  # also covers an expired signature
        return None
    return payload.get("email") if isinstance(payload, dict) else None


def start_session(response: flask.Response, email: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE_NAME,
        _serializer(settings).dumps({"email": email}),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )


def end_session(response: flask.Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="Lax",
    )
