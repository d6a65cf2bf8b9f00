# Who may do what. Each function runs as its own service account, granted only what its
# function_needs entry (locals.tf) says, on the resource itself wherever the provider allows.

resource "google_service_account" "function" {
  for_each = local.functions

  account_id   = "${local.name_prefix}-${each.key}"
  description  = each.value.description
  display_name = "apkdrop ${each.key}"
  project      = var.project_id

  depends_on = [google_project_service.api]
}

# The account whose OIDC token Cloud Tasks attaches to every task (TASKS_INVOKER_SERVICE_ACCOUNT):
# the only caller the task handlers accept.
resource "google_service_account" "tasks_invoker" {
  account_id   = "${local.name_prefix}-tasks-invoker"
  description  = "Identity of the OIDC tokens Cloud Tasks sends to apkdrop's task handlers"
  display_name = "apkdrop task invoker"
  project      = var.project_id

  depends_on = [google_project_service.api]
}

# The account whose OIDC token the retention sweep's Cloud Scheduler job sends
# (RETENTION_SCHEDULER_SERVICE_ACCOUNT): the sweeper's only caller. It holds nothing but
# run.invoker on that one function (google_cloud_run_v2_service_iam_member.invoker).
resource "google_service_account" "retention_scheduler" {
  account_id   = "${local.name_prefix}-retention-sched"
  description  = "Identity of the OIDC tokens Cloud Scheduler sends to apkdrop's retention sweeper"
  display_name = "apkdrop retention scheduler"
  project      = var.project_id

  depends_on = [google_project_service.api]
}

locals {
  bucket_grants = merge([
    for name, function in local.functions : {
      for role in function.bucket_roles : "${name} ${role}" => { function = name, role = role }
    }
  ]...)
  queue_grants = merge([
    for name, function in local.functions : {
      for queue in function.enqueues : "${name} ${queue}" => { function = name, queue = queue }
    }
  ]...)
  secret_grants = merge([
    for name, function in local.functions : {
      for variable, secret in function.secrets : "${name} ${secret}" => { function = name, secret = secret }
    }
  ]...)
}

resource "google_project_iam_custom_role" "bucket" {
  for_each = local.custom_bucket_roles

  description = each.value.description
  permissions = each.value.permissions
  project     = var.project_id
  role_id     = each.key
  title       = each.value.title

  depends_on = [google_project_service.api]
}

# Object access on the upload bucket. A V4 signed URL acts as its signer, so a function that
# signs upload URLs holds the object create permission those uploads use.
resource "google_storage_bucket_iam_member" "function" {
  for_each = local.bucket_grants

  bucket = google_storage_bucket.uploads.name
  member = google_service_account.function[each.value.function].member
  role   = contains(keys(local.custom_bucket_roles), each.value.role) ? google_project_iam_custom_role.bucket[each.value.role].id : each.value.role
}

# Firestore access can only be granted on the project (its database has no IAM policy).
resource "google_project_iam_member" "firestore" {
  for_each = { for name, function in local.functions : name => function if function.firestore }

  member  = google_service_account.function[each.key].member
  project = var.project_id
  role    = "roles/datastore.user"
}

# Creating tasks on a queue, each carrying the invoker account's OIDC token, which needs
# actAs (serviceAccountUser) on that account.
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.queue_grants

  location = var.region
  member   = google_service_account.function[each.value.function].member
  name     = google_cloud_tasks_queue.queue[each.value.queue].name
  project  = var.project_id
  role     = "roles/cloudtasks.enqueuer"
}

resource "google_service_account_iam_member" "tasks_invoker_user" {
  for_each = toset(distinct([for grant in local.queue_grants : grant.function]))

  member             = google_service_account.function[each.key].member
  role               = "roles/iam.serviceAccountUser"
  service_account_id = google_service_account.tasks_invoker.name
}

# V4 signed URLs without a private key: the function signs through IAM signBlob as itself.
resource "google_service_account_iam_member" "url_signer" {
  for_each = { for name, function in local.functions : name => function if contains(function.settings, "signing") }

  member             = google_service_account.function[each.key].member
  role               = "roles/iam.serviceAccountTokenCreator"
  service_account_id = google_service_account.function[each.key].name
}

# Each secret is readable only by the functions that name it.
resource "google_secret_manager_secret_iam_member" "function" {
  for_each = local.secret_grants

  member    = google_service_account.function[each.value.function].member
  project   = var.project_id
  role      = "roles/secretmanager.secretAccessor"
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
}

# Who may call each function (routes.json "invokers", see local.invoker_members). A 2nd gen
# function is a Cloud Run service of the same name, and Cloud Run checks run.invoker.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.functions

  location = var.region
  member   = local.invoker_members[each.value.invokers]
  name     = google_cloudfunctions2_function.function[each.key].name
  project  = var.project_id
  role     = "roles/run.invoker"

  # A replaced function is a new Cloud Run service without this grant, while Terraform still
  # holds the old one in state: callers would get 403 until a second apply. The service name is
  # computed, so it changes only on replacement; an in-place deploy keeps the grant untouched.
  lifecycle {
    replace_triggered_by = [google_cloudfunctions2_function.function[each.key].service_config[0].service]
  }
}
