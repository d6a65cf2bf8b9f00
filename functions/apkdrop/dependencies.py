"""The adapters one function instance shares across requests, built once at cold start."""

from dataclasses import dataclass

from apkdrop.accounts import AccountRepository
from apkdrop.adapters import (
    cloud_storage,
    cloud_tasks,
    firestore,
    firestore_applications,
    firestore_notifications,
    firestore_sessions,
    firestore_sign_in,
    signing,
)
from apkdrop.adapters.sendgrid_mail import SendGridMailer
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.applications.rate_limit import WindowCounter
from apkdrop.applications.url_fetch import UrlFetcher, system_resolver
from apkdrop.builds.ports import Bucket, BuildRepository, Scheduler
from apkdrop.install_pages.ports import SessionRepository, TokenRepository
from apkdrop.notifications.ports import DeliveryRepository, Mailer
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
    email_queue: Scheduler
    deliveries: DeliveryRepository
    mailer: Mailer | None
    sign_in_tokens: TokenRepository
    sessions: SessionRepository

    @classmethod
    def from_settings(cls, settings: Settings) -> "Dependencies":
        """Clients connect lazily, so building them costs no network round trip."""
        database = firestore.create_client(settings)
        tasks_client = cloud_tasks.create_client(settings)
        mailer = None
        if settings.sendgrid_api_key:
            mailer = SendGridMailer(
                settings.sendgrid_api_key.get_secret_value(),
                str(settings.sendgrid_host),
                settings.email_from,
            )
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
                tasks_client,
                settings.queue_path(settings.upload_expiry_queue),
                settings.tasks_invoker_service_account,
            ),
            applications=firestore_applications.ApplicationStore(database),
            rate_limits=firestore_applications.RateLimitWindows(database),
            url_fetcher=UrlFetcher.from_settings(settings, system_resolver),
            email_queue=cloud_tasks.TaskQueue(
                tasks_client,
                settings.queue_path(settings.email_queue),
                settings.tasks_invoker_service_account,
            ),
            deliveries=firestore_notifications.DeliveryLedger(database),
            mailer=mailer,
            sign_in_tokens=firestore_sign_in.SignInTokens(database),
            sessions=firestore_sessions.Sessions(database),
        )
