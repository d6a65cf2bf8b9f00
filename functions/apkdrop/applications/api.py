"""HTTP endpoints of the application upload API."""

import flask
from werkzeug.formparser import FormDataParser
from werkzeug.routing import Rule

from apkdrop import request_body
from apkdrop.accounts import Caller, api_key_from_headers, authenticate, hash_api_key
from apkdrop.applications import idempotency, large_uploads, management_api, queries, service
from apkdrop.applications.form import read_upload_form
from apkdrop.applications.rate_limit import enforce_rate_limit
from apkdrop.audit.api import list_events
from apkdrop.channels import CHANNEL_RULE, is_channel
from apkdrop.dependencies import Dependencies
from apkdrop.downloads import api as downloads_api
from apkdrop.errors import InvalidRequest
from apkdrop.http import json_response, route_map, serve
from apkdrop.openapi import openapi_document
from apkdrop.paging import TIME_CURSOR, VERSION_CURSOR, page_request
from apkdrop.request_body import BodyLimit
from apkdrop.retention import api as retention_api
from apkdrop.settings import ApplicationApiSettings
from apkdrop.webhooks import api as webhooks_api

MAX_FORM_FIELD_BYTES = 128 * 1024  # the largest text field, releaseNotes, is 16,384 characters
MAX_FORM_PARTS = 200
# Multipart framing on top of the file itself.
FORM_OVERHEAD_BYTES = 256 * 1024
# An empty body is an empty form ("Either file or apkUrl must be provided").
FORM_TYPES = {*request_body.FORM_TYPES, ""}

OPENAPI = openapi_document()
ROUTES = route_map(
    Rule("/v1/application", methods=["POST"], endpoint="upload"),
    Rule("/v1/application", methods=["GET"], endpoint="list_applications"),
    Rule("/v1/application/uploads", methods=["POST"], endpoint="create_large_upload"),
    Rule("/v1/application/<app_id>", methods=["GET"], endpoint="get_application"),
    Rule("/v1/application/<app_id>", methods=["PATCH"], endpoint="change_application"),
    Rule("/v1/application/<app_id>", methods=["DELETE"], endpoint="delete_application"),
    Rule(
        "/v1/application/<app_id>/versions/<version>", methods=["PATCH"], endpoint="change_version"
    ),
    Rule(
        "/v1/application/<app_id>/versions/<version>", methods=["DELETE"], endpoint="delete_version"
    ),
    Rule("/openapi.json", methods=["GET"], endpoint="openapi"),
    *downloads_api.RULES,
    *retention_api.RULES,
    Rule("/v1/audit", methods=["GET"], endpoint="list_events"),
    *webhooks_api.RULES,
)


def upload(request: flask.Request, deps: Dependencies[ApplicationApiSettings]) -> flask.Response:
    account = _rate_limited_account(request, deps)
    if request.mimetype not in FORM_TYPES:
        raise InvalidRequest("Send the upload as multipart/form-data")
    key = idempotency.read_key(request.headers)
    with service.UploadSession(deps, account, key) as session:
        parser = FormDataParser(
            # Typed as returning IO[bytes], but werkzeug only writes and seeks the part's stream.
            stream_factory=lambda **_: session.file_writer(),  # pyright: ignore[reportArgumentType]
            max_form_memory_size=MAX_FORM_FIELD_BYTES,
            max_form_parts=MAX_FORM_PARTS,
            silent=False,
        )
        try:
            # request.stream, not the raw input: the framework reads it again after us.
            _, fields, files = parser.parse(
                request.stream, request.mimetype, request.content_length, request.mimetype_params
            )
        except ValueError as exc:
            raise InvalidRequest("The multipart/form-data body is malformed") from exc
        if set(files) - {"file"}:
            raise InvalidRequest("Send the APK in the field 'file'")
        form = read_upload_form(fields, has_file="file" in files, settings=deps.settings)
        response = json_response(session.publish(form))
    if session.replayed:
        response.headers[idempotency.REPLAYED_HEADER] = "true"
    return response


def create_large_upload(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings]
) -> flask.Response:
    account = _rate_limited_account(request, deps)
    return json_response(large_uploads.create_large_upload(deps, account))


def list_applications(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings]
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    page = page_request(request.args, TIME_CURSOR, deps.settings.max_page_size)
    return json_response(queries.list_applications(deps, account, page))


def get_application(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings], app_id: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    channel = request.args.get("channel")
    if channel is not None and not is_channel(channel):
        raise InvalidRequest(CHANNEL_RULE)
    page = page_request(request.args, VERSION_CURSOR, deps.settings.max_page_size)
    app_id = queries.checked_app_id(app_id)
    return json_response(queries.get_application(deps, account, app_id, channel, page))


def openapi(request: flask.Request, deps: Dependencies[ApplicationApiSettings]) -> flask.Response:
    return json_response(OPENAPI)


def _rate_limited_account(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings]
) -> Caller:
    """Authenticates, then counts the request against the key's shared per-minute limit."""
    account = authenticate(deps.accounts, request.headers)
    key = api_key_from_headers(request.headers) or ""  # never empty: authenticate found one
    key_id = hash_api_key(key)[:32]
    enforce_rate_limit(
        deps.rate_limits, key_id, deps.settings.upload_rate_limit_per_minute, deps.clock()
    )
    return account


VIEWS = (
    {
        view.__name__: view
        for view in (
            upload,
            create_large_upload,
            list_applications,
            get_application,
            openapi,
            list_events,
        )
    }
    | downloads_api.VIEWS
    | management_api.VIEWS
    | retention_api.VIEWS
    | webhooks_api.VIEWS
)


def handle(request: flask.Request, deps: Dependencies[ApplicationApiSettings]) -> flask.Response:
    """Serves one request of the application upload API."""
    limit = deps.settings.max_direct_upload_bytes
    upload = BodyLimit(limit + FORM_OVERHEAD_BYTES, large_uploads.too_large_detail(limit))
    return serve(request, ROUTES, VIEWS, deps, uploads={"upload": upload})
