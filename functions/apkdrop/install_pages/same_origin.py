"""The pages' forms are accepted from the pages only: no other site may sign a visitor in, out,
or up for links.

SameSite=Lax keeps the session cookie off another site's POST, but signing in needs no cookie:
a page elsewhere could post its own emailed token to /auth/verify and sign the visitor into its
account here (login CSRF). Browsers say where a form comes from: Sec-Fetch-Site, or, in older
ones, Origin. A request that says neither (curl, a very old browser) passes: a browser that
sends neither cannot be told apart from it.
"""

import functools
import urllib.parse
from collections.abc import Callable

import flask
from pydantic import HttpUrl

from apkdrop.dependencies import Dependencies
from apkdrop.errors import Forbidden
from apkdrop.settings import PublicLinkSettings

SAFE_METHODS = frozenset({"GET", "HEAD"})
# One of our pages, or the visitor's own doing (a bookmark); `same-site` is a sibling host.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}
CROSS_SITE = "This form was sent from another site. Open the page here and try again."

View = Callable[..., flask.Response]
Origin = tuple[str, str, int]


def guarded(view: View) -> View:
    """`view`, refusing every state-changing request (any but GET and HEAD) another site sent."""

    @functools.wraps(view)
    def checked(
        request: flask.Request, deps: Dependencies[PublicLinkSettings], **arguments: str
    ) -> flask.Response:
        base_url = deps.settings.public_base_url
        if request.method not in SAFE_METHODS and _sent_from_elsewhere(request, base_url):
            raise Forbidden(CROSS_SITE)  # before the view does anything
        return view(request, deps, **arguments)

    return checked


def _sent_from_elsewhere(request: flask.Request, base_url: HttpUrl) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:  # the browser's own word: Origin is not asked
        return fetch_site.strip().lower() not in OWN_FETCH_SITES
    origin = request.headers.get("Origin")
    return origin is not None and not _is_ours(origin, base_url, request.host)


def _is_ours(origin: str, base_url: HttpUrl, host: str) -> bool:
    """PUBLIC_BASE_URL's origin, or the host the browser sent the form to: the pages also work
    under install-pages' own URL when PUBLIC_BASE_URL is the load balancer's. Only the host is
    compared there: TLS ends before the function, which sees http."""
    sent = _origin(origin)
    if sent is None:  # `null` (a sandboxed frame, a data: URL), or nothing we can read
        return False
    return sent in (_origin(str(base_url)), _origin(f"{sent[0]}://{host}"))


def _origin(url: str) -> Origin | None:
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed IPv6 host, or no port number
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]
