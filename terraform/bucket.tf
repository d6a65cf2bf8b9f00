# The one bucket uploads go to:
#   builds/{account}/{context}/{build}.apk    build uploads, PUT by clients to signed URLs
#   applications/{account}/{id}.apk           application versions, and large-file uploads PUT
#                                             there before they are published
#   icons/{account}/{id}.{png,webp,...}       their launcher icons
# Objects are created once and never overwritten (signed URLs carry ifGenerationMatch=0; the
# functions create with the same precondition), so soft delete, not versioning, is what guards
# them: a deleted object can be restored for soft_delete_retention_days. Large-file uploads
# nobody published are deleted by the retention sweeper, not by a rule: no rule may touch
# applications/.
resource "google_storage_bucket" "uploads" {
  #checkov:skip=CKV_GCP_62:access is audited by Cloud Audit Logs; usage logs would need another bucket of their own
  #checkov:skip=CKV_GCP_78:objects are never overwritten, so soft delete (below) recovers deletions without versioning

  force_destroy               = !var.deletion_protection
  location                    = var.region # Eventarc's finalize trigger must be in the bucket's region
  name                        = "${var.project_id}-${local.name_prefix}-uploads"
  project                     = var.project_id
  public_access_prevention    = "enforced"
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_retention_days * 24 * 3600
  }

  # Files of FAILED builds: the finalize trigger sets their customTime when it fails them.
  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      days_since_custom_time = var.failed_upload_retention_days
      matches_prefix         = ["builds/"]
    }
  }

  # Build uploads, whatever their outcome (a failed build keeps its file), when a retention is set.
  dynamic "lifecycle_rule" {
    for_each = var.build_upload_retention_days == null ? [] : [var.build_upload_retention_days]
    content {
      action {
        type = "Delete"
      }
      condition {
        age            = lifecycle_rule.value
        matches_prefix = ["builds/"]
      }
    }
  }

  # Parts of XML API multipart uploads a client never completed.
  lifecycle_rule {
    action {
      type = "AbortIncompleteMultipartUpload"
    }
    condition {
      age = 1
    }
  }

  depends_on = [google_project_service.api]
}
