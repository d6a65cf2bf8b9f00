"""`apkdrop app upload | list | show`: the application upload API."""

import argparse
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from apkdrop_cli.errors import CliError, Refused, UsageError
from apkdrop_cli.http import public_url
from apkdrop_cli.insights import insights_line, insights_outputs
from apkdrop_cli.output import Result, checks_line, human_size
from apkdrop_cli.publish import summary_wanted
from apkdrop_cli.session import Session
from apkdrop_cli.storage import ProgressFile, file_size
from apkdrop_cli.summary import app_summary

# The API takes 32 MiB in one request (multipart framing included): larger files, and any the
# server answers 413 for, take the large-file path (a signed URL, then publish by uploadId).
DIRECT_UPLOAD_LIMIT_BYTES = 31 * 1024 * 1024
ACTIONS = {
    "new-version": "CREATE_NEW_VERSION",
    "new-app": "CREATE_NEW_APP",
    "do-nothing": "DO_NOTHING",
}
APK_MEDIA_TYPE = "application/vnd.android.package-archive"


def upload(session: Session, args: argparse.Namespace) -> Result:
    answer, path_taken = _upload(session, args)
    result = upload_result(answer, path_taken)
    if summary_wanted(args, session.environ):
        uploaded = answer["data"]
        result.summary = app_summary(uploaded, _app_or_none(session, uploaded["id"]))
        result.summary_key = f"app:{uploaded['id']}"
    return result


def _app_or_none(session: Session, app_id: str) -> dict | None:
    """The app's name and versions for the summary; without them it says less, never fails."""
    try:
        return session.api.get(
            f"/v1/application/{quote(app_id, safe='')}", f"reading application {app_id}"
        ).get("data")
    except CliError as exc:
        session.output.warning(f"the summary lacks the app's name and versions: {exc.message}")
        return None


def _every_page(session: Session, path: str, what: str, query: dict[str, str]) -> Iterator[dict]:
    """Each answer of a paged list, following nextPageToken until the last page."""
    token = None
    while True:
        page_query = {**query, "pageToken": token} if token else query
        answer = session.api.get(path, what, params=page_query)
        yield answer
        token = answer.get("nextPageToken")
        if not token:
            return


def _app_with_every_version(session: Session, app_id: str, channel: str | None) -> dict:
    """The app's `data`, its versions those of every page (the API answers them in pages)."""
    path = f"/v1/application/{quote(app_id, safe='')}"
    query = {"channel": channel} if channel else {}
    app: dict = {}
    versions: list[dict] = []
    for answer in _every_page(session, path, f"reading application {app_id}", query):
        app = answer["data"]
        versions += app.get("versions", [])
    return {**app, "versions": versions}


def _upload(session: Session, args: argparse.Namespace) -> tuple[dict, str]:
    """The server's answer, and the path the APK took: direct, large-file or url.

    One Idempotency-Key per upload, kept across its retries: a retry after a lost answer or a
    503 whose version was committed gets that version, never a second one. (A 413 stores
    nothing, so the large-file path may publish under the same key.)"""
    if bool(args.file) == bool(args.url):
        raise UsageError("Give the APK as FILE or --url URL (exactly one)")
    fields = form_fields(args)
    key = secrets.token_urlsafe(24)
    api, out = session.api, session.output
    if args.url:
        out.note(f"importing {public_url(args.url)}")
        answer = api.post(
            "/v1/application",
            "importing the APK",
            idempotency_key=key,
            data={**fields, "apkUrl": args.url},
        )
        return answer, "url"
    path = Path(args.file)
    size = file_size(path, "APK")
    if args.large or size > DIRECT_UPLOAD_LIMIT_BYTES:
        return _large_upload(session, path, size, fields, key), "large-file"
    try:
        return _direct_upload(session, path, size, fields, key), "direct"
    except Refused as exc:
        if exc.status != 413:
            raise
        out.note("the server takes smaller files in one request: using the large-file path")
        return _large_upload(session, path, size, fields, key), "large-file"


def form_fields(args: argparse.Namespace) -> dict[str, str | list[str]]:
    """The upload's form fields from the flags; UsageError for combinations that make no sense."""
    allowed = split_addresses(args.allow)
    emails = split_addresses(args.email)
    if allowed and not args.private:
        raise UsageError("--allow applies to private apps: add --private")
    if args.private and not allowed:
        raise UsageError("A private app needs at least one --allow EMAIL")
    fields: dict[str, str | list[str]] = {"versionAction": ACTIONS[args.action]}
    # Neither flag: the server keeps the access of the app's latest version (a new app is public),
    # so a CI job that never names the access cannot make a private app public.
    if args.private or args.public:
        fields["accessType"] = "PRIVATE" if args.private else "PUBLIC"
    if allowed:
        fields["allowedUsers"] = allowed
    if args.notify or emails:
        fields["sendNotification"] = "true"
    if emails:
        fields["notificationEmails"] = emails
    notes = release_notes(args.release_notes)
    if notes:
        fields["releaseNotes"] = notes
    if args.app_id:
        fields["appId"] = args.app_id
    if args.signer_policy:
        fields["signerPolicy"] = args.signer_policy
    if args.channel:
        fields["channel"] = args.channel
    return fields


def release_notes(value: str | None) -> str | None:
    """TEXT, or @FILE for a file's contents (@- for stdin)."""
    if not value or not value.startswith("@"):
        return value
    name = value[1:]
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"No such release notes file: {name}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the release notes file {name}: {exc}") from exc


def split_addresses(values: list[str] | None) -> list[str]:
    """Repeated flags, each of which may be a comma-separated list."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _direct_upload(session: Session, path: Path, size: int, fields: dict, key: str) -> dict:
    with path.open("rb") as file, session.output.transfers() as transfers:
        tracker = transfers.track(path.name, size)
        answer = session.api.post(
            "/v1/application",
            f"uploading {path.name}",
            idempotency_key=key,
            data=fields,
            files={"file": (path.name, ProgressFile(file, tracker), APK_MEDIA_TYPE)},
        )
        tracker.finish()
    return answer


def _large_upload(session: Session, path: Path, size: int, fields: dict, key: str) -> dict:
    api = session.api
    started = api.post("/v1/application/uploads", "starting a large-file upload")
    with session.output.transfers() as transfers:
        tracker = transfers.track(path.name, size)
        session.storage.put(started["uploadSpec"], path, tracker, f"uploading {path.name}")
        tracker.finish()
    return api.post(
        "/v1/application",
        f"publishing {path.name}",
        idempotency_key=key,
        data={**fields, "uploadId": started["uploadId"]},
    )


def upload_result(answer: dict, path_taken: str) -> Result:
    app = answer["data"]
    warnings = answer.get("warnings") or []
    data = {**app, "warnings": warnings, "uploadPath": path_taken}
    checks = checks_line(app.get("checks") or [])
    changes = insights_line(app.get("insights"))
    channel, channel_link = app.get("channel") or "", app.get("channelMagicLink") or ""
    return Result(
        data=data,
        lines=[
            f"app {app['id']} version {app['version']} ({app['accessType']})",
            f"magic link: {app['magicLink']}",
            f"this version: {app['versionedMagicLink']}",
            *([f"channel {channel}: {channel_link}"] if channel_link else []),
            *([checks] if checks else []),
            *([changes] if changes else []),
        ],
        outputs={
            "app-id": app["id"],
            "version": app["version"],
            "access-type": app["accessType"],
            "magic-link": app["magicLink"],
            "versioned-magic-link": app["versionedMagicLink"],
            "channel": channel,
            "channel-magic-link": channel_link,
            **insights_outputs(app.get("insights")),
        },
        warnings=warnings,
    )


def list_apps(session: Session, args: argparse.Namespace) -> Result:
    pages = _every_page(session, "/v1/application", "listing the applications", {})
    apps = [app for answer in pages for app in answer.get("data", [])]
    if not apps:
        session.output.note("no applications yet")
    rows = [
        [
            app["id"],
            app["packageName"],
            app.get("name") or app.get("appLabel") or "",
            app["latestVersion"] or "-",
            app["accessType"],
            app["magicLink"],
        ]
        for app in apps
    ]
    return Result(
        data=apps,
        outputs={"count": str(len(apps))},
        table=(["id", "package", "label", "latest", "access", "magic link"], rows),
    )


def show_app(session: Session, args: argparse.Namespace) -> Result:
    app = _app_with_every_version(session, args.id, args.channel)
    label = app.get("name") or app.get("appLabel") or app["packageName"]
    # Null once every version was deleted (the app stays, and the next upload brings one).
    latest = app["latestVersion"]
    rows = [
        [
            version["version"],
            version.get("channel") or "",
            str(version["apkInfo"].get("versionName") or ""),
            str(version["apkInfo"].get("versionCode") or ""),
            version["uploadTime"],
            human_size(version["size"]),
            version["uploaderEmail"],
        ]
        for version in app.get("versions", [])
    ]
    return Result(
        data=app,
        lines=[
            f"{label} ({app['packageName']}): app {app['id']}, {app['accessType']}, "
            + (f"latest version {latest}" if latest else "no version left (every one was deleted)"),
            f"magic link: {app['magicLink']}",
        ],
        outputs={
            "app-id": app["id"],
            "package-name": app["packageName"],
            "latest-version": latest or "",
            "access-type": app["accessType"],
            "magic-link": app["magicLink"],
        },
        table=(["version", "channel", "name", "code", "uploaded", "size", "uploader"], rows),
    )
