"""Jinja2 pages (autoescaped) and the HTML answer for every error the pages can meet."""

from pathlib import Path

import flask

from apkdrop import links, logs
from apkdrop.byte_sizes import human_size, signed_size
from apkdrop.errors import ApkdropError
from apkdrop.http import status_of
from apkdrop.install_pages.gone import VersionGone
from apkdrop.templating import environment

_pages = environment(Path(__file__).parent / "templates")
_pages.filters["size"] = human_size
_pages.filters["signed_size"] = signed_size
_pages.globals["app_page"] = links.app_page
_pages.globals["site"] = lambda path: links.from_page(flask.request.path, path)
_pages.filters["when"] = lambda moment: moment.strftime("%d %b %Y, %H:%M UTC")


def page(template: str, status: int = 200, **values: object) -> flask.Response:
    html = _pages.get_template(template).render(**values)
    response = flask.Response(html, status=status, mimetype="text/html")
    # Pages carry signed URLs and private details: nobody should keep a copy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' https: http: data:; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def error_page(
    exc: ApkdropError,
    arguments: dict,
    version: str | None = None,
    channel: str | None = None,
    own_page: str | None = None,
) -> flask.Response:
    """The friendly page for an error; a private app's page offers the sign-in form, for the
    `version` and `channel` the visitor asked for (None: the latest, of every channel), and
    its refusal a sign-out that comes back to `own_page`, the app page asked for."""
    status = status_of(exc)
    return page(
        "error.html",
        status,
        detail=exc.detail,
        code=status,
        app_id=arguments.get("app_id"),
        version=version,
        channel=channel,
        own_page=own_page,
        latest_link=exc.latest_link if isinstance(exc, VersionGone) else None,
        # Worth quoting to support; the cause is in the logs under the same id.
        request_id=logs.request_id.get() if status >= 500 else None,
    )
