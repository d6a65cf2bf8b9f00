"""The bundle-conversions queue's attempts: none leaves a version PENDING once the queue drops
its task (after CONVERSION_MAX_ATTEMPTS).

Every attempt but the last marks the PENDING conversion as its own (`unfinishedAttempt`)
before converting, and takes the mark back when it fails for a retry: only an attempt killed
outright (out of memory, the function's timeout) leaves it. The last attempt that finds a mark
gives up at once, rather than be killed too; one that fails gives up instead of asking for a
retry. Either way it records FAILED ("gave up after N attempts: why") and acknowledges.
"""

import contextlib
import logging

from apkdrop.conversions import service
from apkdrop.conversions.bundletool import MAX_REASON_CHARS
from apkdrop.conversions.models import Conversion, ConversionState, ConversionTask
from apkdrop.dependencies import Dependencies
from apkdrop.errors import ApkdropError, BackendUnavailable
from apkdrop.logs import log_fields
from apkdrop.settings import BundleConverterSettings

log = logging.getLogger(__name__)
KILLED = "attempt {} stopped without an answer (out of memory, or out of time)"
UNEXPECTED = "an unexpected error"


def run_attempt(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask, attempt: int
) -> str:
    """Converts the task's bundle on the queue's `attempt` (1 the first); returns what
    happened. Raises for a retry, but on the queue's last attempt."""
    version = service.waiting_version(deps, task)
    if isinstance(version, str):
        return version
    if attempt < deps.settings.conversion_max_attempts:
        mark = Conversion(state=ConversionState.PENDING, unfinishedAttempt=attempt)
        if not service.record(deps, task, mark):
            return "changed"
        try:
            return service.convert(deps, task, version)
        except Exception:
            with contextlib.suppress(BackendUnavailable):  # then the last attempt gives up
                service.record(deps, task, Conversion(state=ConversionState.PENDING))
            raise
    assert version.conversion is not None  # waiting: PENDING
    killed = version.conversion.unfinishedAttempt
    if killed is not None:
        return _give_up(deps, task, attempt, KILLED.format(killed))
    try:
        return service.convert(deps, task, version)
    except Exception as exc:  # what would answer 503 or 500: a retry the queue has not left
        if not isinstance(exc, ApkdropError):
            log.error("unexpected error on the last attempt: %r", exc, exc_info=exc)
            return _give_up(deps, task, attempt, UNEXPECTED)
        log.warning("the last attempt failed: %s", exc.__cause__ or exc, exc_info=exc.__cause__)
        return _give_up(deps, task, attempt, exc.detail)


def _give_up(
    deps: Dependencies[BundleConverterSettings], task: ConversionTask, attempt: int, why: str
) -> str:
    reason = f"gave up after {attempt} attempts: {why[:MAX_REASON_CHARS]}"
    failed = Conversion(state=ConversionState.FAILED, reason=reason)
    if not service.record(deps, task, failed):
        return "changed"
    log.warning("conversion %s", reason, extra=log_fields(task=task.task_id))
    return "gave up"
