"""HTTP endpoints of an app's retention policy: GET (any key) and PUT (admin keys)."""

import flask
from werkzeug.routing import Rule

from apkdrop.accounts import authenticate, authenticate_admin
from apkdrop.applications.queries import checked_app_id
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json
from apkdrop.retention import policies
from apkdrop.retention.models import RetentionAnswer, RetentionPolicy
from apkdrop.settings import RetentionPolicySettings

RULES = (
    Rule("/v1/application/<app_id>/retention", methods=["GET"], endpoint="get_retention"),
    Rule("/v1/application/<app_id>/retention", methods=["PUT"], endpoint="set_retention"),
)


def get_retention(
    request: flask.Request, deps: Dependencies[object], app_id: str
) -> flask.Response:
    caller = authenticate(deps.accounts, request.headers)
    policy = policies.app_policy(deps, caller, checked_app_id(app_id))
    return json_response(RetentionAnswer(data=policy))


def set_retention(
    request: flask.Request, deps: Dependencies[RetentionPolicySettings], app_id: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    policy = parse_json(request, RetentionPolicy)
    changed = policies.set_app_policy(deps, caller, checked_app_id(app_id), policy)
    return json_response(RetentionAnswer(data=changed))


VIEWS = {view.__name__: view for view in (get_retention, set_retention)}
