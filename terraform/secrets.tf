# The secrets the functions read. Terraform creates them empty and never sees a value (so none
# lands in its state): the operator adds each value as a secret version with gcloud (README.md).
# Each one is readable only by the functions whose function_needs entry names it (iam.tf).
locals {
  secrets = {
    distribution-keystore = "Keystore bundle-converter signs universal APKs with (DISTRIBUTION_KEYSTORE: JSON of a base64 PKCS#12 and its password); read only with bundle_conversion_enabled"
    sendgrid-api-key      = "SendGrid API key the email worker sends with (SENDGRID_API_KEY)"
    session-signing-key   = "Key install-pages signs sign-in sessions with (SESSION_SIGNING_KEY)"
    webhook-signing-key   = "Key webhook secrets derive from (WEBHOOK_SIGNING_KEY), at least 32 characters"
  }
  # Secrets no function reads (nor may): the keystore until the operator turns conversion on,
  # so a deployment needs no keystore (without one, bundles are recorded SKIPPED).
  disabled_secrets = var.bundle_conversion_enabled ? [] : ["distribution-keystore"]
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
