"""Sessions of signed-in visitors: a signed cookie holding a random id, and a server-side record
(7 days) that signing out revokes."""

import datetime
import hashlib
import secrets

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer

from apkdrop.errors import Misconfigured
from apkdrop.install_pages.ports import SessionRepository
from apkdrop.settings import SignInSettings

COOKIE_NAME = "apkdrop_session"
SESSION_LIFETIME = datetime.timedelta(days=7)
SALT = "apkdrop-session"


def _serializer(settings: SignInSettings) -> URLSafeTimedSerializer:
    if settings.session_signing_key is None:
        raise Misconfigured("sign-in is not configured (SESSION_SIGNING_KEY is unset)")
    return URLSafeTimedSerializer(settings.session_signing_key.get_secret_value(), salt=SALT)


def require_configured(settings: SignInSettings) -> None:
    """Raises Misconfigured when sessions cannot be signed."""
    _serializer(settings)


def _record_id(session_id: str) -> str:
    """Records are stored by hash: whoever reads the database cannot forge a cookie from them."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _session_id(request: flask.Request, settings: SignInSettings) -> str | None:
    """The id in the request's cookie, if the cookie is genuine and not expired."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie or settings.session_signing_key is None:
        return None
    try:
        payload = _serializer(settings).loads(cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadSignature:  # also covers an expired signature
        return None
    session_id = payload.get("sid") if isinstance(payload, dict) else None
    return session_id if isinstance(session_id, str) and session_id else None


def signed_in_email(
    request: flask.Request, settings: SignInSettings, sessions: SessionRepository
) -> str | None:
    """The address of the request's session, if its record is neither revoked nor expired."""
    session_id = _session_id(request, settings)
    return None if session_id is None else sessions.email_of(_record_id(session_id))


def start_session(
    response: flask.Response,
    email: str,
    settings: SignInSettings,
    sessions: SessionRepository,
    now: datetime.datetime,
) -> None:
    serializer = _serializer(settings)
    session_id = secrets.token_urlsafe(32)
    sessions.create(_record_id(session_id), email, now + SESSION_LIFETIME)
    response.set_cookie(
        COOKIE_NAME,
        serializer.dumps({"sid": session_id}),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )


def end_session(
    request: flask.Request,
    response: flask.Response,
    settings: SignInSettings,
    sessions: SessionRepository,
) -> None:
    """Revokes the request's session, so a copy of its cookie no longer signs anyone in."""
    session_id = _session_id(request, settings)
    if session_id is not None:
        sessions.revoke(_record_id(session_id))
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="Lax",
    )
