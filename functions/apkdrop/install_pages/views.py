"""The install pages: an app's page, its download, and the sign-in flow of private apps.

Each view reads the request (its ids, its `?version=`, the session's address), calls one
service function, and renders or redirects. Every form (any route but GET and HEAD) is refused
when another site sent it (same_origin.py).
"""

from typing import cast

import flask
import segno
from werkzeug.routing import Rule
from werkzeug.utils import redirect

from apkdrop import links
from apkdrop.apk_inspection import CHECK_TITLES
from apkdrop.channels import is_channel
from apkdrop.dependencies import Dependencies
from apkdrop.downloads.api import download_redirect, is_probe
from apkdrop.errors import ApkdropError, NotFound
from apkdrop.http import route_map, serve
from apkdrop.ids import OPAQUE_ID
from apkdrop.install_pages import same_origin, service, session, sign_in
from apkdrop.install_pages.rendering import error_page, page
from apkdrop.settings import InstallPagesSettings
from apkdrop.version_labels import parse_label

ROUTES = route_map(
    Rule("/app/<app_id>", methods=["GET"], endpoint="app_page"),
    Rule("/app/<app_id>/download", methods=["GET"], endpoint="download"),
    Rule("/auth/sign-in", methods=["POST"], endpoint="ask_for_link"),
    Rule("/auth/verify", methods=["GET"], endpoint="confirm_link"),
    Rule("/auth/verify", methods=["POST"], endpoint="verify_link"),
    Rule("/auth/sign-out", methods=["GET"], endpoint="confirm_sign_out"),
    Rule("/auth/sign-out", methods=["POST"], endpoint="sign_out"),
)


def app_page(
    request: flask.Request, deps: Dependencies[InstallPagesSettings], app_id: str
) -> flask.Response:
    app_id = _app_id(app_id)
    email = session.signed_in_email(request, deps.settings, deps.sessions)
    channel = _channel(request.args.get("channel"))
    shown = service.app_page(deps, app_id, request.args.get("version"), email, channel)
    app, version, newest = shown.app, shown.version, shown.versions[0]
    base_url = deps.settings.public_base_url
    link = (
        links.magic_link(base_url, app.id)
        if channel is None
        else links.channel_link(base_url, app.id, channel)
    )
    # The newest this visitor may open: never name one they may not.
    newest_link = (
        link
        if newest.versionNumber == shown.latest
        else links.versioned_link(base_url, app.id, newest.versionNumber)
    )
    own_link = (
        link
        if "version" not in request.args
        else links.versioned_link(base_url, app.id, version.versionNumber)
    )
    return page(
        "app.html",
        app=app,
        name=app.display_name,
        version=version,
        insights=shown.insights,
        history=[
            (
                v,
                links.versioned_link(base_url, app.id, v.versionNumber),
                links.channel_link(base_url, app.id, v.channel),
            )
            for v in shown.versions
        ],
        channel=channel,
        all_channels_link=links.magic_link(base_url, app.id),
        newest_link=newest_link,
        own_link=own_link,
        qr_svg=segno.make(own_link, error="m").svg_inline(scale=4, border=2),
        icon_url=shown.icon_url,
        download_url=links.download(app.id, version.versionNumber),
        bundle_download_url=links.bundle_download(app.id, version.versionNumber),
        signed_in_as=email,
        own_page=_own_page(request, app.id),
        is_newest=version.versionNumber == newest.versionNumber,
        check_titles=CHECK_TITLES,
    )


def download(
    request: flask.Request, deps: Dependencies[InstallPagesSettings], app_id: str
) -> flask.Response:
    app_id = _app_id(app_id)
    email = session.signed_in_email(request, deps.settings, deps.sessions)
    bundle = request.args.get("file") == "aab"
    version, probe = request.args.get("version"), is_probe(request)
    return download_redirect(service.download_url(deps, app_id, version, email, bundle, probe))


def ask_for_link(
    request: flask.Request, deps: Dependencies[InstallPagesSettings]
) -> flask.Response:
    app_id = _app_id(request.form.get("app", ""))
    client = client_address(request, deps.settings.trusted_proxy_hops)
    address = request.form.get("email", "")
    version, channel = request.form.get("version"), _channel(request.form.get("channel"))
    app = service.request_sign_in(deps, app_id, version, address, client, channel)
    # The same answer for every address and every app: nobody learns who has access, or what.
    return page("check_email.html", app_id=app.id, minutes=sign_in.LINK_MINUTES)


def confirm_link(
    request: flask.Request, deps: Dependencies[InstallPagesSettings]
) -> flask.Response:
    """The emailed link only shows a button: a mail scanner that opens it spends nothing. The
    page names the address, since another site can link a visitor to its own token's page."""
    token = request.args.get("token", "")
    shown = sign_in.peek_link(deps, token)
    return page("confirm_sign_in.html", token=token, email=shown.email, app_name=shown.app_name)


def verify_link(request: flask.Request, deps: Dependencies[InstallPagesSettings]) -> flask.Response:
    # Checked before the link is spent, so a misconfiguration does not waste it.
    session.require_configured(deps.settings)
    target = sign_in.redeem_link(deps, request.form.get("token", ""))
    number = None if target.version is None else parse_label(target.version)
    page_path = links.app_page(target.app_id, number, target.channel)
    response = _redirect(links.site_url(deps.settings.public_base_url, page_path), 303)
    session.start_session(response, target.email, deps.settings, deps.sessions, deps.clock())
    return response


def confirm_sign_out(
    request: flask.Request, deps: Dependencies[InstallPagesSettings]
) -> flask.Response:
    """Only the button: another site can make a browser open a URL (a link, an image), and
    the button's POST is refused from another site."""
    return page("confirm_sign_out.html", next=links.app_page_in(request.args.get("next", "")))


def sign_out(request: flask.Request, deps: Dependencies[InstallPagesSettings]) -> flask.Response:
    target = links.app_page_in(request.form.get("next", ""))
    if target is not None:
        response = _redirect(links.site_url(deps.settings.public_base_url, target), 303)
    else:
        response = page("signed_out.html")
    session.end_session(request, response, deps.settings, deps.sessions)
    return response


VIEWS = {
    view.__name__: same_origin.guarded(view)
    for view in (
        app_page,
        download,
        ask_for_link,
        confirm_link,
        verify_link,
        confirm_sign_out,
        sign_out,
    )
}


def client_address(request: flask.Request, trusted_hops: int) -> str:
    """The address the nearest trusted proxy saw; what the client itself claims is ignored."""
    forwarded = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    forwarded = [hop for hop in forwarded if hop]
    if len(forwarded) >= trusted_hops:
        return forwarded[-trusted_hops]
    return request.remote_addr or "unknown"


def _app_id(text: str) -> str:
    """An id this API could have minted; any other names no app (and never reaches a query)."""
    if not OPAQUE_ID.fullmatch(text):
        raise NotFound(service.NO_SUCH_APP)
    return text


def _channel(text: str | None) -> str | None:
    """The `?channel=` asked for; a name no channel can have is not found (nor echoed)."""
    if text is not None and not is_channel(text):
        raise NotFound("This app has no such channel.")
    return text


def _own_page(request: flask.Request, app_id: str) -> str | None:
    """The app page `request` asked for, at its `?version=` and `?channel=` (None: they name
    none): where signing out of it, or of its refusal, comes back to."""
    return links.page_asked_for(app_id, request.args.get("version"), request.args.get("channel"))


def _redirect(location: str, code: int) -> flask.Response:
    """werkzeug's redirect as the flask.Response every view returns (it builds the class it is
    given, but its annotation names only werkzeug's base class)."""
    return cast(flask.Response, redirect(location, code, Response=flask.Response))


def handle(request: flask.Request, deps: Dependencies[InstallPagesSettings]) -> flask.Response:
    """Serves one install page (errors as friendly HTML pages)."""

    def render_error(exc: ApkdropError, arguments: dict) -> flask.Response:
        channel = request.args.get("channel")
        # Only a well-formed name is carried on to the sign-in form (and so echoed).
        carried = channel if channel is not None and is_channel(channel) else None
        app_id = arguments.get("app_id")
        own_page = None if app_id is None else _own_page(request, app_id)
        return error_page(exc, arguments, request.args.get("version"), carried, own_page)

    return serve(request, ROUTES, VIEWS, deps, render_error=render_error)
