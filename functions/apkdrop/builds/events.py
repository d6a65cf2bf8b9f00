"""The storage-finalize trigger: a CloudEvent becomes a FinalizedEvent, then settles its build.

Returning acknowledges the event; a raised error (a backend outage) makes Eventarc retry.
"""

import logging

from cloudevents.http import CloudEvent
from pydantic import ValidationError

from apkdrop import logs
from apkdrop.builds import settlement
from apkdrop.dependencies import Dependencies
from apkdrop.settings import BuildFinalizedSettings

log = logging.getLogger(__name__)


def handle(event: CloudEvent, deps: Dependencies[BuildFinalizedSettings]) -> None:
    logs.bind_request_id(event["id"])
    try:
        finalized = settlement.FinalizedEvent.model_validate(
            {"id": event["id"], "time": event.get("time"), "object": event.data}
        )
    except ValidationError:
        log.exception("acknowledging a malformed storage event it can never process")
        return
    settlement.handle_finalized(deps, finalized)
