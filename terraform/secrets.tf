# The secrets the functions read. Terraform creates them empty and never sees a value (so none
# lands in its state): the operator adds each value as a secret version with gcloud (README.md).
# Each one is readable only by the functions whose function_needs entry names it (iam.tf).
locals {
  secrets = {
    sendgrid-api-key    = "SendGrid API key the email worker sends with (SENDGRID_API_KEY)"
    session-signing-key = "Key install-pages signs sign-in sessions with (SESSION_SIGNING_KEY)"
    webhook-signing-key = "Key webhook secrets derive from (WEBHOOK_SIGNING_KEY), at least 32 characters"
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each = local.secrets

  annotations = { description = each.value }
  project     = var.project_id
  secret_id   = "${local.name_prefix}-${each.key}"

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}
