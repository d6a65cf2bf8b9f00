"""The Cloud Tasks handler that delivers one event to one hook; a 503 asks for a retry."""

import flask

from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response
from apkdrop.settings import WebhookWorkerSettings
from apkdrop.task_attempts import attempt_of
from apkdrop.task_auth import serve_task
from apkdrop.webhooks import delivery
from apkdrop.webhooks.models import HookTask


def deliver(
    request: flask.Request, deps: Dependencies[WebhookWorkerSettings], task: HookTask
) -> flask.Response:
    outcome = delivery.deliver(deps, task, attempt_of(request.headers))
    return json_response({"delivery": task.delivery_id, "outcome": outcome})


def handle(request: flask.Request, deps: Dependencies[WebhookWorkerSettings]) -> flask.Response:
    audience = str(deps.settings.webhook_worker_url)
    return serve_task(request, deps, "deliver_webhook", audience, HookTask, deliver)
