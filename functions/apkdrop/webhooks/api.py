"""`/v1/webhooks`: an account's hooks (admin keys only), served by application-api."""

import flask
from werkzeug.routing import Rule

from apkdrop.accounts import authenticate_admin
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response, no_content, parse_json
from apkdrop.paging import TIME_CURSOR, page_request
from apkdrop.settings import ApplicationApiSettings, PagingSettings
from apkdrop.webhooks import service
from apkdrop.webhooks.models import HookCreatedAnswer, HookList, HookRequest

RULES = (
    Rule("/v1/webhooks", methods=["POST"], endpoint="create_webhook"),
    Rule("/v1/webhooks", methods=["GET"], endpoint="list_webhooks"),
    Rule("/v1/webhooks/<hook_id>", methods=["DELETE"], endpoint="delete_webhook"),
    Rule("/v1/webhooks/<hook_id>/deliveries", methods=["GET"], endpoint="list_deliveries"),
)


def create_webhook(
    request: flask.Request, deps: Dependencies[ApplicationApiSettings]
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    hook = service.register(deps, caller, parse_json(request, HookRequest))
    return json_response(HookCreatedAnswer(data=hook), 201)


def list_webhooks(request: flask.Request, deps: Dependencies[object]) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    return json_response(HookList(data=service.account_hooks(deps, caller)))


def delete_webhook(
    request: flask.Request, deps: Dependencies[object], hook_id: str
) -> flask.Response:
    service.remove(deps, authenticate_admin(deps.accounts, request.headers), hook_id)
    return no_content()


def list_deliveries(
    request: flask.Request, deps: Dependencies[PagingSettings], hook_id: str
) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    page = page_request(request.args, TIME_CURSOR, deps.settings.max_page_size)
    return json_response(service.deliveries(deps, caller, hook_id, page))


VIEWS = {
    view.__name__: view for view in (create_webhook, list_webhooks, delete_webhook, list_deliveries)
}
