"""The Cloud Tasks handler that fails a build whose upload never arrived (a 503 asks for a
retry)."""

import flask
from pydantic import BaseModel, PositiveInt

from apkdrop.builds import settlement
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response
from apkdrop.settings import BuildUploadExpirySettings
from apkdrop.task_auth import serve_task


class ExpiryTask(BaseModel):
    buildId: PositiveInt


def expire(
    request: flask.Request, deps: Dependencies[BuildUploadExpirySettings], task: ExpiryTask
) -> flask.Response:
    build = settlement.expire_upload(deps, task.buildId)
    return json_response({"buildId": task.buildId, "uploadState": build and build.uploadState})


def handle(request: flask.Request, deps: Dependencies[BuildUploadExpirySettings]) -> flask.Response:
    audience = str(deps.settings.upload_expiry_url)
    return serve_task(request, deps, "expire_build_upload", audience, ExpiryTask, expire)
