"""What a service sees of the outside world: the settings and one adapter per port.

It imports no client library: functions/apkdrop/wiring.py builds the real adapters each
function uses, and the tests build fakes.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apkdrop.accounts import AccountRepository
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.applications.rate_limit import WindowCounter
from apkdrop.audit.ports import AuditLog
from apkdrop.builds.ports import Bucket, BuildRepository, Scheduler
from apkdrop.downloads.ports import DownloadLog
from apkdrop.install_pages.ports import SessionRepository, TokenRepository
from apkdrop.notifications.ports import DeliveryRepository, Mailer
from apkdrop.settings import Settings
from apkdrop.timeutil import Clock, utc_now

if TYPE_CHECKING:  # httpx is only imported by the function that fetches apkUrl
    from apkdrop.applications.url_fetch import UrlFetcher


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    accounts: AccountRepository
    builds: BuildRepository
    bucket: Bucket
    expiry_queue: Scheduler
    applications: ApplicationRepository
    rate_limits: WindowCounter
    url_fetcher: "UrlFetcher"
    email_queue: Scheduler
    deliveries: DeliveryRepository
    mailer: Mailer | None
    sign_in_tokens: TokenRepository
    sessions: SessionRepository
    audit: AuditLog
    downloads: DownloadLog
    clock: Clock = utc_now
