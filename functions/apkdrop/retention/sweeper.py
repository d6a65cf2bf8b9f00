"""The retention-sweeper function: Cloud Scheduler's target (a 503 asks for a retry)."""

import flask

from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, serve
from apkdrop.retention.sweep import sweep
from apkdrop.settings import RetentionSweeperSettings
from apkdrop.task_auth import TASK_ROUTES, verify_scheduler_caller


def run(request: flask.Request, deps: Dependencies[RetentionSweeperSettings]) -> flask.Response:
    verify_scheduler_caller(request.headers, deps.settings)
    return json_response(sweep(deps))


def handle(request: flask.Request, deps: Dependencies[RetentionSweeperSettings]) -> flask.Response:
    return serve(request, TASK_ROUTES, {"task": run}, deps)
