"""The permissions of the predefined roles Terraform grants, from Google's IAM role reference
(cloud.google.com/iam/docs/roles-permissions, read 2026-12). Google adds permissions to roles
over time; a permission missing here only makes tests/unit/test_iam.py stricter."""

PREDEFINED_ROLES: dict[str, frozenset[str]] = {
    "roles/storage.objectViewer": frozenset(
        {
            "resourcemanager.projects.get",
            "resourcemanager.projects.list",
            "storage.folders.get",
            "storage.folders.list",
            "storage.managedFolders.get",
            "storage.managedFolders.list",
            "storage.objects.get",
            "storage.objects.list",
        }
    ),
    "roles/storage.objectCreator": frozenset(
        {
            "orgpolicy.policy.get",
            "resourcemanager.projects.get",
            "resourcemanager.projects.list",
            "storage.folders.create",
            "storage.managedFolders.create",
            "storage.multipartUploads.abort",
            "storage.multipartUploads.create",
            "storage.multipartUploads.listParts",
            "storage.objects.create",
        }
    ),
    "roles/storage.objectUser": frozenset(
        {
            "orgpolicy.policy.get",
            "resourcemanager.projects.get",
            "resourcemanager.projects.list",
            "storage.folders.create",
            "storage.folders.delete",
            "storage.folders.get",
            "storage.folders.list",
            "storage.folders.rename",
            "storage.managedFolders.create",
            "storage.managedFolders.delete",
            "storage.managedFolders.get",
            "storage.managedFolders.list",
            "storage.multipartUploads.abort",
            "storage.multipartUploads.create",
            "storage.multipartUploads.list",
            "storage.multipartUploads.listParts",
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.get",
            "storage.objects.list",
            "storage.objects.restore",
            "storage.objects.update",
        }
    ),
    "roles/datastore.user": frozenset(
        {
            "appengine.applications.get",
            "datastore.databases.get",
            "datastore.databases.getMetadata",
            "datastore.entities.allocateIds",
            "datastore.entities.create",
            "datastore.entities.delete",
            "datastore.entities.get",
            "datastore.entities.list",
            "datastore.entities.update",
            "datastore.indexes.list",
            "datastore.namespaces.get",
            "datastore.namespaces.list",
            "datastore.statistics.get",
            "datastore.statistics.list",
            "resourcemanager.projects.get",
            "resourcemanager.projects.list",
        }
    ),
    "roles/cloudtasks.enqueuer": frozenset(
        {"cloudtasks.tasks.create", "cloudtasks.tasks.fullView"}
    ),
    "roles/iam.serviceAccountUser": frozenset(
        {
            "iam.serviceAccounts.actAs",
            "iam.serviceAccounts.get",
            "iam.serviceAccounts.list",
            "resourcemanager.projects.get",
            "resourcemanager.projects.list",
        }
    ),
    "roles/iam.serviceAccountTokenCreator": frozenset(
        {
            "iam.serviceAccounts.get",
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.getOpenIdToken",
            "iam.serviceAccounts.implicitDelegation",
            "iam.serviceAccounts.list",
            "iam.serviceAccounts.signBlob",
            "iam.serviceAccounts.signJwt",
            "resourcemanager.projects.get",
            "resourcemanager.projects.list",
        }
    ),
}
