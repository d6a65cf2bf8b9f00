"""Every value the functions read from the environment, validated once at cold start."""

from pydantic import Field, HttpUrl, PositiveFloat, PositiveInt, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ONE_GIB = 1024**3
# SendGrid's limit per request; every recipient is a personalization of their own.
SENDGRID_MAX_PERSONALIZATIONS = 1000
# Beyond it one page's Firestore reads and JSON answer grow too large for one request.
MAX_PAGE_SIZE_CEILING = 1000


class Settings(BaseSettings):
    """Terraform sets exactly these variables; `infra.stack` sets them for the local stack."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    google_cloud_project: str = Field(min_length=1)
    region: str = Field(min_length=1)
    upload_bucket: str = Field(min_length=3)

    # V4 signed URLs: the host clients PUT to, and how long a URL stays valid.
    signed_url_endpoint: HttpUrl = HttpUrl("https://storage.googleapis.com")
    upload_url_ttl_seconds: PositiveInt = Field(default=3600, le=7 * 24 * 3600)
    max_upload_bytes: PositiveInt = ONE_GIB
    # Local dev signs with a key file; production has none and signs through IAM signBlob
    # as the function's own service account.
    signing_credentials_file: str | None = None
    signing_service_account_email: str | None = None

    # Cloud Tasks: the queue that fails uploads that never arrived, and who calls it.
    upload_expiry_queue: str = Field(min_length=1)
    upload_expiry_url: HttpUrl
    upload_expiry_grace_seconds: PositiveInt = 600
    # Tasks carry an OIDC token of this account; task handlers accept no other caller.
    tasks_invoker_service_account: str | None = None
    # Local only: the tasks emulator cannot mint OIDC tokens.
    dev_allow_unauthenticated_tasks: bool = False

    # Notifications: the email queue, the worker it calls, and SendGrid.
    email_queue: str = Field(min_length=1)
    email_worker_url: HttpUrl
    email_from: str = Field(min_length=3)
    # Only the email worker is given the secret; other functions never send mail.
    sendgrid_api_key: SecretStr | None = None
    sendgrid_host: HttpUrl = HttpUrl("https://api.sendgrid.com")

    # Request bodies larger than these are refused (413) before anything parses them; a
    # multipart upload is held to max_direct_upload_bytes instead.
    max_json_body_bytes: PositiveInt = 64 * 1024
    max_form_body_bytes: PositiveInt = 16 * 1024

    # Storage events older than this are dropped; the expiry task reconciles their builds.
    max_event_age_seconds: PositiveInt = 3600

    # Local emulators (unset in production).
    firestore_emulator_host: str | None = None
    storage_emulator_host: str | None = None
    cloud_tasks_emulator_host: str | None = None

    # Application upload API: where magic links point, and its limits.
    public_base_url: HttpUrl
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

    # Install pages: the session cookie of private apps and sign-in limits.
    # Only the install pages are given the secret (Secret Manager in production).
    session_signing_key: SecretStr | None = Field(default=None, min_length=32)
    # Local dev serves plain http, where a Secure cookie would never come back.
    session_cookie_secure: bool = True
    sign_in_rate_limit_per_address: PositiveInt = 3  # per minute, per address and client together
    sign_in_rate_limit_per_client: PositiveInt = 10  # per minute
    # How many proxies in front append to X-Forwarded-For; the client is the entry they added
    # (anything further left was sent by the client and may be forged).
    trusted_proxy_hops: PositiveInt = 1

    # The largest `limit` of a paged list (`GET /v1/audit`): bounds one answer's reads and size.
    max_page_size: PositiveInt = Field(default=100, le=MAX_PAGE_SIZE_CEILING)

    log_level: str = "INFO"

    @model_validator(mode="after")
    def _one_way_to_sign(self) -> "Settings":
        if bool(self.signing_credentials_file) == bool(self.signing_service_account_email):
            raise ValueError(
                "set exactly one of SIGNING_CREDENTIALS_FILE (local) and "
                "SIGNING_SERVICE_ACCOUNT_EMAIL (production, signs through IAM)"
            )
        return self

    @model_validator(mode="after")
    def _tasks_are_authenticated(self) -> "Settings":
        if not (self.tasks_invoker_service_account or self.dev_allow_unauthenticated_tasks):
            raise ValueError(
                "set TASKS_INVOKER_SERVICE_ACCOUNT (production) or, for the local stack only, "
                "DEV_ALLOW_UNAUTHENTICATED_TASKS=true"
            )
        return self

    def queue_path(self, queue: str) -> str:
        """A queue's full resource name."""
        return f"projects/{self.google_cloud_project}/locations/{self.region}/queues/{queue}"
