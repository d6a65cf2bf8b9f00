"""`GET /v1/audit`: the account's management events, newest first (admin keys only)."""

import flask

from apkdrop.accounts import authenticate_admin
from apkdrop.audit import service
from apkdrop.dependencies import Dependencies
from apkdrop.http import json_response
from apkdrop.paging import TIME_CURSOR, page_request
from apkdrop.settings import PagingSettings


def list_events(request: flask.Request, deps: Dependencies[PagingSettings]) -> flask.Response:
    caller = authenticate_admin(deps.accounts, request.headers)
    page = page_request(request.args, TIME_CURSOR, deps.settings.max_page_size)
    return json_response(service.account_events(deps, caller, page))
