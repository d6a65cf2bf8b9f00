# The one source archive every function is built from, and the account that builds them.

# functions/ (main.py, routes.json, requirements.txt, apkdrop/) zipped reproducibly: the
# archive has fixed timestamps and file modes, so its hash changes only with its content.
data "archive_file" "functions" {
  excludes         = ["**/__pycache__", "**/*.pyc"]
  output_file_mode = "0644"
  output_path      = "${path.module}/.terraform/build/functions.zip"
  source_dir       = "${path.module}/../functions"
  type             = "zip"
}

resource "google_storage_bucket" "functions_source" {
  #checkov:skip=CKV_GCP_62:holds only build inputs; Cloud Audit Logs record access
  #checkov:skip=CKV_GCP_78:archives are named by content hash and never overwritten; Terraform re-uploads a missing one

  force_destroy               = true # only build inputs, all reproducible from the repository
  location                    = var.region
  name                        = "${var.project_id}-${local.name_prefix}-functions-source"
  project                     = var.project_id
  public_access_prevention    = "enforced"
  uniform_bucket_level_access = true

  depends_on = [google_project_service.api]
}

# Named by its content: new code is a new object, which redeploys every function; unchanged
# code changes nothing.
resource "google_storage_bucket_object" "functions_source" {
  bucket = google_storage_bucket.functions_source.name
  name   = "functions-${data.archive_file.functions.output_sha256}.zip"
  source = data.archive_file.functions.output_path
}

# Cloud Build runs each function's build as this account (new projects' default build account
# has no roles). run.builder is Google's role for building functions; it is granted on the
# project because a build reads the source from Cloud Functions' own gcf-v2-sources bucket and
# writes to its gcf-artifacts repository, neither of which this configuration owns.
resource "google_service_account" "build" {
  account_id   = "${local.name_prefix}-build"
  description  = "Builds the apkdrop functions from their source archive"
  display_name = "apkdrop function builds"
  project      = var.project_id

  depends_on = [google_project_service.api]
}

resource "google_project_iam_member" "build" {
  member  = google_service_account.build.member
  project = var.project_id
  role    = "roles/run.builder"
}

resource "google_storage_bucket_iam_member" "build_source" {
  bucket = google_storage_bucket.functions_source.name
  member = google_service_account.build.member
  role   = "roles/storage.objectViewer"
}
