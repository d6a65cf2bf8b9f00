# The Firestore (native mode) database the functions use, the project's (default) one.
resource "google_firestore_database" "main" {
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = "DELETE"
  location_id                       = coalesce(var.firestore_location, var.region)
  name                              = "(default)"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED" # 7 days of recovery
  project                           = var.project_id
  type                              = "FIRESTORE_NATIVE"

  depends_on = [google_project_service.api]
}

# Most queries are one equality filter (builds by contextId, for one) sorted in code, which
# Firestore's automatic single-field indexes serve. A query that combines filters or orders on
# another field needs a google_firestore_index here (the emulator needs none).

# An app's downloads, newest first (firestore_downloads.DownloadJournal.newest), and one
# version's. Firestore appends __name__ in the last field's direction: the tie-break it orders by.
resource "google_firestore_index" "downloads_of_app" {
  collection = "downloads"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "appId"
    order      = "ASCENDING"
  }

  fields {
    field_path = "at"
    order      = "DESCENDING"
  }
}

resource "google_firestore_index" "downloads_of_version" {
  collection = "downloads"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "appId"
    order      = "ASCENDING"
  }

  fields {
    field_path = "versionNumber"
    order      = "ASCENDING"
  }

  fields {
    field_path = "at"
    order      = "DESCENDING"
  }
}

# GET /v1/application: an account's apps, newest first, paged
# (firestore_applications.ApplicationStore.apps_of_account); __name__ is the tie-break.
resource "google_firestore_index" "apps_by_account" {
  collection = "applications"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "accountId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "dateCreated"
    order      = "DESCENDING"
  }
}

# GET /v1/audit: an account's events, newest first, paged (firestore_audit.AuditTrail.trail).
resource "google_firestore_index" "audit_events_by_account" {
  collection = "auditEvents"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "accountId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "at"
    order      = "DESCENDING"
  }
  fields {
    field_path = "id"
    order      = "DESCENDING"
  }
}

# A build's insights compare it with the project's previous FINISHED build of its type
# (firestore.BuildStore.previous_finished_build): four equalities, then contextId and id, newest
# first.
resource "google_firestore_index" "builds_of_project_by_type" {
  collection = "builds"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "accountId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "projectName"
    order      = "ASCENDING"
  }
  fields {
    field_path = "buildType"
    order      = "ASCENDING"
  }
  fields {
    field_path = "uploadState"
    order      = "ASCENDING"
  }
  fields {
    field_path = "contextId"
    order      = "DESCENDING"
  }
  fields {
    field_path = "id"
    order      = "DESCENDING"
  }
}

# GET /v1/webhooks/{id}/deliveries: a hook's deliveries, newest first, paged
# (firestore_webhooks.HookDeliveryLog.deliveries).
resource "google_firestore_index" "webhook_deliveries_by_hook" {
  collection = "webhookDeliveries"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "hookId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "firstAttemptAt"
    order      = "DESCENDING"
  }
  fields {
    field_path = "eventId"
    order      = "DESCENDING"
  }
}

# The retention sweep's contexts of a project older than its maxAgeDays, not deleted, oldest
# first (firestore.live_contexts_query).
resource "google_firestore_index" "live_contexts_of_project" {
  collection = "buildUploads"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "accountId"
    order      = "ASCENDING"
  }
  fields {
    field_path = "projectName"
    order      = "ASCENDING"
  }
  fields {
    field_path = "dateDeleted"
    order      = "ASCENDING"
  }
  fields {
    field_path = "dateCreated"
    order      = "ASCENDING"
  }
}

# Documents that expire: Firestore deletes each one (within about a day) once its expireAt has
# passed. expireAt is never queried, so it is not indexed either (no write hot-spot on it).
locals {
  ttl_collections = {
    idempotencyKeys  = "uploads' Idempotency-Key records (accounts/{id}/idempotencyKeys), kept 24 h"
    installSessions  = "install-pages' sessions of signed-in visitors"
    rateLimitWindows = "per-key upload counts of one minute"
    signInTokens     = "install-pages' one-time sign-in tokens"
  }
}

resource "google_firestore_field" "expire_at" {
  for_each = local.ttl_collections

  collection = each.key
  database   = google_firestore_database.main.name
  field      = "expireAt"
  project    = var.project_id

  index_config {}

  ttl_config {}
}

# An upload follows its channel's newest version (firestore_applications.newest_in_channel).
resource "google_firestore_index" "versions_by_channel" {
  collection = "versions"
  database   = google_firestore_database.main.name
  project    = var.project_id

  fields {
    field_path = "channel"
    order      = "ASCENDING"
  }

  fields {
    field_path = "versionNumber"
    order      = "DESCENDING"
  }
}

# Automatic single-field indexes do not serve collection-group queries, which the retention
# sweep makes across every app's versions:
# - objectName: an expired large upload's file is kept while a live version of any app keeps it
#   (firestore_applications.ApplicationStore.object_in_use);
# - hashWaitingSince, conversionWaitingSince: the hashes and conversions waited for too long
#   are queued again (firestore_applications.stale_query, models.Awaited);
# - pendingSince: version deletions left halfway are finished
#   (firestore_tombstones.left_halfway; apps' is a collection's, served automatically).
resource "google_firestore_field" "version_collection_group" {
  for_each = toset(["objectName", "hashWaitingSince", "conversionWaitingSince", "pendingSince"])

  collection = "versions"
  database   = google_firestore_database.main.name
  field      = each.key
  project    = var.project_id

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

moved {
  from = google_firestore_field.version_object_name
  to   = google_firestore_field.version_collection_group["objectName"]
}
