"""The Cloud Tasks handler that records a large upload's SHA-256 (a 503 asks for a retry, but
on the queue's last attempt)."""

import flask

from apkdrop.applications.hashing import HashTask, hash_on_attempt
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json, serve
from apkdrop.settings import HashWorkerSettings
from apkdrop.task_attempts import attempt_of
from apkdrop.task_auth import TASK_ROUTES, verify_task_caller


def hash_version(request: flask.Request, deps: Dependencies[HashWorkerSettings]) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.hash_worker_url))
    task = parse_json(request, HashTask)
    outcome = hash_on_attempt(deps, task, attempt_of(request.headers))
    return json_response({"task": task.task_id, "outcome": outcome})


def handle(request: flask.Request, deps: Dependencies[HashWorkerSettings]) -> flask.Response:
    return serve(request, TASK_ROUTES, {"task": hash_version}, deps)
