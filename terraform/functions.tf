# One 2nd gen Cloud Function per entry of routes.json, all built from the same source archive.
resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions
  #checkov:skip=CKV_GCP_124:public API functions must answer on their own URL when no load balancer is configured (the default); with one they take ALLOW_INTERNAL_AND_GCLB

  description = each.value.description
  location    = var.region
  name        = each.key
  project     = var.project_id

  build_config {
    entry_point     = each.value.entryPoint
    runtime         = var.runtime
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.functions_source.name
        object = google_storage_bucket_object.functions_source.name
      }
    }
  }

  service_config {
    all_traffic_on_latest_revision   = true
    available_cpu                    = "1"
    available_memory                 = each.value.memory
    environment_variables            = merge(local.function_env[each.key], contains(each.value.settings, "signing") ? { SIGNING_SERVICE_ACCOUNT_EMAIL = google_service_account.function[each.key].email } : {})
    ingress_settings                 = local.ingress_settings[each.value.invokers]
    max_instance_count               = var.max_instance_count
    max_instance_request_concurrency = each.value.concurrency
    min_instance_count               = 0
    service_account_email            = google_service_account.function[each.key].email
    timeout_seconds                  = each.value.timeout_seconds

    # Read when an instance starts: a new secret version reaches new instances; pin one in
    # var.secret_versions to roll every instance onto it (README.md).
    dynamic "secret_environment_variables" {
      for_each = each.value.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = lookup(var.secret_versions, secret_environment_variables.value, "latest")
      }
    }
  }

  # Event handlers: the upload bucket's events of the type routes.json names, delivered by
  # Eventarc as its own account and retried (with backoff, for up to 24 hours: 2nd gen
  # functions' limit) while the handler fails, which it does only when a backend is down.
  dynamic "event_trigger" {
    for_each = each.value.invokers == "eventarc" ? [each.value.eventType] : []
    content {
      event_type            = event_trigger.value
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.eventarc.email
      trigger_region        = var.region

      event_filters {
        attribute = "bucket"
        value     = google_storage_bucket.uploads.name
      }
    }
  }

  depends_on = [
    google_firestore_database.main,
    google_project_iam_member.build,
    google_project_iam_member.eventarc_receiver,
    google_project_iam_member.storage_publisher,
    google_secret_manager_secret_iam_member.function,
    google_storage_bucket_iam_member.build_source,
  ]
}

# The URLs the functions' environment was given (locals.tf) must be the ones they got.
check "function_urls" {
  assert {
    condition = alltrue([
      for name, function in google_cloudfunctions2_function.function : function.url == local.function_urls[name]
    ])
    error_message = "A function's URL differs from the one computed in locals.tf (function_urls), which the functions' environment uses."
  }
}
