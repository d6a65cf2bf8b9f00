"""Which attempt of its Cloud Task a request is: a handler records its queue's last attempt's
failure for good, since the queue drops the task after it (its max_attempts)."""

from collections.abc import Mapping

from werkzeug.datastructures import Headers

# Cloud Tasks counts a task's retries so far in this header: 0 on its first attempt.
RETRY_COUNT_HEADER = "X-CloudTasks-TaskRetryCount"


def attempt_of(headers: Headers | Mapping[str, str]) -> int:
    """Which attempt of its task this request is, 1 the first (without the header, 1)."""
    retries = headers.get(RETRY_COUNT_HEADER, "")
    counted = retries.isascii() and retries.isdigit() and len(retries) <= 6
    return int(retries) + 1 if counted else 1
