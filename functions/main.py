"""Cloud Functions entry points, thin and lazy: each imports its feature and builds only its
function's adapters on its first call (python-docs-samples' "lazy globals"), so a cold start
loads no other function's libraries. Settings are validated at import, on every function.
"""

import functools
from collections.abc import Callable

import flask
import functions_framework
from cloudevents.http import CloudEvent

from apkdrop import logs, wiring
from apkdrop.dependencies import Dependencies
from apkdrop.http import error_response, framework_error
from apkdrop.settings import Settings

# Its required fields come from the environment, which a type checker cannot see.
settings = Settings()  # pyright: ignore[reportCallIssue]
logs.configure(settings.log_level)


@functools.cache
def dependencies(function: str) -> Dependencies:
    """The adapters of one function of routes.json, built once per instance."""
    return wiring.dependencies_for(function, settings)


# On the app functions_framework is loading this module for.
@functions_framework.errorhandler(Exception)
def framework_errors(exc: Exception) -> flask.Response:
    """What functions_framework refuses before a function runs (a GET on the event function,
    /favicon.ico) or what escapes one answers as the function's own errors do."""
    render: Callable = error_response
    if flask.current_app.name == "install_pages":  # its errors are its HTML pages
        from apkdrop.install_pages.rendering import error_page

        render = error_page
    return framework_error(exc, render)


@functions_framework.http
def build_api(request: flask.Request) -> flask.Response:
    """The build-upload API: upload contexts, builds and their signed upload URLs."""
    from apkdrop.builds import api

    return api.handle(request, dependencies("build-api"))


@functions_framework.http
def application_api(request: flask.Request) -> flask.Response:
    """The application upload API: uploads (file, URL or large upload), apps and versions."""
    from apkdrop.applications import api

    return api.handle(request, dependencies("application-api"))


@functions_framework.http
def install_pages(request: flask.Request) -> flask.Response:
    """The pages behind the magic links, and email sign-in for private apps."""
    from apkdrop.install_pages import views

    return views.handle(request, dependencies("install-pages"))


@functions_framework.cloud_event
def build_finalized(event: CloudEvent) -> None:
    """Storage finalize trigger: inspects the uploaded APK and closes its build."""
    from apkdrop.builds import events

    events.handle(event, dependencies("build-finalized"))


@functions_framework.http
def expire_build_upload(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: fails a build whose upload never arrived (a 503 asks for a retry)."""
    from apkdrop.builds import expiry

    return expiry.handle(request, dependencies("build-upload-expiry"))


@functions_framework.http
def send_email(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: sends one email (an upload's, or a sign-in link), once."""
    from apkdrop.notifications import worker

    return worker.handle(request, dependencies("email-worker"))
