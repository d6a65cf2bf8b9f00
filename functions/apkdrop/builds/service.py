"""Build-upload API operations: contexts, build registration with a signed URL, reads.

Project names and ids come checked by the api.
"""

import datetime

from apkdrop.accounts import Account, Caller
from apkdrop.audit import uploads
from apkdrop.builds.models import (
    Build,
    BuildRegistration,
    ContextWithBuilds,
    RegisteredBuild,
    StoredBuild,
    StoredContext,
    UploadContext,
    UploadSpec,
    UploadState,
    tombstone,
)
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Conflict, NotFound
from apkdrop.settings import BuildApiSettings
from apkdrop.signed_uploads import upload_headers

CONTEXT_SEQUENCE = "buildUploads"
BUILD_SEQUENCE = "builds"
BUILD_ID_METADATA = "build-id"


def create_context(
    deps: Dependencies[object], account: Account, project_name: str
) -> UploadContext:
    deps.builds.ensure_project(account.id, project_name)
    context = StoredContext(
        id=deps.builds.next_id(CONTEXT_SEQUENCE),
        dateCreated=deps.clock(),
        accountId=account.id,
        projectName=project_name,
    )
    deps.builds.create_context(context)
    return UploadContext.model_validate(context.model_dump())


def get_context(
    deps: Dependencies[object], account: Account, project_name: str, context_id: int
) -> ContextWithBuilds:
    context = owned_context(deps, account, project_name, context_id)
    builds = [build.public() for build in deps.builds.builds_of_context(context.id)]
    return ContextWithBuilds(
        id=context.id,
        dateCreated=context.dateCreated,
        dateDeleted=context.dateDeleted,
        builds=builds,
        pairing=context.pairing,
    )


def register_build(
    deps: Dependencies[BuildApiSettings],
    account: Caller,
    project_name: str,
    registration: BuildRegistration,
) -> RegisteredBuild:
    """Creates the build and a signed URL for its upload.

    Writes happen last and in an order that leaves nothing half-made: the expiry task is
    scheduled before the build exists (a task for a missing build does nothing), and a failure
    before that leaves only an unused id. A context deleted meanwhile is noticed by reading it
    again after the build exists (see deletion.delete_context).
    """
    context = owned_context(deps, account, project_name, registration.contextId)
    if context.dateDeleted is not None:
        raise _deleted(context.id)
    settings = deps.settings
    build_id = deps.builds.next_id(BUILD_SEQUENCE)
    object_name = f"builds/{account.id}/{context.id}/{build_id}.apk"
    headers = upload_headers(settings.max_upload_bytes, {BUILD_ID_METADATA: str(build_id)})
    ttl = datetime.timedelta(seconds=settings.upload_url_ttl_seconds)
    url = deps.bucket.signed_put_url(object_name, headers, ttl)

    now = deps.clock()
    deps.expiry_queue.schedule(
        f"expire-build-{build_id}",
        str(settings.upload_expiry_url),
        {"buildId": build_id},
        at=now + ttl + datetime.timedelta(seconds=settings.upload_expiry_grace_seconds),
    )
    build = StoredBuild(
        **registration.model_dump(),
        id=build_id,
        uploadState=UploadState.UPLOADING,
        dateCreated=now,
        accountId=account.id,
        projectName=project_name,
        objectName=object_name,
    )
    deps.builds.create_build(build)
    latest = deps.builds.get_context(context.id)
    if latest is None or latest.dateDeleted is not None:
        # Deleted meanwhile, maybe after the deletion listed its builds: the build becomes a
        # tombstone before its URL is handed out, so no file can ever arrive for it.
        deps.builds.update_build(build_id, lambda current: tombstone(deps.clock(), []))
        raise _deleted(context.id)
    uploads.record_build(deps, account, build)
    return RegisteredBuild(uploadSpec=UploadSpec(url=url, headers=headers), build=build.public())


def get_build(
    deps: Dependencies[object], account: Account, project_name: str, build_id: int
) -> Build:
    return owned_build(deps, account, project_name, build_id).public()


def owned_build(
    deps: Dependencies[object], account: Account, project_name: str, build_id: int
) -> StoredBuild:
    build = deps.builds.get_build(build_id)
    if build is None or (build.accountId, build.projectName) != (account.id, project_name):
        raise NotFound(f"Build {build_id} not found")
    return build


def _deleted(context_id: int) -> Conflict:
    return Conflict(f"Build upload context {context_id} was deleted")


def owned_context(
    deps: Dependencies[object], account: Account, project_name: str, context_id: int
) -> StoredContext:
    context = deps.builds.get_context(context_id)
    if context is None or (context.accountId, context.projectName) != (account.id, project_name):
        raise NotFound(f"Build upload context {context_id} not found")
    return context
