"""The OpenAPI 3.1 document, generated from the pydantic models the endpoints use.

`python -m apkdrop.openapi` prints it; docs/openapi.json is that output, kept in the repository
(a test fails when it drifts from the code).
"""

import json
from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from apkdrop.applications import idempotency
from apkdrop.applications.form import MAX_RELEASE_NOTES_CHARS
from apkdrop.applications.models import (
    AccessType,
    ApplicationChange,
    ApplicationDetailAnswer,
    ApplicationDetailPage,
    ApplicationPage,
    LargeUpload,
    SignerPolicy,
    UploadAnswer,
    VersionAction,
    VersionAnswer,
    VersionChange,
)
from apkdrop.audit.models import AuditPage
from apkdrop.builds.models import (
    Build,
    BuildRegistration,
    ContextWithBuilds,
    ProjectRetention,
    RegisteredBuild,
    UploadContext,
)
from apkdrop.channels import CHANNEL_PATTERN, DEFAULT_CHANNEL
from apkdrop.downloads.models import DownloadPage
from apkdrop.ids import PROJECT_NAME
from apkdrop.paging import DEFAULT_PAGE_SIZE
from apkdrop.retention.models import RetentionAnswer, RetentionPolicy
from apkdrop.settings import PagingSettings
from apkdrop.webhooks.models import DeliveryPage, HookCreatedAnswer, HookList, HookRequest

VERSION = "1.0.0"
# JSON Schema patterns search; the API matches whole names.
CHANNEL_SCHEMA_PATTERN = f"^{CHANNEL_PATTERN.pattern}$"


class ErrorBody(BaseModel):
    """Every error: what went wrong, and for a server-side failure the request to quote."""

    detail: str
    requestId: str | None = None


class ApplicationUploadForm(BaseModel):
    """`multipart/form-data`: exactly one of file, apkUrl and uploadId."""

    file: bytes | None = Field(default=None, json_schema_extra={"format": "binary"})
    apkUrl: str | None = Field(default=None, max_length=2048)
    uploadId: str | None = None
    accessType: AccessType | None = Field(
        default=None,
        description="omitted: the latest version's access (allowedUsers given: PRIVATE; "
        "a new app: PUBLIC)",
    )
    allowedUsers: str | None = Field(default=None, description="comma-separated, or repeated")
    versionAction: VersionAction = VersionAction.CREATE_NEW_VERSION
    sendNotification: bool = False
    notificationEmails: str | None = Field(default=None, description="comma-separated, or repeated")
    releaseNotes: str | None = Field(default=None, max_length=MAX_RELEASE_NOTES_CHARS)
    appId: str | None = None
    signerPolicy: SignerPolicy | None = Field(
        default=None,
        description="reject: refuse (409) an APK signed by another key than the app's previous "
        "version; the app keeps it. Omitted, or warn: the app's policy (an upload never loosens "
        "it)",
    )
    channel: str = Field(
        default=DEFAULT_CHANNEL,
        pattern=CHANNEL_SCHEMA_PATTERN,
        description="the release channel (nightly, pr-123, ...); version numbers stay per app",
    )


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    answer: type[BaseModel] | None  # None: no body (a 204, or the 302 of `redirects`)
    errors: tuple[int, ...]
    redirects: bool = False  # a 302 to a signed URL
    body: type[BaseModel] | None = None
    body_type: str = "application/json"
    parameters: list[dict] = field(default_factory=list)
    status: int = 200  # of `answer`
    answer_headers: dict = field(default_factory=dict)


def _path_parameter(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _query_parameter(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "schema": schema, "description": description}


IDEMPOTENCY_KEY = {
    "name": idempotency.HEADER,
    "in": "header",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_CHARS,
        "pattern": f"^{idempotency.KEY.pattern}$",
    },
    "description": "a fresh random key per upload, the same on its retries: a repeat answers "
    "the version the first request published (with Idempotent-Replayed: true) instead of "
    "making another; the same key with another file or other fields answers 422. Per account, "
    "remembered for at least 24 hours",
}
REPLAYED = {
    idempotency.REPLAYED_HEADER: {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "this answer repeats the one of an earlier request with the key",
    }
}


MAX_PAGE_SIZE = PagingSettings.model_fields["max_page_size"].default  # MAX_PAGE_SIZE may lower it
PAGING = [
    _query_parameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        f"items per page (default {DEFAULT_PAGE_SIZE})",
    ),
    _query_parameter("pageToken", {"type": "string"}, "the previous page's nextPageToken"),
]
PROJECT = _path_parameter(
    "projectName",
    {"type": "string", "pattern": PROJECT_NAME.pattern},
    "a namespace inside the key's account, created on first use",
)
ID = {"type": "integer", "minimum": 1}
APP_ID = _path_parameter("appId", {"type": "string"}, "the app's id")
BUILD_ID = _path_parameter("buildId", ID, "the build's id")
CONTEXT_ID = _path_parameter("contextId", ID, "the context's id")
HOOK_ID = _path_parameter("hookId", {"type": "string"}, "the webhook's id")
VERSION_LABEL = _path_parameter("version", {"type": "string"}, "the version: 3.0 (or 3)")
BUILDS = "/api/v1/projects/{projectName}"
OPERATIONS = [
    Operation(
        "post",
        f"{BUILDS}/build-uploads",
        "Create an upload context",
        UploadContext,
        (400, 401),
        parameters=[PROJECT],
    ),
    Operation(
        "get",
        f"{BUILDS}/build-uploads/{{contextId}}",
        "A context with its builds",
        ContextWithBuilds,
        (400, 401, 404),
        parameters=[PROJECT, CONTEXT_ID],
    ),
    Operation(
        "post",
        f"{BUILDS}/builds",
        "Register a build; get its signed upload",
        RegisteredBuild,
        (400, 401, 404, 409),
        body=BuildRegistration,
        parameters=[PROJECT],
    ),
    Operation(
        "get",
        f"{BUILDS}/builds/{{buildId}}",
        "A build and its upload state",
        Build,
        (400, 401, 404),
        parameters=[PROJECT, BUILD_ID],
    ),
    Operation(
        "delete",
        f"{BUILDS}/builds/{{buildId}}",
        "Delete a build and its file (it then reads uploadState DELETED)",
        None,
        (400, 401, 403, 404),
        parameters=[PROJECT, BUILD_ID],
    ),
    Operation(
        "delete",
        f"{BUILDS}/build-uploads/{{contextId}}",
        "Delete every build of a context, and refuse new ones",
        None,
        (400, 401, 403, 404),
        parameters=[PROJECT, CONTEXT_ID],
    ),
    Operation(
        "get",
        f"{BUILDS}/retention",
        "The project's retention policy (maxAgeDays null: contexts are kept)",
        ProjectRetention,
        (400, 401),
        parameters=[PROJECT],
    ),
    Operation(
        "put",
        f"{BUILDS}/retention",
        "Replace the project's retention policy; {} removes it (admin key)",
        ProjectRetention,
        (400, 401, 403),
        body=ProjectRetention,
        parameters=[PROJECT],
    ),
    Operation(
        "post",
        "/v1/application",
        "Upload an APK (file, URL or large upload)",
        UploadAnswer,
        (400, 401, 404, 409, 410, 413, 422, 429),
        body=ApplicationUploadForm,
        body_type="multipart/form-data",
        parameters=[IDEMPOTENCY_KEY],
        answer_headers=REPLAYED,
    ),
    Operation(
        "post",
        "/v1/application/uploads",
        "A signed URL for a file over 32 MiB",
        LargeUpload,
        (401, 429),
    ),
    Operation(
        "get",
        "/v1/application",
        "The account's applications, newest first",
        ApplicationPage,
        (400, 401),
        parameters=PAGING,
    ),
    Operation(
        "get",
        "/v1/application/{appId}",
        "An application with its channels and a page of its versions, newest first",
        ApplicationDetailPage,
        (400, 401, 404),
        parameters=[
            APP_ID,
            _query_parameter(
                "channel",
                {"type": "string", "pattern": CHANNEL_SCHEMA_PATTERN},
                "only this channel's versions (404 when it has none)",
            ),
            *PAGING,
        ],
    ),
    Operation(
        "get",
        "/v1/application/{appId}/versions/{version}/download",
        "Download a version: a 302 to a 5-minute signed URL (recorded, via api)",
        None,
        (401, 404),
        redirects=True,
        parameters=[APP_ID, _path_parameter("version", {"type": "string"}, "e.g. 2.0")],
    ),
    Operation(
        "get",
        "/v1/application/{appId}/downloads",
        "The app's downloads, newest first (admin keys only)",
        DownloadPage,
        (401, 403, 404),
        parameters=[
            APP_ID,
            _query_parameter("version", {"type": "string"}, "only this version's, e.g. 2.0"),
            *PAGING,
        ],
    ),
    Operation(
        "patch",
        "/v1/application/{appId}",
        "Rename an application, or change the access of every version (admin key)",
        ApplicationDetailAnswer,
        (400, 401, 403, 404),
        body=ApplicationChange,
        parameters=[APP_ID],
    ),
    Operation(
        "delete",
        "/v1/application/{appId}",
        "Delete an application and every version's files (admin key)",
        None,
        (401, 403, 404),
        parameters=[APP_ID],
    ),
    Operation(
        "patch",
        "/v1/application/{appId}/versions/{version}",
        "Change who may open one version, or pin it (admin key)",
        VersionAnswer,
        (400, 401, 403, 404),
        body=VersionChange,
        parameters=[APP_ID, VERSION_LABEL],
    ),
    Operation(
        "delete",
        "/v1/application/{appId}/versions/{version}",
        "Delete one version and its files (admin key)",
        None,
        (401, 403, 404),
        parameters=[APP_ID, VERSION_LABEL],
    ),
    Operation(
        "get",
        "/v1/application/{appId}/retention",
        "The app's retention policy",
        RetentionAnswer,
        (401, 404),
        parameters=[APP_ID],
    ),
    Operation(
        "put",
        "/v1/application/{appId}/retention",
        "Replace the app's retention policy (admin key)",
        RetentionAnswer,
        (400, 401, 403, 404),
        body=RetentionPolicy,
        parameters=[APP_ID],
    ),
    Operation(
        "get",
        "/v1/audit",
        "The account's management events, newest first (admin keys)",
        AuditPage,
        (401, 403),
        parameters=PAGING,
    ),
    Operation(
        "post",
        "/v1/webhooks",
        "Register a webhook; its secret is shown only in this answer (admin keys)",
        HookCreatedAnswer,
        (400, 401, 403, 404, 409),
        body=HookRequest,
        status=201,
    ),
    Operation("get", "/v1/webhooks", "The account's webhooks (admin keys)", HookList, (401, 403)),
    Operation(
        "delete",
        "/v1/webhooks/{hookId}",
        "Delete a webhook (admin keys)",
        None,
        (401, 403, 404),
        parameters=[HOOK_ID],
    ),
    Operation(
        "get",
        "/v1/webhooks/{hookId}/deliveries",
        "A webhook's deliveries, newest first (admin keys)",
        DeliveryPage,
        (401, 403, 404),
        parameters=[HOOK_ID, *PAGING],
    ),
]
REDIRECT = {
    "description": "Found: the file, at a signed URL",
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
}
ERROR_DESCRIPTIONS = {
    400: "Bad input: the detail names the field",
    401: "Missing or invalid API key",
    403: "This API key may only upload; use an admin key",
    404: "Unknown (or another account's) resource",
    409: "Conflicts with an existing app, a deleted context, or the webhooks cap",
    410: "The version this Idempotency-Key published has been deleted",
    413: "Too large for one request: use /v1/application/uploads",
    422: "This Idempotency-Key was used for a different upload",
    429: "Rate limit exceeded (see Retry-After)",
    503: "A Google service failed; retry after Retry-After",
}


def openapi_document() -> dict:
    answers = {op.answer for op in OPERATIONS if op.answer} | {ErrorBody}
    bodies = {op.body for op in OPERATIONS if op.body}
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (model, "serialization") for model in sorted(answers, key=str)
    ]
    modes.extend((model, "validation") for model in sorted(bodies, key=str))
    _, schemas = models_json_schema(modes, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        if op.redirects:
            responses = {"302": REDIRECT}
        elif op.answer:
            responses = {str(op.status): _content(op.answer, "OK")}
            if op.answer_headers:
                responses[str(op.status)]["headers"] = op.answer_headers
        else:
            responses = {"204": {"description": "Done"}}
        # 400: any request can be malformed (the front end refuses bad headers); 503: outages.
        for status in sorted({400, *op.errors, 503}):
            responses[str(status)] = _content(ErrorBody, ERROR_DESCRIPTIONS[status])
        operation = {"summary": op.summary, "parameters": op.parameters, "responses": responses}
        if op.body:
            operation["requestBody"] = {
                "required": True,
                "content": {op.body_type: {"schema": _ref(op.body)}},
            }
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "apkdrop",
            "version": VERSION,
            "description": "Upload Android builds from CI and share them.",
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _content(model: type[BaseModel], description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))
