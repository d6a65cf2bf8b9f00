"""The application API's download endpoints: a version's download, and the record of them."""

import flask
from werkzeug.routing import Rule

from apkdrop.accounts import authenticate, authenticate_admin
from apkdrop.applications.queries import checked_app_id
from apkdrop.dependencies import Dependencies
from apkdrop.downloads import service
from apkdrop.http import json_response
from apkdrop.paging import TIME_CURSOR, page_request
from apkdrop.settings import PagingSettings

RULES = (
    Rule(
        "/v1/application/<app_id>/versions/<version>/download",
        methods=["GET"],
        endpoint="download_version",
    ),
    Rule("/v1/application/<app_id>/downloads", methods=["GET"], endpoint="list_downloads"),
)


def download_version(
    request: flask.Request, deps: Dependencies[PagingSettings], app_id: str, version: str
) -> flask.Response:
    """Any key of the account may download (reading is allowed to upload keys)."""
    caller = authenticate(deps.accounts, request.headers)
    url = service.api_download(deps, caller, checked_app_id(app_id), version, is_probe(request))
    return download_redirect(url)


def list_downloads(
    request: flask.Request, deps: Dependencies[PagingSettings], app_id: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    page = page_request(request.args, TIME_CURSOR, deps.settings.max_page_size)
    version = request.args.get("version")
    return json_response(
        service.downloads_page(deps, caller, checked_app_id(app_id), version, page)
    )


def is_probe(request: flask.Request) -> bool:
    """A HEAD, which werkzeug routes to the GET view: a link previewer or a download manager
    asking the size, answered as its GET would be, but no download."""
    return request.method == "HEAD"


def download_redirect(url: str | None) -> flask.Response:
    """The 302 to a download's signed URL; a probe's names none (none was minted)."""
    response = flask.Response(status=302)
    if url is not None:
        response.headers["Location"] = url
    return response


VIEWS = {view.__name__: view for view in (download_version, list_downloads)}
