"""The one place where errors become HTTP answers, and the JSON plumbing of every endpoint."""

import json
import logging
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as MethodNotAllowedRoute
from werkzeug.routing import Map, Rule

from apkdrop import logs, request_body
from apkdrop.errors import (
    ApkdropError,
    BackendUnavailable,
    CommitOutcomeUnknown,
    Conflict,
    Forbidden,
    Gone,
    InvalidRequest,
    MethodNotAllowed,
    Misconfigured,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    Unprocessable,
)
from apkdrop.ids import parse_id
from apkdrop.request_body import BodyLimit
from apkdrop.settings import BodyLimitSettings

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)


class InternalError(ApkdropError):
    """A bug: the answer names the request, whose log has the traceback."""


class ProtocolError(ApkdropError):
    """werkzeug's own refusal with a status no domain error has (a 415, a 431, ...)."""

    def __init__(self, detail: str, status: int) -> None:
        super().__init__(detail)
        self.status = status


ERROR_STATUS: dict[type[ApkdropError], int] = {
    InvalidRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    Conflict: 409,
    Gone: 410,
    PayloadTooLarge: 413,
    Unprocessable: 422,
    RateLimited: 429,
    InternalError: 500,
    Misconfigured: 500,
    BackendUnavailable: 503,
    CommitOutcomeUnknown: 503,  # a BackendUnavailable, named for the upload's cleanup
}
# werkzeug's own refusals, by status, as the domain error that answers them.
FRAMEWORK_ERRORS: dict[int, type[ApkdropError]] = {
    400: InvalidRequest,
    404: NotFound,
    413: PayloadTooLarge,
}
RETRY_AFTER_SECONDS = "5"
OUR_MODULES = {"main", "apkdrop"}
ErrorRenderer = Callable[[ApkdropError, dict], flask.Response]


def route_map(*rules: Rule) -> Map:
    """Routes that never answer with a redirect: werkzeug would otherwise merge `//` or add a
    missing slash by redirecting to a URL rebuilt from the raw query, which breaks on a
    newline in it."""
    return Map(list(rules), strict_slashes=False, merge_slashes=False)


def json_response(body: BaseModel | dict, status: int = 200) -> flask.Response:
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
    return flask.Response(text, status=status, mimetype="application/json")


def no_content() -> flask.Response:
    """204: done, nothing to say (a DELETE)."""
    return flask.Response(status=204)


def status_of(exc: ApkdropError) -> int:
    if isinstance(exc, ProtocolError):
        return exc.status
    return next(code for kind, code in ERROR_STATUS.items() if isinstance(exc, kind))


def error_response(exc: ApkdropError, _arguments: dict | None = None) -> flask.Response:
    """`{"detail": ...}` with the error's status (and `requestId` on a server-side failure)."""
    status = status_of(exc)
    body = {"detail": exc.detail}
    if status >= 500:
        # Worth quoting to support; the cause is in the logs under the same id.
        body["requestId"] = logs.request_id.get()
    response = json_response(body, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="apkdrop"'
    return response


def validation_detail(error: ValidationError) -> str:
    """`contextId: Input should be a valid integer`: the first problem, naming its field."""
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{field}: {first['msg']}"


def parse_json(request: flask.Request, model: type[Model]) -> Model:
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested input
        raise InvalidRequest("Request body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise InvalidRequest(validation_detail(exc)) from exc


def acknowledge_unreadable(handler: str, reason: str) -> flask.Response:
    """A 2xx for a task or event that can never be read: Cloud Tasks and Eventarc deliver
    anything else again, for nothing (raise to get a retry, return to acknowledge). The reason
    names what is wrong, never the body's values."""
    log_unreadable(handler, reason)
    return json_response({"detail": f"Acknowledged, never to be read: {reason}"})


def log_unreadable(handler: str, reason: str) -> None:
    log.error("%s acknowledged what it can never read: %s", handler, reason)


def positive_id(value: str, field: str) -> int:
    parsed = parse_id(value)
    if parsed is None:
        raise InvalidRequest(f"{field} must be a positive integer")
    return parsed


class Configured(Protocol):
    """What `serve` needs of the dependencies it hands each view."""

    @property
    def settings(self) -> BodyLimitSettings: ...


def serve(
    request: flask.Request,
    routes: Map,
    views: dict[str, Callable[..., flask.Response]],
    deps: Configured,
    render_error: ErrorRenderer = error_response,
    uploads: dict[str, BodyLimit] | None = None,
    bound_body: bool = True,
) -> flask.Response:
    """Runs the view `routes` picks for the request; `render_error` answers every error (JSON
    by default), given the error and the route's arguments. The body is bounded first:
    `uploads` names the endpoints that take a multipart file, and its limit. `bound_body`
    False: the view bounds it itself, after authenticating its caller (a task handler)."""
    started = time.monotonic()
    request_id = _bind_request_id(request)
    arguments: dict = {}
    try:
        endpoint, matched = routes.bind_to_environ(request.environ).match()
        arguments = dict(matched)
        if bound_body:
            upload = (uploads or {}).get(endpoint)
            request_body.bound(request, request_body.body_limit(request, deps.settings, upload))
        response = views[endpoint](request, deps, **arguments)
    except Exception as exc:  # every answer is ours: never the framework's HTML
        response = answer_error(exc, arguments, render_error)
    request_body.leave_unread(request)
    protect(response)
    response.headers["X-Request-Id"] = request_id
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra=logs.log_fields(
            httpRequest={
                "requestMethod": request.method,
                "requestUrl": request.path,
                "status": response.status_code,
                "latency": f"{time.monotonic() - started:.3f}s",
            }
        ),
    )
    return response


def answer_error(
    exc: Exception, arguments: dict, render_error: ErrorRenderer = error_response
) -> flask.Response:
    """Ours with its status, werkzeug's own with theirs, anything else a logged 500."""
    error = _as_error(exc)
    if isinstance(error, InternalError):
        log.error("unexpected error: %r", exc, exc_info=exc)
    elif isinstance(error, Misconfigured):
        log.critical("this deployment is misconfigured: %s", error.detail)
    elif status_of(error) >= 500:
        log.warning("backend failure: %s", exc.__cause__ or exc, exc_info=exc.__cause__)
    response = render_error(error, arguments)
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(error.allowed)
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    elif status_of(error) == 503:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def protect(response: flask.Response) -> flask.Response:
    """No answer is kept by a cache (they carry keys' data, private pages, signed URLs), and
    none is sniffed into another type."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def framework_error(exc: Exception, render_error: ErrorRenderer = error_response) -> flask.Response:
    """What functions-framework refuses or fails on before a function runs (a GET on the event
    function, a malformed event, /favicon.ico), and what escapes the event function: JSON too.
    """
    if isinstance(exc, HTTPException) or not _raised_through_our_code(exc):
        # No function bound this request's id; the input is what failed.
        _bind_request_id(flask.request)
        if not isinstance(exc, HTTPException):
            log.info("malformed request: %r", exc)
            exc = InvalidRequest("Malformed request")
    response = protect(answer_error(exc, {}, render_error))
    response.headers["X-Request-Id"] = logs.request_id.get()
    return response


def _bind_request_id(request: flask.Request) -> str:
    """The caller's request id, else Google's trace id, else a new one."""
    return logs.bind_request_id(
        request.headers.get("X-Request-Id") or request.headers.get("X-Cloud-Trace-Context")
    )


def _raised_through_our_code(exc: Exception) -> bool:
    """Whether a function of ours was running (functions_framework loads main.py as `main`)."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_globals.get("__name__", "").partition(".")[0] in OUR_MODULES:
            return True
        frame = frame.tb_next
    return False


def _as_error(exc: Exception) -> ApkdropError:
    if isinstance(exc, ApkdropError):
        return exc
    if isinstance(exc, MethodNotAllowedRoute):
        return MethodNotAllowed(exc.name, sorted(exc.valid_methods or []))
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        # Its name, not its description, which may echo the request.
        kind = FRAMEWORK_ERRORS.get(exc.code)
        return kind(exc.name) if kind else ProtocolError(exc.name, exc.code)
    return InternalError("Internal error")
