"""Build-upload API operations: contexts, build registration with a signed URL, reads."""

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
)
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest, NotFound
from apkdrop.ids import PROJECT_NAME
from apkdrop.signed_uploads import upload_headers

CONTEXT_SEQUENCE = "buildUploads"
BUILD_SEQUENCE = "builds"
BUILD_ID_METADATA = "build-id"


def valid_project_name(project_name: str) -> str:
    if not PROJECT_NAME.match(project_name):
        raise InvalidRequest(
            "projectName must be 1 to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return project_name


def create_context(deps: Dependencies, account: Account, project_name: str) -> UploadContext:
    valid_project_name(project_name)
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
    deps: Dependencies, account: Account, project_name: str, context_id: int
) -> ContextWithBuilds:
    context = _owned_context(deps, account, project_name, context_id)
    builds = [build.public() for build in deps.builds.builds_of_context(context.id)]
    return ContextWithBuilds(id=context.id, dateCreated=context.dateCreated, builds=builds)


def register_build(
    deps: Dependencies, account: Caller, project_name: str, registration: BuildRegistration
) -> RegisteredBuild:
    """Creates the build and a signed URL for its upload.

    Writes happen last and in an order that leaves nothing half-made: the expiry task is
    scheduled before the build exists (a task for a missing build does nothing), and a failure
    before that leaves only an unused id.
    """
    context = _owned_context(deps, account, project_name, registration.contextId)
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
    uploads.record_build(deps, account, build)
    return RegisteredBuild(uploadSpec=UploadSpec(url=url, headers=headers), build=build.public())


def get_build(deps: Dependencies, account: Account, project_name: str, build_id: int) -> Build:
    valid_project_name(project_name)
    build = deps.builds.get_build(build_id)
    if build is None or (build.accountId, build.projectName) != (account.id, project_name):
        raise NotFound(f"Build {build_id} not found")
    return build.public()


def _owned_context(
    deps: Dependencies, account: Account, project_name: str, context_id: int
) -> StoredContext:
    valid_project_name(project_name)
    context = deps.builds.get_context(context_id)
    if context is None or (context.accountId, context.projectName) != (account.id, project_name):
        raise NotFound(f"Build upload context {context_id} not found")
    return context
