"""HTTP endpoints of the build-upload API; each parses, calls one service function, answers.

The one place where project names and ids are checked.
"""

import flask
from werkzeug.routing import Rule

from apkdrop.accounts import authenticate, authenticate_admin
from apkdrop.builds import deletion, retention, service
from apkdrop.builds.models import BuildRegistration, ProjectRetention
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest
from apkdrop.http import json_response, no_content, parse_json, positive_id, route_map, serve
from apkdrop.ids import PROJECT_NAME
from apkdrop.settings import BuildApiSettings

PROJECT = "/api/v1/projects/<project>"
ROUTES = route_map(
    Rule(f"{PROJECT}/build-uploads", methods=["POST"], endpoint="create_context"),
    Rule(f"{PROJECT}/build-uploads/<context_id>", methods=["GET"], endpoint="get_context"),
    Rule(f"{PROJECT}/builds", methods=["POST"], endpoint="register_build"),
    Rule(f"{PROJECT}/builds/<build_id>", methods=["GET"], endpoint="get_build"),
    Rule(f"{PROJECT}/builds/<build_id>", methods=["DELETE"], endpoint="delete_build"),
    Rule(f"{PROJECT}/build-uploads/<context_id>", methods=["DELETE"], endpoint="delete_context"),
    Rule(f"{PROJECT}/retention", methods=["GET"], endpoint="get_retention"),
    Rule(f"{PROJECT}/retention", methods=["PUT"], endpoint="set_retention"),
)


def create_context(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    return json_response(service.create_context(deps, account, _project_name(project)))


def get_context(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str, context_id: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    context = positive_id(context_id, "contextId")
    return json_response(service.get_context(deps, account, _project_name(project), context))


def register_build(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    project = _project_name(project)
    registration = parse_json(request, BuildRegistration)
    return json_response(service.register_build(deps, account, project, registration))


def get_build(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str, build_id: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    build = positive_id(build_id, "buildId")
    return json_response(service.get_build(deps, account, _project_name(project), build))


def _project_name(text: str) -> str:
    if not PROJECT_NAME.fullmatch(text):
        raise InvalidRequest(
            "projectName must be 1 to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return text


def delete_build(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str, build_id: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    build = positive_id(build_id, "buildId")
    deletion.delete_build(deps, caller, _project_name(project), build)
    return no_content()


def delete_context(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str, context_id: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    context = positive_id(context_id, "contextId")
    deletion.delete_context(deps, caller, _project_name(project), context)
    return no_content()


def get_retention(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    return json_response(retention.project_policy(deps, account, _project_name(project)))


def set_retention(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    project = _project_name(project)
    policy = parse_json(request, ProjectRetention)
    return json_response(retention.set_project_policy(deps, caller, project, policy))


VIEWS = {
    view.__name__: view
    for view in (
        create_context,
        get_context,
        register_build,
        get_build,
        delete_build,
        delete_context,
        get_retention,
        set_retention,
    )
}


def handle(request: flask.Request, deps: Dependencies[BuildApiSettings]) -> flask.Response:
    """Serves one request of the build-upload API."""
    return serve(request, ROUTES, VIEWS, deps)
