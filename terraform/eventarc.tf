# Storage events: Eventarc delivers the upload bucket's object-finalized events to the functions
# whose routes.json entry has "invokers": "eventarc", through the trigger each such function
# declares (functions.tf), as an account of its own, with retries on.

resource "google_service_account" "eventarc" {
  account_id   = "${local.name_prefix}-eventarc"
  description  = "Identity Eventarc delivers the upload bucket's events with"
  display_name = "apkdrop storage events"
  project      = var.project_id

  depends_on = [google_project_service.api]
}

# Receiving events can only be granted on the project; invoking is granted on each event
# function alone (iam.tf, google_cloud_run_v2_service_iam_member.invoker).
resource "google_project_iam_member" "eventarc_receiver" {
  member  = google_service_account.eventarc.member
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
}

# Cloud Storage publishes the bucket's notifications to a Pub/Sub topic that Eventarc creates
# with the trigger; its name is not known beforehand, so the grant is on the project.
data "google_storage_project_service_account" "storage" {
  project = var.project_id

  depends_on = [google_project_service.api]
}

resource "google_project_iam_member" "storage_publisher" {
  member  = "serviceAccount:${data.google_storage_project_service_account.storage.email_address}"
  project = var.project_id
  role    = "roles/pubsub.publisher"
}
