"""The Cloud Tasks handler that fails a build whose upload never arrived (a 503 asks for a
retry)."""

import flask
from pydantic import BaseModel, PositiveInt

from apkdrop.builds import settlement
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json, serve
from apkdrop.settings import BuildUploadExpirySettings
from apkdrop.task_auth import TASK_ROUTES, verify_task_caller


class ExpiryTask(BaseModel):
    buildId: PositiveInt


def expire(request: flask.Request, deps: Dependencies[BuildUploadExpirySettings]) -> flask.Response:
    verify_task_caller(request.headers, deps.settings, str(deps.settings.upload_expiry_url))
    task = parse_json(request, ExpiryTask)
    build = settlement.expire_upload(deps, task.buildId)
    return json_response({"buildId": task.buildId, "uploadState": build and build.uploadState})


def handle(request: flask.Request, deps: Dependencies[BuildUploadExpirySettings]) -> flask.Response:
    return serve(request, TASK_ROUTES, {"task": expire}, deps)
