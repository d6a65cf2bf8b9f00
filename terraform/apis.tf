# Every API the deployment uses. They stay enabled on destroy: other workloads may share the
# project, and disabling an API can break them.
locals {
  apis = concat(
    [
      "artifactregistry.googleapis.com", # images of the built functions
      "cloudbuild.googleapis.com",       # builds the functions from the source archive
      "cloudfunctions.googleapis.com",
      "cloudresourcemanager.googleapis.com", # project-level IAM grants
      "cloudscheduler.googleapis.com",       # the retention sweep
      "cloudtasks.googleapis.com",
      "eventarc.googleapis.com",
      "firestore.googleapis.com",
      "iam.googleapis.com",
      "iamcredentials.googleapis.com", # signBlob: V4 signed URLs without a private key
      "logging.googleapis.com",
      "pubsub.googleapis.com", # Eventarc's transport for storage events
      "run.googleapis.com",    # functions (2nd gen) run as Cloud Run services
      "secretmanager.googleapis.com",
      "storage.googleapis.com",
    ],
    local.load_balancer_enabled ? ["compute.googleapis.com"] : [],
  )
}

resource "google_project_service" "api" {
  for_each = toset(local.apis)

  disable_on_destroy = false
  project            = var.project_id
  service            = each.key
}
