"""Every value the functions read from the environment, validated once at cold start.

Settings come in groups, one per concern; each function's class (`FUNCTION_SETTINGS`) is the
groups it uses, so a function never needs, nor sees, another's settings (build-finalized signs
no URLs, so it has no signing settings). Terraform gives each function exactly its class's
variables (`function_needs` in terraform/locals.tf); `infra.stack` does the same locally.
"""

from typing import Self

from pydantic import Field, HttpUrl, PositiveFloat, PositiveInt, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ONE_GIB = 1024**3
# SendGrid's limit per request; every recipient is a personalization of their own.
SENDGRID_MAX_PERSONALIZATIONS = 1000
# Beyond it one page's Firestore reads and JSON answer grow too large for one request.
MAX_PAGE_SIZE_CEILING = 1000
# Far above any Android API level yet (36 in 2025): a typo such as 350 is refused.
MAX_API_LEVEL = 100


class SettingsGroup(BaseSettings):
    """The base of every group: variables it does not know are another group's."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")


class CoreSettings(SettingsGroup):
    """What every function reads: where it runs, its log level, the local emulators."""

    google_cloud_project: str = Field(min_length=1)
    region: str = Field(min_length=1)
    log_level: str = "INFO"
    # Local emulators (unset in production).
    firestore_emulator_host: str | None = None
    storage_emulator_host: str | None = None
    cloud_tasks_emulator_host: str | None = None

    def queue_path(self, queue: str) -> str:
        """A queue's full resource name."""
        return f"projects/{self.google_cloud_project}/locations/{self.region}/queues/{queue}"


class BucketSettings(SettingsGroup):
    upload_bucket: str = Field(min_length=3)


class SigningSettings(SettingsGroup):
    """V4 signed URLs: the host they name, and who signs them."""

    signed_url_endpoint: HttpUrl = HttpUrl("https://storage.googleapis.com")
    # Local dev signs with a key file; production has none and signs through IAM signBlob
    # as the function's own service account.
    signing_credentials_file: str | None = None
    signing_service_account_email: str | None = None

    @model_validator(mode="after")
    def _one_way_to_sign(self) -> Self:
        if bool(self.signing_credentials_file) == bool(self.signing_service_account_email):
            raise ValueError(
                "set exactly one of SIGNING_CREDENTIALS_FILE (local) and "
                "SIGNING_SERVICE_ACCOUNT_EMAIL (production, signs through IAM)"
            )
        return self


class UploadLimitSettings(SettingsGroup):
    max_upload_bytes: PositiveInt = ONE_GIB


class SignedUploadSettings(SettingsGroup):
    """How long a signed upload (PUT) URL stays valid."""

    upload_url_ttl_seconds: PositiveInt = Field(default=3600, le=7 * 24 * 3600)


class ExpiryQueueSettings(SettingsGroup):
    """The Cloud Tasks queue that fails uploads that never arrived."""

    upload_expiry_queue: str = Field(min_length=1)
    upload_expiry_grace_seconds: PositiveInt = 600


class ExpiryTaskSettings(SettingsGroup):
    """Where expiry tasks go: their handler's URL, which is also the audience it checks."""

    upload_expiry_url: HttpUrl


class EmailQueueSettings(SettingsGroup):
    email_queue: str = Field(min_length=1)


class EmailTaskSettings(SettingsGroup):
    """Where email tasks go: the worker's URL, which is also the audience it checks."""

    email_worker_url: HttpUrl


class HashQueueSettings(SettingsGroup):
    """The Cloud Tasks queue of the hash worker."""

    hash_queue: str = Field(min_length=1)


class InlineHashSettings(SettingsGroup):
    """A large upload bigger than max_inline_hash_bytes is hashed after the answer (by the hash
    worker), a smaller one before it."""

    max_inline_hash_bytes: int = Field(default=32 * 1024**2, ge=0)


class HashTaskSettings(SettingsGroup):
    """Where hash tasks go: the worker's URL, which is also the audience it checks."""

    hash_worker_url: HttpUrl


class HashRetrySettings(SettingsGroup):
    """The hashes queue's max_attempts: its last attempt records the hash FAILED rather than
    retrying (the queue would drop it, "computing…" for ever). At least 2: the last attempt
    gives up at once on finding the one before it killed (out of memory, time)."""

    hash_max_attempts: PositiveInt = Field(default=20, ge=2, le=100)


class StaleWorkSettings(SettingsGroup):
    """A version's hash or conversion still waited for this long outlived every attempt of its
    queue's task (Terraform sets each from its queue: max_attempts times its max backoff plus
    its worker's timeout); the retention sweep queues it once more, then gives up
    (stale_work.py)."""

    hash_stale_after_seconds: PositiveInt = Field(default=20 * (600 + 540), ge=60)
    conversion_stale_after_seconds: PositiveInt = Field(default=10 * (600 + 540), ge=60)


class ConversionQueueSettings(SettingsGroup):
    """The Cloud Tasks queue of the bundle converter: one task per uploaded App Bundle."""

    bundle_conversion_queue: str = Field(min_length=1)


class ConversionTaskSettings(SettingsGroup):
    """Where conversion tasks go: the converter's URL, which is also the audience it checks."""

    bundle_converter_url: HttpUrl


class ConversionSettings(SettingsGroup):
    """The bundle converter's limits and its signing key (universal APKs: conversions/)."""

    # /tmp is memory on Cloud Functions: the bundle, bundletool's .apks and the universal APK
    # are all held there at once.
    max_conversion_bundle_bytes: PositiveInt = 256 * 1024**2
    # bundletool build-apks, killed past it (the function's own timeout is 540 s).
    conversion_timeout_seconds: PositiveInt = Field(default=300, le=480)
    # Secret Manager in production, for the converter alone: JSON {"keystore": base64 PKCS#12,
    # "password": ..., "alias": ...}. None: nothing is converted (SKIPPED).
    distribution_keystore: SecretStr | None = None


class ConversionRetrySettings(SettingsGroup):
    """The bundle-conversions queue's max_attempts: its last attempt records the conversion
    FAILED rather than retrying (the queue would drop it, PENDING for ever). At least 2: the
    last attempt gives up at once on finding the one before it killed (out of memory, time)."""

    conversion_max_attempts: PositiveInt = Field(default=10, ge=2, le=100)


class TaskAuthSettings(SettingsGroup):
    """Tasks carry an OIDC token of this account; task handlers accept no other caller."""

    tasks_invoker_service_account: str | None = None
    # Local only: the tasks emulator cannot mint OIDC tokens.
    dev_allow_unauthenticated_tasks: bool = False

    @model_validator(mode="after")
    def _tasks_are_authenticated(self) -> Self:
        if not (self.tasks_invoker_service_account or self.dev_allow_unauthenticated_tasks):
            raise ValueError(
                "set TASKS_INVOKER_SERVICE_ACCOUNT (production) or, for the local stack only, "
                "DEV_ALLOW_UNAUTHENTICATED_TASKS=true"
            )
        return self


class MailSettings(SettingsGroup):
    """SendGrid, for the email worker alone."""

    email_from: str = Field(min_length=3)
    # Secret Manager in production: only the email worker is given it.
    sendgrid_api_key: SecretStr | None = None
    sendgrid_host: HttpUrl = HttpUrl("https://api.sendgrid.com")


class BodyLimitSettings(SettingsGroup):
    """Request bodies larger than these are refused (413) before anything parses them; a
    multipart upload is held to max_direct_upload_bytes instead."""

    max_json_body_bytes: PositiveInt = 64 * 1024
    max_form_body_bytes: PositiveInt = 16 * 1024


class EventAgeSettings(SettingsGroup):
    """Storage events older than this are dropped; the expiry task reconciles their builds."""

    max_event_age_seconds: PositiveInt = 3600


class PublicLinkSettings(SettingsGroup):
    """Where magic links point."""

    public_base_url: HttpUrl


class ApplicationUploadSettings(SettingsGroup):
    """The application upload API's limits, and those of an `apkUrl` download."""

    max_direct_upload_bytes: PositiveInt = 32 * 1024**2  # Cloud Functions' request limit
    upload_rate_limit_per_minute: PositiveInt = 10
    max_allowed_users: PositiveInt = 1000
    max_notification_recipients: PositiveInt = Field(default=100, le=SENDGRID_MAX_PERSONALIZATIONS)
    url_fetch_connect_timeout_seconds: PositiveFloat = 5.0
    url_fetch_read_timeout_seconds: PositiveFloat = 30.0
    # A whole `apkUrl` download (redirects included), and its slowest average rate once the
    # grace period is over: a server that trickles bytes cannot hold an instance.
    url_fetch_total_timeout_seconds: PositiveFloat = 300.0
    url_fetch_min_bytes_per_second: PositiveInt = 64 * 1024
    url_fetch_min_rate_grace_seconds: PositiveFloat = 10.0
    # Tests only: lets `apkUrl` reach a server on this loopback port. Unset in production.
    url_fetch_loopback_port: int | None = Field(default=None, ge=1, le=65535)


class SignInSettings(SettingsGroup):
    """The install pages' sessions (their cookie) and sign-in limits."""

    # Only the install pages are given the secret (Secret Manager in production).
    session_signing_key: SecretStr | None = Field(default=None, min_length=32)
    # Local dev serves plain http, where a Secure cookie would never come back.
    session_cookie_secure: bool = True
    sign_in_rate_limit_per_address: PositiveInt = 3  # per minute, per address and client together
    sign_in_rate_limit_per_client: PositiveInt = 10  # per minute
    # How many proxies in front append to X-Forwarded-For; the client is the entry they added
    # (anything further left was sent by the client and may be forged).
    trusted_proxy_hops: PositiveInt = 1


class InstallPageHistorySettings(SettingsGroup):
    """What an install page reads of its app's versions."""

    # The newest version documents (of the page's channel, else deleted ones included) its
    # history is chosen from: bounds a public page's reads whatever the app's age.
    install_page_history_versions: PositiveInt = Field(default=50, le=MAX_PAGE_SIZE_CEILING)


class PagingSettings(SettingsGroup):
    """Paged lists (`GET /v1/audit`, an app's downloads)."""

    # The largest `limit` of a page: bounds one answer's reads and size.
    max_page_size: PositiveInt = Field(default=100, le=MAX_PAGE_SIZE_CEILING)


class PlayCheckSettings(SettingsGroup):
    """The Play-readiness checks run on every inspected APK."""

    # Play's minimum targetSdkVersion for new apps and updates (35 since August 2025).
    play_min_target_sdk: PositiveInt = Field(default=35, le=MAX_API_LEVEL)


class RetentionPolicySettings(SettingsGroup):
    """What an owner's retention policy may hold (PUT /v1/application/{id}/retention)."""

    # Channel rules of one policy: bounds the app document and each enforcement's work.
    max_retention_channel_rules: PositiveInt = Field(default=50, le=1000)


class RetentionRunSettings(SettingsGroup):
    """How much one enforcement of retention (after an upload, or one sweep) may delete; the
    rest waits for the next one."""

    retention_max_deletions_per_run: PositiveInt = Field(default=100, le=10_000)


class SchedulerAuthSettings(SettingsGroup):
    """Cloud Scheduler calls the sweeper with an OIDC token of this account, for this URL."""

    retention_scheduler_service_account: str | None = None
    retention_sweeper_url: HttpUrl
    # Local only: the local stack's loop calls the sweeper without a token.
    dev_allow_unauthenticated_tasks: bool = False

    @model_validator(mode="after")
    def _calls_are_authenticated(self) -> Self:
        if not (self.retention_scheduler_service_account or self.dev_allow_unauthenticated_tasks):
            raise ValueError(
                "set RETENTION_SCHEDULER_SERVICE_ACCOUNT (production) or, for the local stack "
                "only, DEV_ALLOW_UNAUTHENTICATED_TASKS=true"
            )
        return self


class WebhookSettings(SettingsGroup):
    """Webhook URLs, and the key their secrets derive from (application-api shows a hook's
    secret once, webhook-worker signs with it)."""

    # Secret Manager in production. A hook's secret is HMAC(key, hook id), so none is stored.
    webhook_signing_key: SecretStr | None = Field(default=None, min_length=32)
    # One delivery's whole POST (connect, send, answer); a slower receiver is retried.
    webhook_timeout_seconds: PositiveFloat = Field(default=10.0, le=60)
    # Local stack only: hooks may reach exactly {this URL}{name}, and nothing else.
    webhook_dev_receiver_url: HttpUrl | None = None


class WebhookRegistrationSettings(SettingsGroup):
    max_webhooks_per_account: PositiveInt = Field(default=20, le=1000)


class WebhookQueueSettings(SettingsGroup):
    """The Cloud Tasks queue of webhook deliveries, one task per hook and event."""

    webhook_queue: str = Field(min_length=1)


class WebhookTaskSettings(SettingsGroup):
    """Where webhook tasks go: the worker's URL, which is also the audience it checks."""

    webhook_worker_url: HttpUrl


class WebhookRetrySettings(SettingsGroup):
    """The webhooks queue's max_attempts: the last attempt that fails records the delivery
    failed for good, instead of retrying (the queue would drop it unrecorded)."""

    webhook_max_attempts: PositiveInt = Field(default=8, le=100)


# One class per function of routes.json. Each lists its groups in the order above, so that a
# class of several functions' groups (the tests' one) has a consistent method order.


class BuildApiSettings(
    CoreSettings,
    BucketSettings,
    SigningSettings,
    UploadLimitSettings,
    SignedUploadSettings,
    ExpiryQueueSettings,
    ExpiryTaskSettings,
    TaskAuthSettings,
    BodyLimitSettings,
):
    """build-api: signed upload URLs, and an expiry task for each."""


class BuildFinalizedSettings(
    CoreSettings,
    BucketSettings,
    UploadLimitSettings,
    TaskAuthSettings,
    EventAgeSettings,
    PlayCheckSettings,
    WebhookQueueSettings,
    WebhookTaskSettings,
):
    """build-finalized: reads the uploaded APK, and queues its build's webhook events; it
    signs nothing and answers no request."""


class BuildUploadExpirySettings(
    CoreSettings,
    BucketSettings,
    UploadLimitSettings,
    ExpiryTaskSettings,
    TaskAuthSettings,
    BodyLimitSettings,
    PlayCheckSettings,
    WebhookQueueSettings,
    WebhookTaskSettings,
):
    """build-upload-expiry: a task handler that settles or fails a build (and queues its
    webhook events); it signs nothing."""


class ApplicationApiSettings(
    CoreSettings,
    BucketSettings,
    SigningSettings,
    UploadLimitSettings,
    SignedUploadSettings,
    EmailQueueSettings,
    EmailTaskSettings,
    HashQueueSettings,
    InlineHashSettings,
    HashTaskSettings,
    ConversionQueueSettings,
    ConversionTaskSettings,
    TaskAuthSettings,
    BodyLimitSettings,
    PublicLinkSettings,
    ApplicationUploadSettings,
    PagingSettings,
    PlayCheckSettings,
    RetentionPolicySettings,
    RetentionRunSettings,
    WebhookSettings,
    WebhookRegistrationSettings,
    WebhookQueueSettings,
    WebhookTaskSettings,
):
    """application-api: uploads, large-upload URLs, magic links, upload emails' tasks, the
    paged audit trail and download record, retention policies (keepLatest after uploads) and
    webhooks (with their events' tasks)."""


class EmailWorkerSettings(
    CoreSettings,
    BucketSettings,
    SigningSettings,
    EmailTaskSettings,
    TaskAuthSettings,
    MailSettings,
    BodyLimitSettings,
    PublicLinkSettings,
):
    """email-worker: a task handler that renders (icons behind signed URLs) and sends mail."""


class HashWorkerSettings(
    CoreSettings,
    BucketSettings,
    HashTaskSettings,
    HashRetrySettings,
    TaskAuthSettings,
    BodyLimitSettings,
):
    """hash-worker: a task handler that hashes a published large upload; it signs nothing."""


class BundleConverterSettings(
    CoreSettings,
    BucketSettings,
    UploadLimitSettings,
    ConversionTaskSettings,
    ConversionSettings,
    ConversionRetrySettings,
    TaskAuthSettings,
    BodyLimitSettings,
):
    """bundle-converter: a task handler that builds and stores a bundle's universal APK."""


class InstallPagesSettings(
    CoreSettings,
    BucketSettings,
    SigningSettings,
    EmailQueueSettings,
    EmailTaskSettings,
    TaskAuthSettings,
    BodyLimitSettings,
    PublicLinkSettings,
    SignInSettings,
    InstallPageHistorySettings,
):
    """install-pages: signed downloads, sessions, and sign-in emails' tasks."""


class RetentionSweeperSettings(
    CoreSettings,
    BucketSettings,
    HashQueueSettings,
    HashTaskSettings,
    ConversionQueueSettings,
    ConversionTaskSettings,
    TaskAuthSettings,
    BodyLimitSettings,
    PublicLinkSettings,
    RetentionRunSettings,
    SchedulerAuthSettings,
    WebhookQueueSettings,
    WebhookTaskSettings,
    StaleWorkSettings,
):
    """retention-sweeper: Cloud Scheduler's target, deleting what retention policies expire
    (and queueing the version.deleted events of what it deletes), and queueing again the large
    uploads' hashes and the bundles' conversions that never arrived."""


class WebhookWorkerSettings(
    CoreSettings,
    BucketSettings,
    SigningSettings,
    TaskAuthSettings,
    BodyLimitSettings,
    PublicLinkSettings,
    WebhookSettings,
    WebhookTaskSettings,
    WebhookRetrySettings,
):
    """webhook-worker: a task handler that signs and POSTs one event to one hook (icons
    behind signed URLs in Slack messages)."""


FUNCTION_SETTINGS: dict[str, type[CoreSettings]] = {
    "build-api": BuildApiSettings,
    "build-finalized": BuildFinalizedSettings,
    "build-upload-expiry": BuildUploadExpirySettings,
    "application-api": ApplicationApiSettings,
    "email-worker": EmailWorkerSettings,
    "install-pages": InstallPagesSettings,
    "retention-sweeper": RetentionSweeperSettings,
    "hash-worker": HashWorkerSettings,
    "webhook-worker": WebhookWorkerSettings,
    "bundle-converter": BundleConverterSettings,
}
