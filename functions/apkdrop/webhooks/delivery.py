"""The worker's side: delivering one event to one hook, at most once successfully.

A 2xx acknowledges; a 429 or 5xx, a timeout or a connection failure asks Cloud Tasks for a
retry (the webhooks queue's backoff), but for the queue's last attempt (WEBHOOK_MAX_ATTEMPTS),
which fails the delivery for good, as any other answer does, and a URL the guard refuses now
(DNS changes).
"""

import datetime
import json
import logging

from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, InvalidRequest, Misconfigured
from apkdrop.logs import log_fields
from apkdrop.notifications.ports import Claim
from apkdrop.settings import WebhookWorkerSettings
from apkdrop.ttls import MESSAGE_ICON_URL_TTL
from apkdrop.webhooks import payloads
from apkdrop.webhooks.models import DeliveryState, Hook, HookKind, HookTask
from apkdrop.webhooks.ports import ReceiverUnreachable
from apkdrop.webhooks.signature import hook_secret

log = logging.getLogger(__name__)
# Beyond one POST's timeout: a worker that dies mid-delivery frees it after this.
LEASE_MARGIN = datetime.timedelta(seconds=30)


def is_retryable(status: int) -> bool:
    """Whether a receiver's answer asks to be tried again later."""
    return status == 429 or status >= 500


def deliver(deps: Dependencies[WebhookWorkerSettings], task: HookTask, attempt: int) -> str:
    """Delivers the task's event to its hook on the queue's `attempt` (1 the first); returns
    what happened. Raises BackendUnavailable for a retry, Misconfigured without
    WEBHOOK_SIGNING_KEY."""
    fields = log_fields(delivery=task.delivery_id, event=task.event.type.value)
    hook = deps.webhooks.get_hook(task.hookId)
    if hook is None:
        log.info("the hook was deleted: nothing to deliver", extra=fields)
        return "hook deleted"
    records = deps.webhook_deliveries
    lease = datetime.timedelta(seconds=deps.settings.webhook_timeout_seconds) + LEASE_MARGIN
    claim = records.claim(
        task.delivery_id, hook.id, (task.event.id, task.event.type), lease, deps.clock()
    )
    if claim is Claim.DONE:
        log.info("duplicate task: this event was delivered already", extra=fields)
        return "duplicate"
    if claim is Claim.BUSY:
        raise BackendUnavailable("another worker is delivering this event")

    def finish(state: DeliveryState, status: int | None, error: str | None) -> None:
        records.finish(task.delivery_id, state, status, error, deps.clock())

    last = attempt >= deps.settings.webhook_max_attempts

    def retry(status: int | None, error: str, why: str, cause: Exception | None = None) -> str:
        """A retry, or on the queue's last attempt the delivery failed for good."""
        if last:
            finish(DeliveryState.FAILED, status, f"{error} (gave up after {attempt} attempts)")
            log.warning("webhook given up after %d attempts: %s", attempt, error, extra=fields)
            return "gave up"
        finish(DeliveryState.RETRYING, status, error)
        raise BackendUnavailable(why) from cause

    try:
        body, headers = _request(deps, hook, task)
        status = deps.webhook_sender.post(hook.url, body, headers)
    except InvalidRequest as exc:
        finish(DeliveryState.FAILED, None, exc.detail)
        log.warning("the hook's URL is refused now: %s", exc.detail, extra=fields)
        return "refused"
    except ReceiverUnreachable as exc:
        return retry(None, f"the receiver {exc}", f"the hook's receiver {exc}", exc)
    except (BackendUnavailable, Misconfigured) as exc:
        if last:  # no attempt follows: never left retrying
            return retry(None, exc.detail, exc.detail, exc)
        finish(DeliveryState.RETRYING, None, exc.detail)
        raise
    if 200 <= status < 300:
        finish(DeliveryState.DELIVERED, status, None)
        log.info("webhook delivered", extra=fields)
        return "delivered"
    if is_retryable(status):
        return retry(status, f"HTTP {status}", f"the hook's receiver answered HTTP {status}")
    finish(DeliveryState.FAILED, status, f"HTTP {status}")
    log.warning("the hook's receiver refused the event: HTTP %d", status, extra=fields)
    return "failed"


def _request(
    deps: Dependencies[WebhookWorkerSettings], hook: Hook, task: HookTask
) -> tuple[bytes, dict[str, str]]:
    if hook.kind is HookKind.SLACK:
        icon_url = None
        if task.iconObject:  # as long-lived as the email's: a message is read whenever
            icon_url = deps.bucket.signed_get_url(task.iconObject, MESSAGE_ICON_URL_TTL)
        message = payloads.slack_message(task.event, icon_url)
        return json.dumps(message).encode(), dict(payloads.JSON_HEADERS)
    secret = hook_secret(deps.settings.webhook_signing_key, hook.id)
    return payloads.signed_json(task.event, secret, int(deps.clock().timestamp()))
