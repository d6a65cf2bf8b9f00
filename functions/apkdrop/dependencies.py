"""What a service sees of the outside world: the settings and one adapter per port.

It imports no client library: functions/apkdrop/wiring.py builds the real adapters each
function uses, and the tests build fakes. It is generic in its settings: each service names
the settings it reads (a group of apkdrop/settings.py, or its function's class), and a
function's `Dependencies[ItsSettings]` is accepted wherever those are a part of its class.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from apkdrop.accounts import AccountRepository
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.applications.rate_limit import WindowCounter
from apkdrop.audit.ports import AuditLog
from apkdrop.builds.ports import Bucket, BuildRepository, Scheduler
from apkdrop.downloads.ports import DownloadLog
from apkdrop.install_pages.ports import SessionRepository, TokenRepository
from apkdrop.notifications.ports import DeliveryRepository, Mailer
from apkdrop.timeutil import Clock, utc_now
from apkdrop.webhooks.ports import DeliveryRecords, HookRepository, HookSender

if TYPE_CHECKING:  # httpx is only imported by the function that fetches apkUrl
    from apkdrop.applications.url_fetch import UrlFetcher


# Covariant: Dependencies[BuildApiSettings] is a Dependencies[UploadLimitSettings].
S = TypeVar("S", covariant=True)


@dataclass(frozen=True)
class Dependencies(Generic[S]):
    settings: S
    accounts: AccountRepository
    builds: BuildRepository
    bucket: Bucket
    expiry_queue: Scheduler
    applications: ApplicationRepository
    rate_limits: WindowCounter
    url_fetcher: "UrlFetcher"
    email_queue: Scheduler
    hash_queue: Scheduler
    conversion_queue: Scheduler
    deliveries: DeliveryRepository
    mailer: Mailer | None
    sign_in_tokens: TokenRepository
    sessions: SessionRepository
    audit: AuditLog
    downloads: DownloadLog
    webhooks: HookRepository
    webhook_deliveries: DeliveryRecords
    webhook_queue: Scheduler
    webhook_sender: HookSender
    clock: Clock = utc_now
