"""The IAM permissions each adapter method needs, and on which resource.

The emulators enforce no IAM, so a grant that is too narrow shows only in production.
tests/unit/test_iam.py follows each entry point to the adapter methods it can reach and checks
what this table says they need against the roles Terraform grants that function.
"""

from enum import StrEnum


class On(StrEnum):
    """Where a permission must be granted."""

    BUCKET = "the upload bucket"
    PROJECT = "the project"  # Firestore has no IAM of its own
    QUEUE = "the adapter's queue"
    OWN_ACCOUNT = "the function's own service account"
    TASKS_INVOKER = "the tasks invoker account"


Need = tuple[On, str]

OBJECT_READ = frozenset({(On.BUCKET, "storage.objects.get")})
# A new object, never an overwrite (every write sets ifGenerationMatch=0, which needs no delete).
OBJECT_CREATE = frozenset({(On.BUCKET, "storage.objects.create")})
OBJECT_DELETE = frozenset({(On.BUCKET, "storage.objects.delete")})
OBJECT_UPDATE = frozenset({(On.BUCKET, "storage.objects.update")})
# V4 URLs are signed through IAM signBlob as the function itself, and act as their signer.
SIGN = frozenset({(On.OWN_ACCOUNT, "iam.serviceAccounts.signBlob")})

ENTITY_GET = frozenset({(On.PROJECT, "datastore.entities.get")})
ENTITY_LIST = frozenset({(On.PROJECT, "datastore.entities.list")})
ENTITY_CREATE = frozenset({(On.PROJECT, "datastore.entities.create")})
ENTITY_UPDATE = frozenset({(On.PROJECT, "datastore.entities.update")})
ENTITY_DELETE = frozenset({(On.PROJECT, "datastore.entities.delete")})
# An increment is a set with merge: it creates the document or updates it.
ENTITY_UPSERT = ENTITY_CREATE | ENTITY_UPDATE
NO_GOOGLE_CALL: frozenset[Need] = frozenset()

PERMISSIONS: dict[str, frozenset[Need]] = {
    # cloud_storage.UploadBucket
    "UploadBucket.signed_put_url": SIGN | OBJECT_CREATE,
    "UploadBucket.find_object": OBJECT_READ,
    "UploadBucket.start_object": OBJECT_CREATE,  # a multipart upload with ifGenerationMatch=0
    "UploadBucket.mark_failed": OBJECT_UPDATE,  # blob.patch of customTime
    "UploadBucket.put_object": OBJECT_CREATE,  # icons, under names never used before
    "UploadBucket.signed_get_url": SIGN | OBJECT_READ,
    "UploadBucket.delete_object": OBJECT_DELETE,
    "UploadBucket.sha256_of": OBJECT_READ,
    "UploadBucket.open_object": OBJECT_READ,  # ranged reads
    # cloud_tasks.TaskQueue: the task carries an OIDC token of the invoker, which needs actAs.
    "TaskQueue.schedule": frozenset(
        {(On.QUEUE, "cloudtasks.tasks.create"), (On.TASKS_INVOKER, "iam.serviceAccounts.actAs")}
    ),
    # firestore.AccountStore
    "AccountStore.account_for_key_hash": ENTITY_GET,
    "AccountStore.ensure_account": ENTITY_GET | ENTITY_CREATE,
    "AccountStore.add_api_key": ENTITY_CREATE,
    "AccountStore.delete_api_key": ENTITY_DELETE,
    # firestore.BuildStore
    "BuildStore.next_id": ENTITY_UPSERT,
    "BuildStore.ensure_project": ENTITY_CREATE,
    "BuildStore.create_context": ENTITY_CREATE,
    "BuildStore.get_context": ENTITY_GET,
    "BuildStore.update_context": ENTITY_GET | ENTITY_UPDATE,
    "BuildStore.create_build": ENTITY_CREATE,
    "BuildStore.get_build": ENTITY_GET,
    "BuildStore.builds_of_context": ENTITY_LIST,
    "BuildStore.previous_finished_build": ENTITY_LIST,
    "BuildStore.update_build": ENTITY_GET | ENTITY_UPDATE,
    "BuildStore.project_retention": ENTITY_GET,
    "BuildStore.set_project_retention": ENTITY_UPSERT,  # a set
    "BuildStore.remove_project_retention": ENTITY_DELETE,
    "BuildStore.projects_with_retention": ENTITY_LIST,  # every account's, for the sweep
    "BuildStore.live_contexts_before": ENTITY_LIST,
    "BuildStore.contexts_pending_retention": ENTITY_LIST,
    # firestore_applications.ApplicationStore
    "ApplicationStore.get_app": ENTITY_GET,
    "ApplicationStore.latest_app_for_package": ENTITY_GET,
    # The package pointer's update; the read back after a commit's error.
    "ApplicationStore.create_app": ENTITY_GET | ENTITY_CREATE | ENTITY_UPDATE,
    # The channel's newest version is a query.
    "ApplicationStore.append_version": ENTITY_GET | ENTITY_LIST | ENTITY_CREATE | ENTITY_UPDATE,
    "ApplicationStore.get_version": ENTITY_GET,
    "ApplicationStore.keyed_version": ENTITY_GET,
    "ApplicationStore.set_notification": ENTITY_UPDATE,
    "ApplicationStore.record_sha256": ENTITY_GET | ENTITY_UPDATE,  # a transaction
    "ApplicationStore.record_hashing": ENTITY_GET | ENTITY_UPDATE,  # a transaction
    "ApplicationStore.requeue_hashing": ENTITY_GET | ENTITY_UPDATE,  # a transaction
    "ApplicationStore.stale_versions": ENTITY_LIST,  # a collection-group query
    "ApplicationStore.record_conversion": ENTITY_GET | ENTITY_UPDATE,  # a transaction
    "ApplicationStore.requeue_conversion": ENTITY_GET | ENTITY_UPDATE,  # a transaction
    "ApplicationStore.apps_of_account": ENTITY_LIST,
    "ApplicationStore.versions": ENTITY_LIST,
    "ApplicationStore.newest_versions": ENTITY_LIST,
    "ApplicationStore.newest_of_channels": ENTITY_LIST,  # a query per channel
    "ApplicationStore.latest_versions": ENTITY_GET,  # a batch get
    "ApplicationStore.create_large_upload": ENTITY_CREATE,
    "ApplicationStore.claim_large_upload": ENTITY_GET | ENTITY_UPDATE,
    "ApplicationStore.release_large_upload": ENTITY_UPDATE,
    "ApplicationStore.abandoned_large_uploads": ENTITY_LIST,
    "ApplicationStore.abandon_large_upload": ENTITY_GET | ENTITY_UPDATE,  # a transaction
    "ApplicationStore.object_in_use": ENTITY_LIST,  # a collection-group query
    "ApplicationStore.delete_large_upload": ENTITY_DELETE,
    "ApplicationStore.apps_with_retention": ENTITY_LIST,  # every account's, for the sweep
    # transactions that read the app and its versions (a query), then write them
    "ApplicationStore.change_access": ENTITY_GET | ENTITY_LIST | ENTITY_UPDATE,
    "ApplicationStore.delete_version": ENTITY_GET | ENTITY_LIST | ENTITY_UPSERT,  # a set
    "ApplicationStore.set_pinned": ENTITY_GET | ENTITY_UPDATE,  # a transaction
    "ApplicationStore.finish_version_deletion": ENTITY_UPDATE,
    "ApplicationStore.deleted_version": ENTITY_GET,
    "ApplicationStore.unfinished_deletions": ENTITY_LIST,
    "ApplicationStore.versions_deleted_halfway": ENTITY_LIST,  # a collection-group query
    # ... and deletes the package pointer
    "ApplicationStore.delete_app": ENTITY_GET | ENTITY_LIST | ENTITY_UPSERT | ENTITY_DELETE,
    "ApplicationStore.finish_app_deletion": ENTITY_GET | ENTITY_LIST | ENTITY_UPSERT,
    "ApplicationStore.apps_deleted_halfway": ENTITY_LIST,  # every account's, for the sweep
    "ApplicationStore.deleted_app": ENTITY_GET,
    # firestore_applications.RateLimitWindows
    "RateLimitWindows.increment": ENTITY_UPSERT,
    # firestore_notifications.DeliveryLedger
    "DeliveryLedger.claim": ENTITY_GET | ENTITY_UPSERT,
    "DeliveryLedger.finish": ENTITY_UPSERT,
    "DeliveryLedger.outcome": ENTITY_GET,
    "DeliveryLedger.release": ENTITY_UPSERT,
    # firestore_sign_in.SignInTokens
    "SignInTokens.issue": ENTITY_UPSERT,  # a set: a retried send replaces the request's token
    "SignInTokens.redeem": ENTITY_GET | ENTITY_UPDATE,
    "SignInTokens.peek": ENTITY_GET,
    # firestore_sessions.Sessions
    "Sessions.create": ENTITY_CREATE,
    "Sessions.email_of": ENTITY_GET,
    "Sessions.revoke": ENTITY_UPDATE,
    # firestore_audit.AuditTrail
    "AuditTrail.append": ENTITY_CREATE,
    "AuditTrail.trail": ENTITY_LIST,
    # firestore_downloads.DownloadJournal
    "DownloadJournal.record": ENTITY_CREATE | ENTITY_UPDATE,  # the event, the version's count
    "DownloadJournal.newest": ENTITY_LIST,
    # firestore_webhooks.HookStore: the hook and its account's count, in one transaction
    "HookStore.add_hook": ENTITY_GET | ENTITY_UPSERT,
    "HookStore.hooks_of_account": ENTITY_LIST,
    "HookStore.get_hook": ENTITY_GET,
    "HookStore.delete_hook": ENTITY_GET | ENTITY_UPSERT | ENTITY_DELETE,
    # firestore_webhooks.HookDeliveryLog
    "HookDeliveryLog.claim": ENTITY_GET | ENTITY_UPSERT,
    "HookDeliveryLog.finish": ENTITY_UPDATE,
    "HookDeliveryLog.deliveries": ENTITY_LIST,
    # sendgrid_mail.SendGridMailer
    "SendGridMailer.send": NO_GOOGLE_CALL,
}
