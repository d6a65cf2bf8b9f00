"""The adapters one function instance shares across requests, built once at cold start."""

from dataclasses import dataclass

from apkdrop.accounts import AccountRepository
from apkdrop.adapters import (
    cloud_storage,
    cloud_tasks,
    firestore,
    firestore_applications,
    signing,
)
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.applications.rate_limit import WindowCounter
from apkdrop.applications.url_fetch import UrlFetcher, system_resolver
from apkdrop.builds.ports import Bucket, BuildRepository, Scheduler
from apkdrop.settings import Settings


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    accounts: AccountRepository
    builds: BuildRepository
    bucket: Bucket
    expiry_queue: Scheduler
    applications: ApplicationRepository
    rate_limits: WindowCounter
    url_fetcher: UrlFetcher

    @classmethod
    def from_settings(cls, settings: Settings) -> "Dependencies":
        """Clients connect lazily, so building them costs no network round trip."""
        database = firestore.create_client(settings)
        return cls(
            settings=settings,
            accounts=firestore.AccountStore(database),
            builds=firestore.BuildStore(database),
            bucket=cloud_storage.UploadBucket(
                cloud_storage.create_client(settings),
                settings,
                signing.create_signer(settings),
            ),
            expiry_queue=cloud_tasks.TaskQueue(
                cloud_tasks.create_client(settings),
                settings.upload_expiry_queue_path,
                settings.tasks_invoker_service_account,
            ),
            applications=firestore_applications.ApplicationStore(database),
            rate_limits=firestore_applications.RateLimitWindows(database),
            url_fetcher=UrlFetcher(
                system_resolver,
                settings.url_fetch_connect_timeout_seconds,
                settings.url_fetch_read_timeout_seconds,
                settings.url_fetch_loopback_port,
            ),
        )
