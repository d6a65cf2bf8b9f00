variable "build_upload_retention_days" {
  description = "Days after which build uploads (builds/, finished or failed) are deleted; null keeps them."
  type        = number
  default     = null

  validation {
    condition     = var.build_upload_retention_days == null || try(var.build_upload_retention_days >= 1, false)
    error_message = "Set at least one day, or null to keep build uploads."
  }
}

variable "bundle_conversion_enabled" {
  description = "Whether bundle-converter reads the distribution-keystore secret (DISTRIBUTION_KEYSTORE) and so builds universal APKs of uploaded App Bundles. Add the secret's first version before turning it on; off, bundles are recorded SKIPPED (no distribution keystore configured)."
  type        = bool
  default     = false
  nullable    = false
}

variable "bundle_conversion_queue" {
  description = "Rate and retry settings of the bundle-conversions queue (Cloud Tasks): one task per uploaded App Bundle, to bundle-converter, retried up to max_attempts; the last attempt records the conversion FAILED."
  type = object({
    max_attempts              = optional(number, 10)
    max_backoff_seconds       = optional(number, 600)
    max_concurrent_dispatches = optional(number, 5)
    max_dispatches_per_second = optional(number, 5)
    min_backoff_seconds       = optional(number, 10)
  })
  default  = {}
  nullable = false
  validation {
    # The converter is told it (CONVERSION_MAX_ATTEMPTS) to record the last attempt, which
    # gives up at once when the one before it was killed: never unlimited, and at least 2.
    condition     = var.bundle_conversion_queue.max_attempts >= 2 && var.bundle_conversion_queue.max_attempts <= 100
    error_message = "bundle_conversion_queue.max_attempts must be 2 to 100."
  }
}

variable "conversion_timeout_seconds" {
  description = "bundletool build-apks is killed after this long, and the bundle's conversion recorded FAILED (CONVERSION_TIMEOUT_SECONDS)."
  type        = number
  default     = 300

  validation {
    condition     = var.conversion_timeout_seconds >= 1 && var.conversion_timeout_seconds <= 480
    error_message = "conversion_timeout_seconds must be between 1 and 480 (bundle-converter's own timeout is 540)."
  }
}

variable "deletion_protection" {
  description = "Protects the Firestore database and the non-empty upload bucket from terraform destroy; set false (and apply) before tearing down."
  type        = bool
  default     = true
}

variable "email_from" {
  description = "Sender of notification and sign-in emails (EMAIL_FROM), e.g. \"apkdrop <noreply@example.com>\"; SendGrid must have it verified."
  type        = string

  validation {
    condition     = can(regex("@", var.email_from))
    error_message = "email_from must contain an email address."
  }
}

variable "email_queue" {
  description = "Rate and retry settings of the emails queue (Cloud Tasks); keep the rate within the SendGrid plan's."
  type = object({
    max_attempts              = optional(number, 10)
    max_backoff_seconds       = optional(number, 3600)
    max_concurrent_dispatches = optional(number, 5)
    max_dispatches_per_second = optional(number, 5)
    min_backoff_seconds       = optional(number, 10)
  })
  default  = {}
  nullable = false

  validation {
    # Cloud Tasks reads -1 as unlimited: a task its handler refuses would be dispatched for ever.
    condition     = var.email_queue.max_attempts >= 1 && var.email_queue.max_attempts <= 100
    error_message = "email_queue.max_attempts must be 1 to 100."
  }
}

variable "failed_upload_retention_days" {
  description = "Days after which the file of a FAILED build upload (marked by its customTime) is deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.failed_upload_retention_days >= 1
    error_message = "Keep failed uploads at least one day, so their owners can look into them."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database (a region or a multi-region such as eur3 or nam5); null means var.region. Cannot change once created."
  type        = string
  default     = null
}

variable "hash_queue" {
  description = "Rate and retry settings of the hashes queue (Cloud Tasks): one task per large upload over max_inline_hash_bytes, to hash-worker, retried up to max_attempts; the last attempt records the hash FAILED."
  type = object({
    max_attempts              = optional(number, 20)
    max_backoff_seconds       = optional(number, 600)
    max_concurrent_dispatches = optional(number, 10)
    max_dispatches_per_second = optional(number, 10)
    min_backoff_seconds       = optional(number, 5)
  })
  default  = {}
  nullable = false
  validation {
    # The worker is told it (HASH_MAX_ATTEMPTS) to record the last attempt, which gives up at
    # once when the one before it was killed: never unlimited, and at least 2.
    condition     = var.hash_queue.max_attempts >= 2 && var.hash_queue.max_attempts <= 100
    error_message = "hash_queue.max_attempts must be 2 to 100."
  }
}

variable "install_page_history_versions" {
  description = "Newest version documents an install page picks its history from (INSTALL_PAGE_HISTORY_VERSIONS); older versions are not listed."
  type        = number
  default     = 50

  validation {
    condition     = var.install_page_history_versions >= 1 && var.install_page_history_versions <= 1000
    error_message = "install_page_history_versions must be between 1 and 1000."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "load_balancer" {
  description = "null (the default): clients call each function's own URL. Set to serve every route of functions/routes.json on https://DOMAIN through a global external Application Load Balancer with a Google-managed certificate."
  type = object({
    domain = string
  })
  default = null

  validation {
    condition     = var.load_balancer == null || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.load_balancer.domain))
    error_message = "load_balancer.domain must be a lower-case host name such as apkdrop.example.com."
  }
}

variable "log_level" {
  description = "Level of the functions' logs (LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "max_allowed_users" {
  description = "Most distinct addresses an upload's allowedUsers may list (MAX_ALLOWED_USERS); more answer 400."
  type        = number
  default     = 1000

  validation {
    condition     = var.max_allowed_users >= 1
    error_message = "max_allowed_users must be at least 1."
  }
}

variable "max_conversion_bundle_bytes" {
  description = "Largest App Bundle bundle-converter converts; a larger one is recorded SKIPPED (MAX_CONVERSION_BUNDLE_BYTES)."
  type        = number
  default     = 268435456

  validation {
    condition     = var.max_conversion_bundle_bytes >= 1
    error_message = "max_conversion_bundle_bytes must be 1 or more."
  }
}

variable "max_direct_upload_bytes" {
  description = "Largest application upload accepted in one request (MAX_DIRECT_UPLOAD_BYTES); larger files take the large-file path. Cloud Functions caps a request at 32 MiB."
  type        = number
  default     = 33554432
}

variable "max_event_age_seconds" {
  description = "Storage events older than this are dropped (MAX_EVENT_AGE_SECONDS); the expiry task settles their builds."
  type        = number
  default     = 3600
}

variable "max_form_body_bytes" {
  description = "Largest urlencoded (or non-upload multipart) request body (MAX_FORM_BODY_BYTES); larger ones are refused with 413 before they are parsed."
  type        = number
  default     = 16384

  validation {
    condition     = var.max_form_body_bytes >= 1024 && var.max_form_body_bytes <= 33554432
    error_message = "max_form_body_bytes must be between 1 KiB (a sign-in form) and 32 MiB (the request limit)."
  }
}

variable "max_inline_hash_bytes" {
  description = "A large upload up to this size is hashed (SHA-256) before its answer; a larger one after it, by hash-worker (MAX_INLINE_HASH_BYTES)."
  type        = number
  default     = 33554432

  validation {
    condition     = var.max_inline_hash_bytes >= 0
    error_message = "max_inline_hash_bytes must be 0 or more."
  }
}

variable "max_instance_count" {
  description = "Most instances of each function at once."
  type        = number
  default     = 20
}

variable "max_json_body_bytes" {
  description = "Largest request body other than a form or an upload, JSON above all (MAX_JSON_BODY_BYTES); larger ones are refused with 413 before they are parsed."
  type        = number
  default     = 65536

  validation {
    condition     = var.max_json_body_bytes >= 4096 && var.max_json_body_bytes <= 33554432
    error_message = "max_json_body_bytes must be between 4 KiB (a build registration or a task) and 32 MiB (the request limit)."
  }
}

variable "max_notification_recipients" {
  description = "Most distinct addresses an upload's notificationEmails may list (MAX_NOTIFICATION_RECIPIENTS); more answer 400. SendGrid takes at most 1000 personalizations per message."
  type        = number
  default     = 100

  validation {
    condition     = var.max_notification_recipients >= 1 && var.max_notification_recipients <= 1000
    error_message = "max_notification_recipients must be between 1 and 1000."
  }
}

variable "max_page_size" {
  description = "Largest limit of a paged list such as GET /v1/audit (MAX_PAGE_SIZE); a larger one answers 400."
  type        = number
  default     = 100

  validation {
    condition     = var.max_page_size >= 1 && var.max_page_size <= 1000
    error_message = "max_page_size must be between 1 and 1000."
  }
}

variable "max_retention_channel_rules" {
  description = "Most channel rules one app's retention policy may hold (MAX_RETENTION_CHANNEL_RULES); more answers 400."
  type        = number
  default     = 50

  validation {
    condition     = var.max_retention_channel_rules >= 1 && var.max_retention_channel_rules <= 1000
    error_message = "max_retention_channel_rules must be between 1 and 1000."
  }
}

variable "max_upload_bytes" {
  description = "Largest upload through a signed URL (MAX_UPLOAD_BYTES)."
  type        = number
  default     = 1073741824
}

variable "max_webhooks_per_account" {
  description = "Webhooks one account may register (MAX_WEBHOOKS_PER_ACCOUNT); one more answers 409."
  type        = number
  default     = 20

  validation {
    condition     = var.max_webhooks_per_account >= 1 && var.max_webhooks_per_account <= 1000
    error_message = "max_webhooks_per_account must be between 1 and 1000."
  }
}

variable "play_min_target_sdk" {
  description = "Play's minimum targetSdkVersion (PLAY_MIN_TARGET_SDK): an APK targeting less fails the target_sdk Play-readiness check (a warning, never a refusal)."
  type        = number
  default     = 35

  validation {
    condition     = var.play_min_target_sdk >= 1 && var.play_min_target_sdk <= 100
    error_message = "play_min_target_sdk must be an Android API level between 1 and 100."
  }
}

variable "project_id" {
  description = "Project to deploy into; it needs billing. Bucket names derive from it."
  type        = string
}

variable "region" {
  description = "Region of the functions, the upload bucket, the queues and (unless firestore_location says otherwise) the database, e.g. europe-west1."
  type        = string
}

variable "retention_max_deletions_per_run" {
  description = "Most versions one retention enforcement deletes (RETENTION_MAX_DELETIONS_PER_RUN): one sweep, or the keepLatest after one upload; the rest waits for the next."
  type        = number
  default     = 100

  validation {
    condition     = var.retention_max_deletions_per_run >= 1 && var.retention_max_deletions_per_run <= 10000
    error_message = "retention_max_deletions_per_run must be between 1 and 10000."
  }
}

variable "retention_sweep_schedule" {
  description = "When Cloud Scheduler runs the retention sweep (maxAgeDays rules), as unix-cron in UTC; hourly by default."
  type        = string
  default     = "0 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.retention_sweep_schedule))) == 5
    error_message = "retention_sweep_schedule must be a unix-cron expression of five fields, e.g. \"0 * * * *\"."
  }
}

variable "runtime" {
  description = "Cloud Functions runtime the functions are built for."
  type        = string
  default     = "python312"
}

variable "secret_versions" {
  description = "Secret version each function reads, by key of local.secrets (distribution-keystore, sendgrid-api-key, session-signing-key); absent means \"latest\". Pin one to roll every instance onto it."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "sign_in_rate_limit_per_address" {
  description = "Sign-in requests per email address and client, per minute (SIGN_IN_RATE_LIMIT_PER_ADDRESS)."
  type        = number
  default     = 3
}

variable "sign_in_rate_limit_per_client" {
  description = "Sign-in requests per client address and minute (SIGN_IN_RATE_LIMIT_PER_CLIENT)."
  type        = number
  default     = 10
}

variable "soft_delete_retention_days" {
  description = "Days a deleted upload stays restorable (the bucket's soft delete); 0 turns soft delete off."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days == 0 || (var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90)
    error_message = "Cloud Storage allows 0 (off) or 7 to 90 days."
  }
}

variable "upload_expiry_grace_seconds" {
  description = "How long after a signed URL expires its build is failed if no file arrived (UPLOAD_EXPIRY_GRACE_SECONDS)."
  type        = number
  default     = 600
}

variable "upload_expiry_queue" {
  description = "Rate and retry settings of the upload-expiry queue (Cloud Tasks)."
  type = object({
    max_attempts              = optional(number, 20)
    max_backoff_seconds       = optional(number, 600)
    max_concurrent_dispatches = optional(number, 10)
    max_dispatches_per_second = optional(number, 10)
    min_backoff_seconds       = optional(number, 10)
  })
  default  = {}
  nullable = false

  validation {
    # Cloud Tasks reads -1 as unlimited: a task its handler refuses would be dispatched for ever.
    condition     = var.upload_expiry_queue.max_attempts >= 1 && var.upload_expiry_queue.max_attempts <= 100
    error_message = "upload_expiry_queue.max_attempts must be 1 to 100."
  }
}

variable "upload_rate_limit_per_minute" {
  description = "Application upload requests per API key and minute (UPLOAD_RATE_LIMIT_PER_MINUTE)."
  type        = number
  default     = 10
}

variable "upload_url_ttl_seconds" {
  description = "How long a signed upload URL stays valid (UPLOAD_URL_TTL_SECONDS), at most 7 days."
  type        = number
  default     = 3600

  validation {
    condition     = var.upload_url_ttl_seconds >= 1 && var.upload_url_ttl_seconds <= 604800
    error_message = "A V4 signed URL lives 1 second to 7 days."
  }
}

variable "url_fetch_connect_timeout_seconds" {
  description = "Connect timeout of apkUrl imports (URL_FETCH_CONNECT_TIMEOUT_SECONDS)."
  type        = number
  default     = 5
}

variable "url_fetch_min_bytes_per_second" {
  description = "Slowest average rate of an apkUrl download once the grace period is over (URL_FETCH_MIN_BYTES_PER_SECOND); slower answers 400."
  type        = number
  default     = 65536

  validation {
    condition     = var.url_fetch_min_bytes_per_second >= 1
    error_message = "url_fetch_min_bytes_per_second must be at least 1."
  }
}

variable "url_fetch_min_rate_grace_seconds" {
  description = "How long an apkUrl download may ramp up before its rate counts (URL_FETCH_MIN_RATE_GRACE_SECONDS)."
  type        = number
  default     = 10

  validation {
    condition     = var.url_fetch_min_rate_grace_seconds > 0
    error_message = "url_fetch_min_rate_grace_seconds must be positive."
  }
}

variable "url_fetch_read_timeout_seconds" {
  description = "Read timeout of apkUrl imports (URL_FETCH_READ_TIMEOUT_SECONDS)."
  type        = number
  default     = 30
}

variable "url_fetch_total_timeout_seconds" {
  description = "Deadline of a whole apkUrl download, redirects included (URL_FETCH_TOTAL_TIMEOUT_SECONDS); later answers 400. Keep it below the function's timeout."
  type        = number
  default     = 300

  validation {
    condition     = var.url_fetch_total_timeout_seconds > 0
    error_message = "url_fetch_total_timeout_seconds must be positive."
  }
}

variable "webhook_queue" {
  description = "Rate and retry settings of the webhooks queue (Cloud Tasks): a 429, a 5xx, a timeout or a connection failure is retried with this backoff, up to max_attempts."
  type = object({
    max_attempts              = optional(number, 8)
    max_backoff_seconds       = optional(number, 3600)
    max_concurrent_dispatches = optional(number, 10)
    max_dispatches_per_second = optional(number, 5)
    min_backoff_seconds       = optional(number, 10)
  })
  default  = {}
  nullable = false
  validation {
    # The worker is told it (WEBHOOK_MAX_ATTEMPTS) to record the last attempt: never unlimited.
    condition     = var.webhook_queue.max_attempts >= 1 && var.webhook_queue.max_attempts <= 100
    error_message = "webhook_queue.max_attempts must be 1 to 100."
  }
}

variable "webhook_timeout_seconds" {
  description = "Longest webhook POST, connection to answer (WEBHOOK_TIMEOUT_SECONDS); a slower receiver is retried."
  type        = number
  default     = 10

  validation {
    condition     = var.webhook_timeout_seconds > 0 && var.webhook_timeout_seconds <= 60
    error_message = "webhook_timeout_seconds must be more than 0 and at most 60."
  }
}
