# The Cloud Tasks queues. Every task carries an OIDC token of the tasks invoker account
# (iam.tf) for the URL it calls; task handlers answer 503 to ask for a retry, so the retry
# settings below decide how long a Google outage can last before a task is dropped.
locals {
  queues = {
    bundle-conversions = var.bundle_conversion_queue # one task per uploaded App Bundle, to bundle-converter
    emails             = var.email_queue             # one task per email, to email-worker
    hashes             = var.hash_queue              # one task per large upload to hash, to hash-worker
    upload-expiry      = var.upload_expiry_queue     # one task per registered build, to build-upload-expiry
    webhooks           = var.webhook_queue           # one task per webhook and event, to webhook-worker
  }
}

resource "google_cloud_tasks_queue" "queue" {
  for_each = local.queues

  location = var.region
  name     = each.key
  project  = var.project_id

  rate_limits {
    max_concurrent_dispatches = each.value.max_concurrent_dispatches
    max_dispatches_per_second = each.value.max_dispatches_per_second
  }

  retry_config {
    max_attempts  = each.value.max_attempts
    max_backoff   = "${each.value.max_backoff_seconds}s"
    max_doublings = 5
    min_backoff   = "${each.value.min_backoff_seconds}s"
  }

  # Every dispatch and its outcome is logged: task volume is one per build, email, large upload or
  # webhook event.
  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.api]
}
