"""HTTP endpoints of the build-upload API; each parses, calls one service function, answers."""

import flask
from werkzeug.routing import Rule

from apkdrop.accounts import authenticate
from apkdrop.builds import service
from apkdrop.builds.models import BuildRegistration
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, parse_json, positive_id, route_map, serve
from apkdrop.settings import BuildApiSettings

PROJECT = "/api/v1/projects/<project>"
ROUTES = route_map(
    Rule(f"{PROJECT}/build-uploads", methods=["POST"], endpoint="create_context"),
    Rule(f"{PROJECT}/build-uploads/<context_id>", methods=["GET"], endpoint="get_context"),
    Rule(f"{PROJECT}/builds", methods=["POST"], endpoint="register_build"),
    Rule(f"{PROJECT}/builds/<build_id>", methods=["GET"], endpoint="get_build"),
)


def create_context(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    return json_response(service.create_context(deps, account, project))


def get_context(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str, context_id: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    context = positive_id(context_id, "contextId")
    return json_response(service.get_context(deps, account, project, context))


def register_build(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    service.valid_project_name(project)
    registration = parse_json(request, BuildRegistration)
    return json_response(service.register_build(deps, account, project, registration))


def get_build(
    request: flask.Request, deps: Dependencies[BuildApiSettings], project: str, build_id: str
) -> flask.Response:
    account = authenticate(deps.accounts, request.headers)
    build = positive_id(build_id, "buildId")
    return json_response(service.get_build(deps, account, project, build))


VIEWS = {view.__name__: view for view in (create_context, get_context, register_build, get_build)}


def handle(request: flask.Request, deps: Dependencies[BuildApiSettings]) -> flask.Response:
    """Serves one request of the build-upload API."""
    return serve(request, ROUTES, VIEWS, deps)
