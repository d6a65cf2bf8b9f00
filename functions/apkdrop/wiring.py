"""The real adapters of one function (each factory is typed as its port, so the type checker
holds every adapter to its protocol): each function builds only those it uses, and imports
their client libraries only then, so a cold start pays for no other function's SDKs.

`FUNCTION_ADAPTERS` names what each function of routes.json uses; tests/unit/test_iam.py checks
it against the adapter calls each entry point can reach. A field a function does not use holds
a stand-in that fails loudly, so a missing entry shows in the first test that needs it. An
adapter reads its settings from the function's settings class, which must hold their group.
"""

import dataclasses
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from apkdrop.accounts import AccountRepository
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.applications.rate_limit import WindowCounter
from apkdrop.audit.ports import AuditLog
from apkdrop.builds.ports import Bucket, BuildRepository, Scheduler
from apkdrop.dependencies import Dependencies
from apkdrop.downloads.ports import DownloadLog
from apkdrop.install_pages.ports import SessionRepository, TokenRepository
from apkdrop.notifications.ports import DeliveryRepository, Mailer
from apkdrop.settings import (
    ApplicationUploadSettings,
    BucketSettings,
    ConversionQueueSettings,
    CoreSettings,
    EmailQueueSettings,
    ExpiryQueueSettings,
    HashQueueSettings,
    MailSettings,
    SigningSettings,
    TaskAuthSettings,
    WebhookQueueSettings,
    WebhookSettings,
)
from apkdrop.webhooks.ports import DeliveryRecords, HookRepository, HookSender

if TYPE_CHECKING:
    from apkdrop.applications.url_fetch import UrlFetcher

FUNCTION_ADAPTERS: dict[str, frozenset[str]] = {
    "build-api": frozenset({"accounts", "audit", "builds", "bucket", "expiry_queue"}),
    "build-finalized": frozenset({"builds", "bucket", "webhooks", "webhook_queue"}),
    "build-upload-expiry": frozenset({"builds", "bucket", "webhooks", "webhook_queue"}),
    "application-api": frozenset(
        {
            "accounts",
            "applications",
            "audit",
            "bucket",
            "downloads",
            "email_queue",
            "hash_queue",
            "conversion_queue",
            "rate_limits",
            "url_fetcher",
            "webhooks",
            "webhook_deliveries",
            "webhook_queue",
            "webhook_sender",
        }
    ),
    "email-worker": frozenset({"applications", "bucket", "deliveries", "mailer", "sign_in_tokens"}),
    "hash-worker": frozenset({"applications", "bucket"}),
    "bundle-converter": frozenset({"applications", "bucket"}),
    "install-pages": frozenset(
        {
            "applications",
            "bucket",
            "downloads",
            "email_queue",
            "rate_limits",
            "sessions",
            "sign_in_tokens",
        }
    ),
    "retention-sweeper": frozenset(
        {
            "applications",
            "audit",
            "bucket",
            "builds",
            "conversion_queue",
            "hash_queue",
            "webhooks",
            "webhook_queue",
        }
    ),
    "webhook-worker": frozenset({"bucket", "webhooks", "webhook_deliveries", "webhook_sender"}),
}


S = TypeVar("S", bound=CoreSettings)
G = TypeVar("G")


class Clients:
    """One client per Google service for the whole instance, made on first use."""

    def __init__(self, function: str, settings: CoreSettings) -> None:
        self.function = function
        self.settings = settings

    def group(self, group: type[G]) -> G:
        """The function's settings as `group`, which an adapter it is wired with reads."""
        if not isinstance(self.settings, group):
            raise RuntimeError(
                f"{self.function}'s settings have no {group.__name__}: add it to its class in "
                "settings.py (and to its settings in terraform/locals.tf)"
            )
        return self.settings

    @cached_property
    def firestore(self) -> Any:
        from apkdrop.adapters import firestore

        return firestore.create_client(self.settings)

    @cached_property
    def storage(self) -> Any:
        from apkdrop.adapters import cloud_storage

        return cloud_storage.create_client(self.settings)

    @cached_property
    def tasks(self) -> Any:
        from apkdrop.adapters import cloud_tasks

        return cloud_tasks.create_client(self.settings)


def _accounts(clients: Clients) -> AccountRepository:
    from apkdrop.adapters.firestore import AccountStore

    return AccountStore(clients.firestore)


def _builds(clients: Clients) -> BuildRepository:
    from apkdrop.adapters.firestore import BuildStore

    return BuildStore(clients.firestore)


def _bucket(clients: Clients) -> Bucket:
    """Built without a signer for a function whose settings have no signing (it signs nothing)."""
    from apkdrop.adapters.cloud_storage import UploadBucket
    from apkdrop.adapters.signing import create_url_signing

    settings = clients.settings
    signing = create_url_signing(settings) if isinstance(settings, SigningSettings) else None
    return UploadBucket(clients.storage, clients.group(BucketSettings).upload_bucket, signing)


def _task_queue(clients: Clients, queue: str) -> Scheduler:
    """A queue whose tasks carry the invoker's OIDC token."""
    from apkdrop.adapters.cloud_tasks import TaskQueue

    invoker = clients.group(TaskAuthSettings).tasks_invoker_service_account
    return TaskQueue(clients.tasks, clients.settings.queue_path(queue), invoker)


def _expiry_queue(clients: Clients) -> Scheduler:
    return _task_queue(clients, clients.group(ExpiryQueueSettings).upload_expiry_queue)


def _email_queue(clients: Clients) -> Scheduler:
    return _task_queue(clients, clients.group(EmailQueueSettings).email_queue)


def _hash_queue(clients: Clients) -> Scheduler:
    return _task_queue(clients, clients.group(HashQueueSettings).hash_queue)


def _conversion_queue(clients: Clients) -> Scheduler:
    return _task_queue(clients, clients.group(ConversionQueueSettings).bundle_conversion_queue)


def _applications(clients: Clients) -> ApplicationRepository:
    from apkdrop.adapters.firestore_applications import ApplicationStore

    return ApplicationStore(clients.firestore)


def _rate_limits(clients: Clients) -> WindowCounter:
    from apkdrop.adapters.firestore_applications import RateLimitWindows

    return RateLimitWindows(clients.firestore)


def _url_fetcher(clients: Clients) -> "UrlFetcher":
    from apkdrop.applications.url_fetch import UrlFetcher
    from apkdrop.url_guard import system_resolver

    return UrlFetcher.from_settings(clients.group(ApplicationUploadSettings), system_resolver)


def _deliveries(clients: Clients) -> DeliveryRepository:
    from apkdrop.adapters.firestore_notifications import DeliveryLedger

    return DeliveryLedger(clients.firestore)


def _mailer(clients: Clients) -> Mailer | None:
    """None without a SendGrid key: the worker then answers that it is misconfigured."""
    settings = clients.group(MailSettings)
    if settings.sendgrid_api_key is None:
        return None
    from apkdrop.adapters.sendgrid_mail import SendGridMailer

    return SendGridMailer(
        settings.sendgrid_api_key.get_secret_value(),
        str(settings.sendgrid_host),
        settings.email_from,
    )


def _sign_in_tokens(clients: Clients) -> TokenRepository:
    from apkdrop.adapters.firestore_sign_in import SignInTokens

    return SignInTokens(clients.firestore)


def _sessions(clients: Clients) -> SessionRepository:
    from apkdrop.adapters.firestore_sessions import Sessions

    return Sessions(clients.firestore)


def _audit(clients: Clients) -> AuditLog:
    from apkdrop.adapters.firestore_audit import AuditTrail

    return AuditTrail(clients.firestore)


def _downloads(clients: Clients) -> DownloadLog:
    from apkdrop.adapters.firestore_downloads import DownloadJournal

    return DownloadJournal(clients.firestore)


def _webhooks(clients: Clients) -> HookRepository:
    from apkdrop.adapters.firestore_webhooks import HookStore

    return HookStore(clients.firestore)


def _webhook_deliveries(clients: Clients) -> DeliveryRecords:
    from apkdrop.adapters.firestore_webhooks import HookDeliveryLog

    return HookDeliveryLog(clients.firestore)


def _webhook_queue(clients: Clients) -> Scheduler:
    return _task_queue(clients, clients.group(WebhookQueueSettings).webhook_queue)


def _webhook_sender(clients: Clients) -> HookSender:
    from apkdrop.url_guard import system_resolver
    from apkdrop.webhooks.sender import HookSender

    return HookSender.from_settings(clients.group(WebhookSettings), system_resolver)


ADAPTERS: dict[str, Callable[[Clients], object]] = {
    "accounts": _accounts,
    "builds": _builds,
    "bucket": _bucket,
    "expiry_queue": _expiry_queue,
    "applications": _applications,
    "rate_limits": _rate_limits,
    "url_fetcher": _url_fetcher,
    "email_queue": _email_queue,
    "hash_queue": _hash_queue,
    "conversion_queue": _conversion_queue,
    "deliveries": _deliveries,
    "mailer": _mailer,
    "sign_in_tokens": _sign_in_tokens,
    "sessions": _sessions,
    "audit": _audit,
    "downloads": _downloads,
    "webhooks": _webhooks,
    "webhook_deliveries": _webhook_deliveries,
    "webhook_queue": _webhook_queue,
    "webhook_sender": _webhook_sender,
}


class NotWired:
    """Stands in for an adapter the function was not given; any use is a bug in the wiring."""

    def __init__(self, function: str, field: str) -> None:
        self._where = f"{function} has no {field!r}: add it to FUNCTION_ADAPTERS in wiring.py"

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(self._where)


def dependencies_for(function: str, settings: S) -> Dependencies[S]:
    """The Dependencies of one function of routes.json: its adapters, built now (clients
    connect lazily, so this costs no network round trip)."""
    clients = Clients(function, settings)
    wanted = FUNCTION_ADAPTERS[function]
    adapters: dict[str, Any] = {
        field.name: ADAPTERS[field.name](clients)
        if field.name in wanted
        else NotWired(function, field.name)
        for field in dataclasses.fields(Dependencies)
        if field.name not in ("settings", "clock")  # the real clock is the default
    }
    return Dependencies(settings=settings, **adapters)


class Function(Generic[S]):
    """One function of routes.json as an instance serves it: its settings, read from the
    environment once, and its adapters, built on its first call."""

    def __init__(self, name: str, settings_class: type[S]) -> None:
        self.name = name
        self.settings_class = settings_class

    @cached_property
    def settings(self) -> S:
        # Its required fields come from the environment, which a type checker cannot see.
        return self.settings_class()  # pyright: ignore[reportCallIssue]

    @cached_property
    def dependencies(self) -> Dependencies[S]:
        return dependencies_for(self.name, self.settings)
