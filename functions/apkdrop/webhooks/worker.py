"""The Cloud Tasks handler that delivers one event to one hook; a 503 asks for a retry."""

import flask

from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json, serve
from apkdrop.settings import WebhookWorkerSettings
from apkdrop.task_attempts import attempt_of
from apkdrop.task_auth import TASK_ROUTES, verify_task_caller
from apkdrop.webhooks import delivery
from apkdrop.webhooks.models import HookTask


def deliver(request: flask.Request, deps: Dependencies[WebhookWorkerSettings]) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.webhook_worker_url))
    task = parse_json(request, HookTask)
    outcome = delivery.deliver(deps, task, attempt_of(request.headers))
    return json_response({"delivery": task.delivery_id, "outcome": outcome})


def handle(request: flask.Request, deps: Dependencies[WebhookWorkerSettings]) -> flask.Response:
    return serve(request, TASK_ROUTES, {"task": deliver}, deps)
