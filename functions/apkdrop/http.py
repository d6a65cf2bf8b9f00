"""The one place where errors become HTTP answers, and the JSON plumbing of every endpoint."""

import json
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import MethodNotAllowed as MethodNotAllowedRoute
from werkzeug.exceptions import NotFound as NotFoundRoute
from werkzeug.routing import Map, Rule

from apkdrop import logs
from apkdrop.adapters.errors import BackendUnavailable
from apkdrop.errors import (
    ApkdropError,
    Conflict,
    Forbidden,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
)
from apkdrop.ids import parse_id

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)

ERROR_STATUS: dict[type[ApkdropError], int] = {
    InvalidRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    Conflict: 409,
    PayloadTooLarge: 413,
    RateLimited: 429,
    BackendUnavailable: 503,
}
RETRY_AFTER_SECONDS = "5"
ErrorRenderer = Callable[[ApkdropError, dict], flask.Response]


def route_map(*rules: Rule) -> Map:
    """Routes that never answer with a redirect: werkzeug would otherwise merge `//` or add a
    missing slash by redirecting to a URL rebuilt from the raw query, which breaks on a
    newline in it."""
    return Map(list(rules), strict_slashes=False, merge_slashes=False)


def json_response(body: BaseModel | dict, status: int = 200) -> flask.Response:
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
    return flask.Response(text, status=status, mimetype="application/json")


def status_of(exc: ApkdropError) -> int:
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


def positive_id(value: str, field: str) -> int:
    parsed = parse_id(value)
    if parsed is None:
        raise InvalidRequest(f"{field} must be a positive integer")
    return parsed


def serve(
    request: flask.Request,
    routes: Map,
    views: dict[str, Callable[..., flask.Response]],
    deps: object,
    render_error: ErrorRenderer = error_response,
) -> flask.Response:
    """Runs the view `routes` picks for the request; `render_error` answers every client error
    (JSON by default), given the error and the route's arguments."""
    started = time.monotonic()
    request_id = logs.bind_request_id(
        request.headers.get("X-Request-Id") or request.headers.get("X-Cloud-Trace-Context")
    )
    arguments: dict = {}
    try:
        endpoint, arguments = routes.bind_to_environ(request.environ).match()
        response = views[endpoint](request, deps, **arguments)
    except ApkdropError as exc:
        if status_of(exc) >= 500:
            log.warning("backend failure: %s", exc.__cause__ or exc, exc_info=exc.__cause__)
        response = render_error(exc, arguments)
        _retry_after(response, exc)
    except NotFoundRoute:
        response = render_error(NotFound("Not Found"), arguments)
    except MethodNotAllowedRoute as exc:
        allowed = sorted(exc.valid_methods or [])
        response = render_error(MethodNotAllowed("Method Not Allowed", allowed), arguments)
        response.headers["Allow"] = ", ".join(allowed)
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


def _retry_after(response: flask.Response, exc: ApkdropError) -> None:
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    elif status_of(exc) == 503:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
