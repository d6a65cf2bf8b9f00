"""Registering, listing and removing an account's hooks, and reading a hook's deliveries."""

from apkdrop.accounts import Caller
from apkdrop.applications.queries import owned_app
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Conflict, NotFound
from apkdrop.ids import OPAQUE_ID, new_opaque_id
from apkdrop.paging import TIME_CURSOR, PageRequest, TimeCursor, page_token
from apkdrop.settings import ApplicationApiSettings
from apkdrop.webhooks.models import DeliveryPage, Hook, HookCreated, HookRequest, HookView
from apkdrop.webhooks.signature import hook_secret


def register(
    deps: Dependencies[ApplicationApiSettings], caller: Caller, request: HookRequest
) -> HookCreated:
    """Checks the URL as a delivery will, and the app as the caller's; the answer is the only
    place the hook's secret is ever shown."""
    deps.webhook_sender.check(request.url)
    if request.appId is not None:
        owned_app(deps, caller, request.appId)
    hook = Hook(
        id=new_opaque_id(),
        accountId=caller.id,
        url=request.url,
        kind=request.kind,
        events=list(dict.fromkeys(request.events)),
        appId=request.appId,
        channel=request.channel,
        createdAt=deps.clock(),
    )
    secret = hook_secret(deps.settings.webhook_signing_key, hook.id)  # misconfigured: no hook
    limit = deps.settings.max_webhooks_per_account
    if not deps.webhooks.add_hook(hook, limit):
        raise Conflict(f"An account may have at most {limit} webhooks; delete one first")
    return HookCreated(**_view(hook).model_dump(), secret=secret)


def account_hooks(deps: Dependencies[object], caller: Caller) -> list[HookView]:
    return [_view(hook) for hook in deps.webhooks.hooks_of_account(caller.id)]


def remove(deps: Dependencies[object], caller: Caller, hook_id: str) -> None:
    deps.webhooks.delete_hook(owned_hook(deps, caller, hook_id))


def deliveries(
    deps: Dependencies[object], caller: Caller, hook_id: str, page: PageRequest[TimeCursor]
) -> DeliveryPage:
    hook = owned_hook(deps, caller, hook_id)
    found, last = deps.webhook_deliveries.deliveries(hook.id, page.limit, page.after)
    return DeliveryPage(
        data=found, nextPageToken=None if last is None else page_token(last, TIME_CURSOR)
    )


def owned_hook(deps: Dependencies[object], caller: Caller, hook_id: str) -> Hook:
    """Another account's hook does not exist (404, never 403)."""
    hook = deps.webhooks.get_hook(hook_id) if OPAQUE_ID.fullmatch(hook_id) else None
    if hook is None or hook.accountId != caller.id:
        raise NotFound(f"Webhook {hook_id} not found")
    return hook


def _view(hook: Hook) -> HookView:
    return HookView.model_validate(hook.model_dump(exclude={"accountId"}))
