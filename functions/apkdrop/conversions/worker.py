"""The Cloud Tasks handler that converts an uploaded bundle (a 503 asks for a retry, but on the
queue's last attempt)."""

import flask

from apkdrop.conversions.attempts import convert_on_attempt
from apkdrop.conversions.models import ConversionTask
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response
from apkdrop.settings import BundleConverterSettings
from apkdrop.task_attempts import attempt_of
from apkdrop.task_auth import serve_task


def convert_version(
    request: flask.Request, deps: Dependencies[BundleConverterSettings], task: ConversionTask
) -> flask.Response:
    outcome = convert_on_attempt(deps, task, attempt_of(request.headers))
    return json_response({"task": task.task_id, "outcome": outcome})


def handle(request: flask.Request, deps: Dependencies[BundleConverterSettings]) -> flask.Response:
    audience = str(deps.settings.bundle_converter_url)
    return serve_task(request, deps, "convert_bundle", audience, ConversionTask, convert_version)
