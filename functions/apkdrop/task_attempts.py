"""A Cloud Task's attempts: none leaves its work waiting for ever once the queue drops the task
after its max_attempts.

Every attempt but the last marks the work as its own before doing it, and takes the mark back
when it fails for a retry: only an attempt killed outright (out of memory, the function's
timeout) leaves it. The last attempt that finds a mark gives up at once, rather than be killed
too; one that fails gives up instead of asking for a retry. Either way it records the failure
for good ("gave up after N attempts: why") and acknowledges.
"""

import contextlib
import logging
from collections.abc import Callable, Mapping

from werkzeug.datastructures import Headers

from apkdrop.errors import ApkdropError, BackendUnavailable

log = logging.getLogger(__name__)
# Cloud Tasks counts a task's retries so far in this header: 0 on its first attempt.
RETRY_COUNT_HEADER = "X-CloudTasks-TaskRetryCount"
KILLED = "attempt {} stopped without an answer (out of memory, or out of time)"
UNEXPECTED = "an unexpected error"
# An error's own words, at most this much of them, go in a recorded reason.
MAX_WHY_CHARS = 500


def attempt_of(headers: Headers | Mapping[str, str]) -> int:
    """Which attempt of its task this request is, 1 the first (without the header, 1)."""
    retries = headers.get(RETRY_COUNT_HEADER, "")
    counted = retries.isascii() and retries.isdigit() and len(retries) <= 6
    return int(retries) + 1 if counted else 1


def run_attempt(
    attempt: int,
    max_attempts: int,
    marked: int | None,
    mark: Callable[[int | None], bool],
    work: Callable[[], str],
    give_up: Callable[[str], str],
) -> str:
    """Does `work` on the queue's `attempt` (1 the first) and returns what happened; raises
    for a retry, but on the last one. `marked` is the mark an earlier attempt left; `mark`
    records this attempt's (None takes it back), False if the work is gone meanwhile;
    `give_up` records the failure for good with its reason."""
    if attempt < max_attempts:
        if not mark(attempt):
            return "changed"
        try:
            return work()
        except Exception:
            with contextlib.suppress(BackendUnavailable):  # then the last attempt gives up
                mark(None)
            raise
    if marked is not None:
        return give_up(_gave_up(attempt, KILLED.format(marked)))
    try:
        return work()
    except Exception as exc:  # what would answer 503 or 500: a retry the queue has not left
        if not isinstance(exc, ApkdropError):
            log.error("unexpected error on the last attempt: %r", exc, exc_info=exc)
            return give_up(_gave_up(attempt, UNEXPECTED))
        log.warning("the last attempt failed: %s", exc.__cause__ or exc, exc_info=exc.__cause__)
        return give_up(_gave_up(attempt, exc.detail))


def _gave_up(attempt: int, why: str) -> str:
    return f"gave up after {attempt} attempts: {why[:MAX_WHY_CHARS]}"
