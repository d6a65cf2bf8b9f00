"""The Cloud Tasks handler that sends one email (an upload's, or a sign-in link), once; a 503
asks for a retry."""

import flask

from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response
from apkdrop.notifications import delivery
from apkdrop.notifications.models import EmailTaskBody
from apkdrop.settings import EmailWorkerSettings
from apkdrop.task_auth import serve_task


def send(
    request: flask.Request, deps: Dependencies[EmailWorkerSettings], body: EmailTaskBody
) -> flask.Response:
    task = body.root
    return json_response(
        {"delivery": task.delivery_id, "outcome": delivery.deliver_email(deps, task)}
    )


def handle(request: flask.Request, deps: Dependencies[EmailWorkerSettings]) -> flask.Response:
    audience = str(deps.settings.email_worker_url)
    return serve_task(request, deps, "send_email", audience, EmailTaskBody, send)
