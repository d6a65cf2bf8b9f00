"""Task handlers accept only Cloud Tasks' OIDC token of the queue's account, for their own URL;
the retention sweeper only Cloud Scheduler's token of its job's account.

A task that passed that check but whose body can never be read is acknowledged: Cloud Tasks
retries every other answer up to the queue's max_attempts, and the body would not change.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import flask
import google.auth.transport.requests
from google.auth import exceptions as auth_exceptions
from google.oauth2 import id_token
from pydantic import BaseModel
from werkzeug.datastructures import Headers
from werkzeug.routing import Rule

from apkdrop import request_body
from apkdrop.dependencies import Dependencies
from apkdrop.errors import (
    BackendUnavailable,
    Forbidden,
    InvalidRequest,
    PayloadTooLarge,
    Unauthenticated,
)
from apkdrop.http import acknowledge_unreadable, parse_json, route_map, serve
from apkdrop.settings import SchedulerAuthSettings, TaskAuthSettings

# A task handler's one route: Cloud Tasks POSTs the task to the function's URL.
TASK_ROUTES = route_map(Rule("/", methods=["POST"], endpoint="task"))
Deps = TypeVar("Deps", bound=Dependencies[Any])
Task = TypeVar("Task", bound=BaseModel)

# Tests replace this; production verifies against Google's published certificates.
verify_token = id_token.verify_oauth2_token


def serve_task(
    request: flask.Request,
    deps: Deps,
    handler: str,
    audience: str,
    model: type[Task],
    run: Callable[[flask.Request, Deps, Task], flask.Response],
) -> flask.Response:
    """Serves the Cloud Task `handler` (its entry point's name, for the log): authenticates the
    caller for `audience` before anything reads the body (401, 403), then bounds and parses
    the body as `model` and hands it to `run`. A body too large or malformed is acknowledged
    (a 200 and an ERROR log), never run."""

    def task(request: flask.Request, deps: Deps) -> flask.Response:
        verify_task_caller(request.headers, deps.settings, audience)
        try:
            request_body.bound(request, request_body.body_limit(request, deps.settings, None))
            body = parse_json(request, model)
        except (InvalidRequest, PayloadTooLarge) as exc:
            return acknowledge_unreadable(handler, exc.detail)
        return run(request, deps, body)

    return serve(request, TASK_ROUTES, {"task": task}, deps, bound_body=False)


def verify_task_caller(
    headers: Headers | Mapping[str, str], settings: TaskAuthSettings, audience: str
) -> None:
    """Raises unless the request carries a valid token of TASKS_INVOKER_SERVICE_ACCOUNT."""
    verify_oidc_caller(
        headers,
        settings.tasks_invoker_service_account,
        audience,
        settings.dev_allow_unauthenticated_tasks,
    )


def verify_scheduler_caller(
    headers: Headers | Mapping[str, str], settings: SchedulerAuthSettings
) -> None:
    """Raises unless the request carries a valid token of RETENTION_SCHEDULER_SERVICE_ACCOUNT
    for RETENTION_SWEEPER_URL: Cloud Scheduler's job, as Terraform configures it."""
    verify_oidc_caller(
        headers,
        settings.retention_scheduler_service_account,
        str(settings.retention_sweeper_url),
        settings.dev_allow_unauthenticated_tasks,
    )


def verify_oidc_caller(
    headers: Headers | Mapping[str, str],
    invoker: str | None,
    audience: str,
    allow_unauthenticated: bool,
) -> None:
    """A Google OIDC token of the `invoker` account, issued for `audience` (the handler's URL).
    `allow_unauthenticated`: the local stack, whose emulators cannot mint tokens."""
    if allow_unauthenticated:
        return
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Missing task token")
    try:
        claims = verify_token(
            token.strip(), google.auth.transport.requests.Request(), audience=audience
        )
    except auth_exceptions.TransportError as exc:
        raise BackendUnavailable("Google's token certificates are unreachable") from exc
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise Unauthenticated("Invalid task token") from exc
    if not invoker or not claims.get("email_verified") or claims.get("email") != invoker:
        raise Forbidden("This task token is not the queue's")
