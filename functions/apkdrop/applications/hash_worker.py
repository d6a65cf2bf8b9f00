"""The Cloud Tasks handler that records a large upload's SHA-256 (a 503 asks for a retry)."""

import flask

from apkdrop.applications.hashing import HashTask, record_hash
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json, serve
from apkdrop.settings import HashWorkerSettings
from apkdrop.task_auth import TASK_ROUTES, verify_task_caller


def hash_version(request: flask.Request, deps: Dependencies[HashWorkerSettings]) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.hash_worker_url))
    task = parse_json(request, HashTask)
    return json_response({"task": task.task_id, "outcome": record_hash(deps, task)})


def handle(request: flask.Request, deps: Dependencies[HashWorkerSettings]) -> flask.Response:
    return serve(request, TASK_ROUTES, {"task": hash_version}, deps)
