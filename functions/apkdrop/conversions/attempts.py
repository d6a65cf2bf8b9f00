"""The bundle-conversions queue's attempts (task_attempts.py): the mark is the PENDING
conversion's `unfinishedAttempt`, and giving up records FAILED with the reason."""

import logging

from apkdrop.conversions import service
from apkdrop.conversions.models import Conversion, ConversionState, ConversionTask
from apkdrop.dependencies import Dependencies
from apkdrop.logs import log_fields
from apkdrop.settings import BundleConverterSettings
from apkdrop.task_attempts import run_attempt

log = logging.getLogger(__name__)


def convert_on_attempt(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask, attempt: int
) -> str:
    """Converts the task's bundle on the queue's `attempt` (1 the first); returns what
    happened. Raises for a retry, but on the queue's last attempt."""
    version = service.waiting_version(deps, task)
    if isinstance(version, str):
        return version
    assert version.conversion is not None  # waiting: PENDING

    # The store keeps the sweep's `requeued` (this read may predate it).
    def mark(number: int | None) -> bool:
        pending = Conversion(state=ConversionState.PENDING, unfinishedAttempt=number)
        return service.record(deps, task, pending)

    def give_up(reason: str) -> str:
        if not service.record(deps, task, Conversion(state=ConversionState.FAILED, reason=reason)):
            return "changed"
        log.warning("conversion %s", reason, extra=log_fields(task=task.task_id))
        return "gave up"

    marked = version.conversion.unfinishedAttempt
    if marked is not None and service.universal_apk_stored(deps, version):
        marked = None  # killed after it stored the APK: what is left is cheap, so not given up
    return run_attempt(
        attempt,
        deps.settings.conversion_max_attempts,
        marked,
        mark,
        lambda: service.convert(deps, task, version),
        give_up,
    )
