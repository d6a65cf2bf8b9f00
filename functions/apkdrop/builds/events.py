"""The storage-finalize trigger: a CloudEvent becomes a FinalizedEvent, then settles its build.

Returning acknowledges the event; a raised error (a backend outage) makes Eventarc retry. An
event that can never be read is acknowledged, whether functions_framework or this module finds
it malformed: only Eventarc may call the function (Cloud Run IAM), and it delivers anything
but a 2xx again, for a day.
"""

import flask
from cloudevents.http import CloudEvent
from pydantic import ValidationError

from apkdrop import logs
from apkdrop.builds import settlement
from apkdrop.dependencies import Dependencies
from apkdrop.errors import ApkdropError
from apkdrop.http import (
    acknowledge_unreadable,
    error_response,
    log_unreadable,
    status_of,
    validation_detail,
)
from apkdrop.settings import BuildFinalizedSettings

HANDLER = "build_finalized"
# What functions_framework answers a POST it cannot read as an event.
UNREADABLE_STATUSES = {400, 415}


def handle(event: CloudEvent, deps: Dependencies[BuildFinalizedSettings]) -> None:
    logs.bind_request_id(event["id"])
    try:
        finalized = settlement.FinalizedEvent.model_validate(
            {"id": event["id"], "time": event.get("time"), "object": event.data}
        )
    except ValidationError as exc:
        log_unreadable(HANDLER, validation_detail(exc))
        return
    settlement.handle_finalized(deps, finalized)


def answer_refused(exc: ApkdropError, arguments: dict) -> flask.Response:
    """The answer to what functions_framework refuses or what escapes `handle`: an event it
    cannot read is acknowledged; a wrong method, or an outage (for a retry), is an error."""
    if flask.request.method == "POST" and status_of(exc) in UNREADABLE_STATUSES:
        return acknowledge_unreadable(HANDLER, exc.detail)
    return error_response(exc, arguments)
