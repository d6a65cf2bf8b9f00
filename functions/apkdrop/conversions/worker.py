"""The Cloud Tasks handler that converts an uploaded bundle (a 503 asks for a retry, but on the
queue's last attempt)."""

import flask

from apkdrop.conversions.attempts import convert_on_attempt
from apkdrop.conversions.models import ConversionTask
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json, serve
from apkdrop.settings import BundleConverterSettings
from apkdrop.task_attempts import attempt_of
from apkdrop.task_auth import TASK_ROUTES, verify_task_caller


def convert_version(
    request: flask.Request, deps: Dependencies[BundleConverterSettings]
) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.bundle_converter_url))
    task = parse_json(request, ConversionTask)
    outcome = convert_on_attempt(deps, task, attempt_of(request.headers))
    return json_response({"task": task.task_id, "outcome": outcome})


def handle(request: flask.Request, deps: Dependencies[BundleConverterSettings]) -> flask.Response:
    return serve(request, TASK_ROUTES, {"task": convert_version}, deps)
