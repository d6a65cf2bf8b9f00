"""Cloud Functions entry points. Each one parses its input, calls one service, maps the result."""

import logging

import flask
import functions_framework
from cloudevents.http import CloudEvent
from pydantic import BaseModel, PositiveInt, ValidationError
from werkzeug.routing import Rule

from apkdrop import logs
from apkdrop.applications import api as application_api_routes
from apkdrop.builds import api as build_api_routes
from apkdrop.builds import settlement
from apkdrop.dependencies import Dependencies
from apkdrop.http import (
    error_response,
    framework_error,
    json_response,
    parse_json,
    route_map,
    serve,
)
from apkdrop.install_pages import views as install_pages_views
from apkdrop.install_pages.rendering import error_page
from apkdrop.notifications import delivery
from apkdrop.notifications.models import EmailTaskBody
from apkdrop.settings import Settings
from apkdrop.task_auth import verify_task_caller

# Its required fields come from the environment, which a type checker cannot see.
settings = Settings()  # pyright: ignore[reportCallIssue]
logs.configure(settings.log_level)
deps = Dependencies.from_settings(settings)
log = logging.getLogger("apkdrop.main")
# The install pages answer errors with their page, every other function with JSON.
ERROR_RENDERERS = {"install_pages": error_page}


# On the app functions_framework is loading this module for.
@functions_framework.errorhandler(Exception)
def framework_errors(exc: Exception) -> flask.Response:
    """What functions_framework refuses before a function runs (a GET on the event function,
    /favicon.ico) or what escapes one answers as the function's own errors do."""
    return framework_error(exc, ERROR_RENDERERS.get(flask.current_app.name, error_response))


@functions_framework.http
def build_api(request: flask.Request) -> flask.Response:
    """The build-upload API: upload contexts, builds and their signed upload URLs."""
    return build_api_routes.handle(request, deps)


@functions_framework.http
def application_api(request: flask.Request) -> flask.Response:
    """The application upload API: uploads (file, URL or large upload), apps and versions."""
    return application_api_routes.handle(request, deps)


@functions_framework.http
def install_pages(request: flask.Request) -> flask.Response:
    """The pages behind the magic links, and email sign-in for private apps."""
    return install_pages_views.handle(request, deps)


@functions_framework.cloud_event
def build_finalized(event: CloudEvent) -> None:
    """Storage finalize trigger: inspects the uploaded APK and closes its build.

    Returning acknowledges the event; a raised error (a backend outage) makes Eventarc retry.
    """
    logs.bind_request_id(event["id"])
    try:
        finalized = settlement.FinalizedEvent.model_validate(
            {"id": event["id"], "time": event.get("time"), "object": event.data}
        )
    except ValidationError:
        log.exception("acknowledging a malformed storage event it can never process")
        return
    settlement.handle_finalized(deps, finalized)


TASK_ROUTES = route_map(Rule("/", methods=["POST"], endpoint="task"))


class ExpiryTask(BaseModel):
    buildId: PositiveInt


def _expire(request: flask.Request, deps: Dependencies) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.upload_expiry_url))
    task = parse_json(request, ExpiryTask)
    build = settlement.expire_upload(deps, task.buildId)
    return json_response({"buildId": task.buildId, "uploadState": build and build.uploadState})


@functions_framework.http
def expire_build_upload(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: fails a build whose upload never arrived (a 503 asks for a retry)."""
    return serve(request, TASK_ROUTES, {"task": _expire}, deps)


def _send(request: flask.Request, deps: Dependencies) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.email_worker_url))
    task = parse_json(request, EmailTaskBody).root
    return json_response(
        {"delivery": task.delivery_id, "outcome": delivery.deliver_email(deps, task)}
    )


@functions_framework.http
def send_email(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: sends one email (an upload's, or a sign-in link), once.

    A 503 asks Cloud Tasks for a retry.
    """
    return serve(request, TASK_ROUTES, {"task": _send}, deps)
