"""The Cloud Tasks handler that sends one email (an upload's, or a sign-in link), once; a 503
asks for a retry."""

import flask

from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json, serve
from apkdrop.notifications import delivery
from apkdrop.notifications.models import EmailTaskBody
from apkdrop.settings import EmailWorkerSettings
from apkdrop.task_auth import TASK_ROUTES, verify_task_caller


def send(request: flask.Request, deps: Dependencies[EmailWorkerSettings]) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.email_worker_url))
    task = parse_json(request, EmailTaskBody).root
    return json_response(
        {"delivery": task.delivery_id, "outcome": delivery.deliver_email(deps, task)}
    )


def handle(request: flask.Request, deps: Dependencies[EmailWorkerSettings]) -> flask.Response:
    return serve(request, TASK_ROUTES, {"task": send}, deps)
