locals {
  # The one routes table: the functions (entry point, signature, who invokes them) and the public
  # routes. infra/gateway.py reads the same file for the local stack.
  routes_table = jsondecode(file("${path.module}/../functions/routes.json"))

  # What each function needs beyond routes.json. Adding a function is one entry in routes.json
  # plus one entry here; an entry whose function is not in routes.json yet is not deployed.
  #   bucket_roles     roles on the upload bucket (its V4 signed URLs act as the function too): a
  #                    predefined role, or a key of custom_bucket_roles. tests/unit/test_iam.py
  #                    checks them against the permissions the function's code needs.
  #   concurrency      requests one instance serves at once
  #   enqueues         keys of local.queues it creates tasks on
  #   firestore        roles/datastore.user
  #   memory           memory of one instance (each gets one vCPU)
  #   secrets          environment variable => key of local.secrets
  #   settings         the groups of its settings class (functions/apkdrop/settings.py: its
  #                    FUNCTION_SETTINGS class, whose groups are named here in snake case
  #                    without "Settings"): keys of local.settings_env. With "signing", it
  #                    signs V4 URLs through IAM signBlob as itself
  #   timeout_seconds  longest request
  function_needs = {
    application-api = {
      bucket_roles = ["roles/storage.objectUser"] # streams uploads in, then moves, hashes or deletes them
      concurrency  = 1                            # holds up to 32 MiB bodies and 8 MiB chunks
      # bundles' universal APKs, upload notifications, large uploads' hashes, webhook events
      enqueues        = ["bundle-conversions", "emails", "hashes", "webhooks"]
      firestore       = true
      memory          = "1Gi"
      secrets         = { WEBHOOK_SIGNING_KEY = "webhook-signing-key" } # shows a new hook's secret
      settings        = ["core", "bucket", "signing", "upload_limit", "signed_upload", "email_queue", "email_task", "hash_queue", "inline_hash", "hash_task", "conversion_queue", "conversion_task", "task_auth", "body_limit", "public_link", "application_upload", "paging", "play_check", "retention_policy", "retention_run", "webhook", "webhook_registration", "webhook_queue", "webhook_task"]
      timeout_seconds = 540 # an apkUrl import streams up to 1 GiB
    }
    build-api = {
      # its create-only upload URLs; deleting builds' files
      bucket_roles    = ["roles/storage.objectCreator", "apkdropBuildDeleter"]
      concurrency     = 4
      enqueues        = ["upload-expiry"]
      firestore       = true
      memory          = "512Mi"
      secrets         = {}
      settings        = ["core", "bucket", "signing", "upload_limit", "signed_upload", "expiry_queue", "expiry_task", "task_auth", "body_limit"]
      timeout_seconds = 60
    }
    build-finalized = {
      # ranged reads of the APK; customTime on failure; a file arriving for a deleted build
      bucket_roles    = ["apkdropUploadSettler", "apkdropBuildDeleter"]
      concurrency     = 1
      enqueues        = ["webhooks"] # build.finished and build.failed events
      firestore       = true
      memory          = "1Gi"
      secrets         = {}
      settings        = ["core", "bucket", "upload_limit", "task_auth", "event_age", "play_check", "webhook_queue", "webhook_task"]
      timeout_seconds = 300
    }
    build-upload-expiry = {
      # settles a build whose file came without its event (deletes it if the build was deleted)
      bucket_roles    = ["apkdropUploadSettler", "apkdropBuildDeleter"]
      concurrency     = 4
      enqueues        = ["webhooks"] # build.finished and build.failed events
      firestore       = true
      memory          = "512Mi"
      secrets         = {}
      settings        = ["core", "bucket", "upload_limit", "expiry_task", "task_auth", "body_limit", "play_check", "webhook_queue", "webhook_task"]
      timeout_seconds = 300
    }
    bundle-converter = {
      bucket_roles = ["roles/storage.objectUser"] # reads the bundle, stores its universal APK (replacing a half-stored one)
      concurrency  = 1                            # one bundletool run at a time
      enqueues     = []
      firestore    = true
      # /tmp is memory: the bundle, bundletool's .apks and the universal APK (each up to
      # MAX_CONVERSION_BUNDLE_BYTES, 256 MiB) plus bundletool itself (~150 MB RSS for a
      # 20 MiB bundle) fit in 2Gi, not in 1Gi.
      memory          = "2Gi"
      secrets         = { DISTRIBUTION_KEYSTORE = "distribution-keystore" } # with bundle_conversion_enabled
      settings        = ["core", "bucket", "upload_limit", "conversion_task", "conversion", "conversion_retry", "task_auth", "body_limit"]
      timeout_seconds = 540 # bundletool is killed at CONVERSION_TIMEOUT_SECONDS (at most 480)
    }
    email-worker = {
      bucket_roles    = ["roles/storage.objectViewer"] # app icons behind signed GET URLs
      concurrency     = 4
      enqueues        = []
      firestore       = true
      memory          = "512Mi"
      secrets         = { SENDGRID_API_KEY = "sendgrid-api-key" }
      settings        = ["core", "bucket", "signing", "email_task", "task_auth", "mail", "body_limit", "public_link"]
      timeout_seconds = 60
    }
    hash-worker = {
      bucket_roles    = ["roles/storage.objectViewer"] # reads the published APK once, to hash it
      concurrency     = 1                              # one 8 MiB read chunk at a time
      enqueues        = []
      firestore       = true
      memory          = "512Mi"
      secrets         = {}
      settings        = ["core", "bucket", "hash_task", "hash_retry", "task_auth", "body_limit"]
      timeout_seconds = 540 # hashes up to 1 GiB
    }
    install-pages = {
      bucket_roles    = ["roles/storage.objectViewer"] # APKs and icons behind signed GET URLs
      concurrency     = 4
      enqueues        = ["emails"] # sign-in links
      firestore       = true
      memory          = "512Mi"
      secrets         = { SESSION_SIGNING_KEY = "session-signing-key" }
      settings        = ["core", "bucket", "signing", "email_queue", "email_task", "task_auth", "body_limit", "public_link", "sign_in", "install_page_history"]
      timeout_seconds = 60
    }
    retention-sweeper = {
      bucket_roles    = ["apkdropVersionDeleter"] # the files of the versions and builds it deletes
      concurrency     = 1
      enqueues        = ["bundle-conversions", "hashes", "webhooks"] # what never arrived; the version.deleted events of what it deletes
      firestore       = true
      memory          = "512Mi"
      secrets         = {}
      settings        = ["core", "bucket", "hash_queue", "hash_task", "conversion_queue", "conversion_task", "task_auth", "body_limit", "public_link", "retention_run", "scheduler_auth", "webhook_queue", "webhook_task", "stale_work"]
      timeout_seconds = 540 # one bounded batch (RETENTION_MAX_DELETIONS_PER_RUN)
    }
    webhook-worker = {
      bucket_roles    = ["roles/storage.objectViewer"] # app icons behind signed GET URLs (Slack)
      concurrency     = 4
      enqueues        = []
      firestore       = true
      memory          = "512Mi"
      secrets         = { WEBHOOK_SIGNING_KEY = "webhook-signing-key" }
      settings        = ["core", "bucket", "signing", "task_auth", "body_limit", "public_link", "webhook", "webhook_task", "webhook_retry"]
      timeout_seconds = 120 # one POST (WEBHOOK_TIMEOUT_SECONDS, at most 60) and its records
    }
  }

  # Roles no predefined one matches without granting more: the settling functions read uploads
  # and mark failed ones (customTime, which the lifecycle rule counts from), nothing else;
  # objectUser would also let them create and delete objects. Deleting builds' files (the build
  # API's DELETE, and a file that arrives for a deleted build) needs only delete; objectUser
  # would also let the build API read and overwrite every APK of the bucket.
  custom_bucket_roles = {
    apkdropBuildDeleter = {
      title       = "apkdrop build deleter"
      description = "Deletes the files of deleted builds."
      permissions = ["storage.objects.delete"]
    }
    apkdropVersionDeleter = {
      title       = "apkdrop version deleter"
      description = "Deletes the files of the versions and builds retention policies delete."
      permissions = ["storage.objects.delete"]
    }
    apkdropUploadSettler = {
      title       = "apkdrop upload settler"
      description = "Reads uploaded APKs and marks failed uploads for deletion (customTime)."
      permissions = ["storage.objects.get", "storage.objects.update"]
    }
  }

  # The deployed functions: routes.json joined with their needs (a function of routes.json
  # without an entry in function_needs fails the plan, by design).
  functions = {
    for name, spec in local.routes_table.functions : name => merge(spec, local.function_needs[name], {
      # A disabled secret (secrets.tf) is neither read nor readable.
      secrets = {
        for variable, secret in local.function_needs[name].secrets : variable => secret
        if !contains(local.disabled_secrets, secret)
      }
    })
  }

  # A 2nd gen function's URL is known before it exists. Computing it lets every function's
  # environment name every other function (and itself) without a dependency cycle; the
  # function_urls check in functions.tf compares it with what the API reports.
  function_urls = {
    for name in keys(local.function_needs) :
    name => "https://${var.region}-${var.project_id}.cloudfunctions.net/${name}"
  }

  load_balancer_enabled = var.load_balancer != null
  load_balancer_url     = local.load_balancer_enabled ? "https://${var.load_balancer.domain}" : null

  # Magic links are {PUBLIC_BASE_URL}/app/{id}, served by install-pages: the load balancer's
  # domain routes /app/* there; without it, install-pages' own URL.
  public_base_url = coalesce(local.load_balancer_url, local.function_urls["install-pages"])

  # The variables of each settings group (functions/apkdrop/settings.py) that a deployment
  # sets, by group: a function gets those of its groups (function_env). Set elsewhere: each
  # signing function's own SIGNING_SERVICE_ACCOUNT_EMAIL (functions.tf) and the secrets
  # (function_needs). Never set in a deployment, being for the local stack and tests only:
  # SIGNING_CREDENTIALS_FILE, URL_FETCH_LOOPBACK_PORT, WEBHOOK_DEV_RECEIVER_URL,
  # DEV_ALLOW_UNAUTHENTICATED_TASKS and the
  # *_EMULATOR_HOST variables.
  settings_env = {
    application_upload = {
      MAX_ALLOWED_USERS                 = tostring(var.max_allowed_users)
      MAX_DIRECT_UPLOAD_BYTES           = tostring(var.max_direct_upload_bytes)
      MAX_NOTIFICATION_RECIPIENTS       = tostring(var.max_notification_recipients)
      UPLOAD_RATE_LIMIT_PER_MINUTE      = tostring(var.upload_rate_limit_per_minute)
      URL_FETCH_CONNECT_TIMEOUT_SECONDS = tostring(var.url_fetch_connect_timeout_seconds)
      URL_FETCH_MIN_BYTES_PER_SECOND    = tostring(var.url_fetch_min_bytes_per_second)
      URL_FETCH_MIN_RATE_GRACE_SECONDS  = tostring(var.url_fetch_min_rate_grace_seconds)
      URL_FETCH_READ_TIMEOUT_SECONDS    = tostring(var.url_fetch_read_timeout_seconds)
      URL_FETCH_TOTAL_TIMEOUT_SECONDS   = tostring(var.url_fetch_total_timeout_seconds)
    }
    body_limit = {
      MAX_FORM_BODY_BYTES = tostring(var.max_form_body_bytes)
      MAX_JSON_BODY_BYTES = tostring(var.max_json_body_bytes)
    }
    bucket = {
      UPLOAD_BUCKET = google_storage_bucket.uploads.name
    }
    core = {
      GOOGLE_CLOUD_PROJECT = var.project_id
      LOG_LEVEL            = var.log_level
      REGION               = var.region
    }
    email_queue = {
      EMAIL_QUEUE = google_cloud_tasks_queue.queue["emails"].name
    }
    email_task = {
      EMAIL_WORKER_URL = local.function_urls["email-worker"]
    }
    hash_queue = {
      HASH_QUEUE = google_cloud_tasks_queue.queue["hashes"].name
    }
    inline_hash = {
      MAX_INLINE_HASH_BYTES = tostring(var.max_inline_hash_bytes)
    }
    hash_task = {
      HASH_WORKER_URL = local.function_urls["hash-worker"]
    }
    hash_retry = {
      HASH_MAX_ATTEMPTS = tostring(var.hash_queue.max_attempts)
    }
    stale_work = { # longer than every attempt of a task, each with its backoff before it
      HASH_STALE_AFTER_SECONDS       = tostring(var.hash_queue.max_attempts * (var.hash_queue.max_backoff_seconds + local.function_needs["hash-worker"].timeout_seconds))
      CONVERSION_STALE_AFTER_SECONDS = tostring(var.bundle_conversion_queue.max_attempts * (var.bundle_conversion_queue.max_backoff_seconds + local.function_needs["bundle-converter"].timeout_seconds))
    }
    conversion = { # and the secret DISTRIBUTION_KEYSTORE, with var.bundle_conversion_enabled
      CONVERSION_TIMEOUT_SECONDS  = tostring(var.conversion_timeout_seconds)
      MAX_CONVERSION_BUNDLE_BYTES = tostring(var.max_conversion_bundle_bytes)
    }
    conversion_retry = {
      CONVERSION_MAX_ATTEMPTS = tostring(var.bundle_conversion_queue.max_attempts)
    }
    conversion_queue = {
      BUNDLE_CONVERSION_QUEUE = google_cloud_tasks_queue.queue["bundle-conversions"].name
    }
    conversion_task = {
      BUNDLE_CONVERTER_URL = local.function_urls["bundle-converter"]
    }
    event_age = {
      MAX_EVENT_AGE_SECONDS = tostring(var.max_event_age_seconds)
    }
    expiry_queue = {
      UPLOAD_EXPIRY_GRACE_SECONDS = tostring(var.upload_expiry_grace_seconds)
      UPLOAD_EXPIRY_QUEUE         = google_cloud_tasks_queue.queue["upload-expiry"].name
    }
    expiry_task = {
      UPLOAD_EXPIRY_URL = local.function_urls["build-upload-expiry"]
    }
    install_page_history = {
      INSTALL_PAGE_HISTORY_VERSIONS = tostring(var.install_page_history_versions)
    }
    mail = { # and the secret SENDGRID_API_KEY
      EMAIL_FROM    = var.email_from
      SENDGRID_HOST = "https://api.sendgrid.com"
    }
    paging = {
      MAX_PAGE_SIZE = tostring(var.max_page_size)
    }
    play_check = {
      PLAY_MIN_TARGET_SDK = tostring(var.play_min_target_sdk)
    }
    public_link = {
      PUBLIC_BASE_URL = local.public_base_url
    }
    retention_policy = {
      MAX_RETENTION_CHANNEL_RULES = tostring(var.max_retention_channel_rules)
    }
    retention_run = {
      RETENTION_MAX_DELETIONS_PER_RUN = tostring(var.retention_max_deletions_per_run)
    }
    scheduler_auth = {
      RETENTION_SCHEDULER_SERVICE_ACCOUNT = google_service_account.retention_scheduler.email
      RETENTION_SWEEPER_URL               = local.function_urls["retention-sweeper"]
    }
    sign_in = {                               # and the secret SESSION_SIGNING_KEY
      SESSION_COOKIE_SECURE          = "true" # false only for the local stack's plain http
      SIGN_IN_RATE_LIMIT_PER_ADDRESS = tostring(var.sign_in_rate_limit_per_address)
      SIGN_IN_RATE_LIMIT_PER_CLIENT  = tostring(var.sign_in_rate_limit_per_client)
      # Proxies that append to X-Forwarded-For: Google's front end, and the load balancer if on.
      TRUSTED_PROXY_HOPS = local.load_balancer_enabled ? "2" : "1"
    }
    signed_upload = {
      UPLOAD_URL_TTL_SECONDS = tostring(var.upload_url_ttl_seconds)
    }
    signing = { # and the function's own SIGNING_SERVICE_ACCOUNT_EMAIL (functions.tf)
      SIGNED_URL_ENDPOINT = "https://storage.googleapis.com"
    }
    task_auth = {
      TASKS_INVOKER_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
    }
    upload_limit = {
      MAX_UPLOAD_BYTES = tostring(var.max_upload_bytes)
    }
    webhook = { # and the secret WEBHOOK_SIGNING_KEY
      WEBHOOK_TIMEOUT_SECONDS = tostring(var.webhook_timeout_seconds)
    }
    webhook_queue = {
      WEBHOOK_QUEUE = google_cloud_tasks_queue.queue["webhooks"].name
    }
    webhook_registration = {
      MAX_WEBHOOKS_PER_ACCOUNT = tostring(var.max_webhooks_per_account)
    }
    webhook_task = {
      WEBHOOK_WORKER_URL = local.function_urls["webhook-worker"]
    }
    webhook_retry = {
      WEBHOOK_MAX_ATTEMPTS = tostring(var.webhook_queue.max_attempts)
    }
  }

  # Each function's plain environment: the variables of its settings groups, and no other.
  function_env = {
    for name, needs in local.function_needs : name => merge(
      [for group in needs.settings : local.settings_env[group]]...
    )
  }

  # Whom each kind of function (routes.json "invokers") lets call it: anyone for the public
  # APIs (they check API keys themselves), only the tasks' OIDC account for task handlers, only
  # the trigger's account for event handlers, only the scheduler job's account for its target.
  invoker_members = {
    eventarc  = "serviceAccount:${google_service_account.eventarc.email}"
    public    = "allUsers"
    scheduler = "serviceAccount:${google_service_account.retention_scheduler.email}"
    tasks     = "serviceAccount:${google_service_account.tasks_invoker.email}"
  }

  # Task, event and scheduled handlers are reached only from inside Google Cloud (Cloud Tasks,
  # Eventarc and Cloud Scheduler of this project count as internal); with the load balancer,
  # the public functions answer only through it.
  ingress_settings = {
    eventarc  = "ALLOW_INTERNAL_ONLY"
    public    = local.load_balancer_enabled ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_ALL"
    scheduler = "ALLOW_INTERNAL_ONLY"
    tasks     = "ALLOW_INTERNAL_ONLY"
  }

  # Service account ids are at most 30 characters: "apkdrop-" leaves 22 for a function's name.
  name_prefix = "apkdrop"
}
