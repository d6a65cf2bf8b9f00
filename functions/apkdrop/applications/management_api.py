"""HTTP endpoints of owners' changes: PATCH and DELETE of versions and apps (admin keys only)."""

import flask

from apkdrop.accounts import authenticate_admin
from apkdrop.applications import access_changes, deletion
from apkdrop.applications.models import (
    ApplicationChange,
    ApplicationDetailAnswer,
    VersionAnswer,
    VersionChange,
)
from apkdrop.applications.queries import checked_app_id
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json
from apkdrop.settings import ApplicationApiSettings


def change_version(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings], app_id: str, version: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    change = parse_json(request, VersionChange)
    changed = access_changes.change_version(deps, caller, checked_app_id(app_id), version, change)
    return json_response(VersionAnswer(data=changed))


def change_application(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings], app_id: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    change = parse_json(request, ApplicationChange)
    changed = access_changes.change_application(deps, caller, checked_app_id(app_id), change)
    return json_response(ApplicationDetailAnswer(data=changed))


def delete_version(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings], app_id: str, version: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    deletion.delete_version(deps, caller, checked_app_id(app_id), version)
    return flask.Response(status=204)


def delete_application(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings], app_id: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    deletion.delete_application(deps, caller, checked_app_id(app_id))
    return flask.Response(status=204)


VIEWS = {
    view.__name__: view
    for view in (change_version, change_application, delete_version, delete_application)
}
