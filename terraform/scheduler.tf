# The retention sweep: Cloud Scheduler POSTs to the retention-sweeper function on
# var.retention_sweep_schedule with an OIDC token of its own account, for the function's URL
# (the audience the function checks, RETENTION_SWEEPER_URL). A run that fails (503) is retried;
# one that stops at RETENTION_MAX_DELETIONS_PER_RUN leaves the rest to the next run.
resource "google_cloud_scheduler_job" "retention_sweep" {
  attempt_deadline = "${local.function_needs["retention-sweeper"].timeout_seconds}s"
  description      = "Deletes the versions apkdrop's retention policies expire"
  name             = "${local.name_prefix}-retention-sweep"
  project          = var.project_id
  region           = var.region
  schedule         = var.retention_sweep_schedule
  time_zone        = "Etc/UTC"

  http_target {
    http_method = "POST"
    uri         = local.function_urls["retention-sweeper"]

    oidc_token {
      audience              = local.function_urls["retention-sweeper"]
      service_account_email = google_service_account.retention_scheduler.email
    }
  }

  retry_config {
    max_backoff_duration = "600s"
    min_backoff_duration = "30s"
    retry_count          = 3
  }

  depends_on = [google_cloudfunctions2_function.function, google_cloud_run_v2_service_iam_member.invoker]
}
