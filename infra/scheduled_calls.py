"""Plays Cloud Scheduler for the local stack: POSTs to a function on a fixed interval, on a
thread of its own, as the Terraform job does (without its OIDC token: the local stack sets
DEV_ALLOW_UNAUTHENTICATED_TASKS, so the function checks none)."""

import logging
import threading

import httpx

log = logging.getLogger("infra.scheduled_calls")

CALL_TIMEOUT_SECONDS = 600  # a sweep is bounded by RETENTION_MAX_DELETIONS_PER_RUN


class ScheduledCalls(threading.Thread):
    """One call every `interval_seconds` (the first after one interval); a failed call is
    logged and the next one comes on time, as a scheduler job's next run does."""

    def __init__(self, name: str, target_url: str, interval_seconds: float) -> None:
        super().__init__(name=f"scheduled-{name}", daemon=True)
        self._target_url = target_url
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._http = httpx.Client(timeout=CALL_TIMEOUT_SECONDS)

    def run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                answer = self._http.post(self._target_url)
            except httpx.TransportError as exc:
                log.warning("scheduled call to %s failed: %s", self._target_url, exc)
                continue
            if not answer.is_success:
                log.warning("%s answered %s", self._target_url, answer.status_code)

    def stop(self) -> None:
        self._stopping.set()
        if self.ident is not None:  # started
            self.join(timeout=5)
        self._http.close()
