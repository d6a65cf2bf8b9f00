"""Cloud Functions entry points, thin and lazy: each imports its feature and builds only its
function's adapters on its first call (python-docs-samples' "lazy globals"), so a cold start
loads no other function's libraries. Each function reads only its own settings: those of the
function an instance serves are validated at import.
"""

import os
from collections.abc import Callable

import flask
import functions_framework
from cloudevents.http import CloudEvent

from apkdrop import logs
from apkdrop.http import error_response, framework_error
from apkdrop.settings import (
    ApplicationApiSettings,
    BuildApiSettings,
    BuildFinalizedSettings,
    BuildUploadExpirySettings,
    BundleConverterSettings,
    EmailWorkerSettings,
    HashWorkerSettings,
    InstallPagesSettings,
    RetentionSweeperSettings,
    WebhookWorkerSettings,
)
from apkdrop.wiring import Function

BUILD_API = Function("build-api", BuildApiSettings)
APPLICATION_API = Function("application-api", ApplicationApiSettings)
INSTALL_PAGES = Function("install-pages", InstallPagesSettings)
BUILD_FINALIZED = Function("build-finalized", BuildFinalizedSettings)
BUILD_UPLOAD_EXPIRY = Function("build-upload-expiry", BuildUploadExpirySettings)
EMAIL_WORKER = Function("email-worker", EmailWorkerSettings)
RETENTION_SWEEPER = Function("retention-sweeper", RetentionSweeperSettings)
HASH_WORKER = Function("hash-worker", HashWorkerSettings)
WEBHOOK_WORKER = Function("webhook-worker", WebhookWorkerSettings)
BUNDLE_CONVERTER = Function("bundle-converter", BundleConverterSettings)

# Entry point -> its function. Cloud Functions sets FUNCTION_TARGET to the entry point an
# instance serves (functions-framework --target does too): a misconfigured deployment fails
# to start instead of failing its first request.
ENTRY_POINTS = {
    "build_api": BUILD_API,
    "application_api": APPLICATION_API,
    "install_pages": INSTALL_PAGES,
    "build_finalized": BUILD_FINALIZED,
    "expire_build_upload": BUILD_UPLOAD_EXPIRY,
    "send_email": EMAIL_WORKER,
    "sweep_retention": RETENTION_SWEEPER,
    "hash_apk": HASH_WORKER,
    "deliver_webhook": WEBHOOK_WORKER,
    "convert_bundle": BUNDLE_CONVERTER,
}
if (served := ENTRY_POINTS.get(os.environ.get("FUNCTION_TARGET", ""))) is not None:
    logs.configure(served.settings.log_level)


# On the app functions_framework is loading this module for.
@functions_framework.errorhandler(Exception)
def framework_errors(exc: Exception) -> flask.Response:
    """What functions_framework refuses before a function runs (a GET on the event function,
    /favicon.ico) or what escapes one answers as the function's own errors do."""
    render: Callable = error_response
    if flask.current_app.name == "install_pages":  # its errors are its HTML pages
        from apkdrop.install_pages.rendering import error_page

        render = error_page
    elif flask.current_app.name == "build_finalized":  # an unreadable event is acknowledged
        from apkdrop.builds import events

        render = events.answer_refused
    return framework_error(exc, render)


@functions_framework.http
def build_api(request: flask.Request) -> flask.Response:
    """The build-upload API: upload contexts, builds and their signed upload URLs."""
    from apkdrop.builds import api

    return api.handle(request, BUILD_API.dependencies)


@functions_framework.http
def application_api(request: flask.Request) -> flask.Response:
    """The application upload API: uploads (file, URL or large upload), apps and versions."""
    from apkdrop.applications import api

    return api.handle(request, APPLICATION_API.dependencies)


@functions_framework.http
def install_pages(request: flask.Request) -> flask.Response:
    """The pages behind the magic links, and email sign-in for private apps."""
    from apkdrop.install_pages import views

    return views.handle(request, INSTALL_PAGES.dependencies)


@functions_framework.cloud_event
def build_finalized(event: CloudEvent) -> None:
    """Storage finalize trigger: inspects the uploaded APK and closes its build."""
    from apkdrop.builds import events

    events.handle(event, BUILD_FINALIZED.dependencies)


@functions_framework.http
def expire_build_upload(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: fails a build whose upload never arrived (a 503 asks for a retry)."""
    from apkdrop.builds import expiry

    return expiry.handle(request, BUILD_UPLOAD_EXPIRY.dependencies)


@functions_framework.http
def send_email(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: sends one email (an upload's, or a sign-in link), once."""
    from apkdrop.notifications import worker

    return worker.handle(request, EMAIL_WORKER.dependencies)


@functions_framework.http
def sweep_retention(request: flask.Request) -> flask.Response:
    """Cloud Scheduler target: deletes what retention policies expire, a bounded batch a run."""
    from apkdrop.retention import sweeper

    return sweeper.handle(request, RETENTION_SWEEPER.dependencies)


@functions_framework.http
def hash_apk(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: records a large upload's SHA-256 (a 503 asks for a retry)."""
    from apkdrop.applications import hash_worker

    return hash_worker.handle(request, HASH_WORKER.dependencies)


@functions_framework.http
def deliver_webhook(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: delivers one event to one webhook, at most once successfully."""
    from apkdrop.webhooks import worker

    return worker.handle(request, WEBHOOK_WORKER.dependencies)


@functions_framework.http
def convert_bundle(request: flask.Request) -> flask.Response:
    """Cloud Tasks target: builds and stores an App Bundle's universal APK, once."""
    from apkdrop.conversions import worker

    return worker.handle(request, BUNDLE_CONVERTER.dependencies)
