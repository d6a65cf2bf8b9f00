"""The Cloud Tasks handler that records a large upload's SHA-256 (a 503 asks for a retry, but
on the queue's last attempt)."""

import flask

from apkdrop.applications.hashing import HashTask, hash_on_attempt
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response
from apkdrop.settings import HashWorkerSettings
from apkdrop.task_attempts import attempt_of
from apkdrop.task_auth import serve_task


def hash_version(
    request: flask.Request, deps: Dependencies[HashWorkerSettings], task: HashTask
) -> flask.Response:
    outcome = hash_on_attempt(deps, task, attempt_of(request.headers))
    return json_response({"task": task.task_id, "outcome": outcome})


def handle(request: flask.Request, deps: Dependencies[HashWorkerSettings]) -> flask.Response:
    audience = str(deps.settings.hash_worker_url)
    return serve_task(request, deps, "hash_apk", audience, HashTask, hash_version)
