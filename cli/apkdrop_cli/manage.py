"""Managing what was uploaded: `app delete | access | downloads` and `build delete`."""

import argparse
import re
from urllib.parse import quote

from apkdrop_cli.apps import split_addresses
from apkdrop_cli.errors import CliError, UsageError
from apkdrop_cli.output import Result, is_terminal
from apkdrop_cli.session import Session

VERSION = re.compile(r"(\d+)(\.0)?")


def confirm(session: Session, args: argparse.Namespace, question: str) -> None:
    """Asks on a terminal, unless --yes; never when stdin is not one (a CI job)."""
    if args.yes or not is_terminal(session.stdin):
        return
    session.output.ask(f"{question} [y/N]")
    if session.stdin.readline().strip().lower() not in {"y", "yes"}:
        raise CliError("cancelled: nothing was deleted")


def version_label(text: str) -> str:
    """`3` or `3.0` as the API names version 3: `3.0`."""
    match = VERSION.fullmatch(text.strip())
    if not match or int(match.group(1)) < 1:
        raise UsageError(f"--version must be a version number like 3.0, not {text!r}")
    return f"{int(match.group(1))}.0"


def _app_path(args: argparse.Namespace) -> tuple[str, str | None]:
    """The app's (or its version's) API path, and the version label."""
    path = f"/v1/application/{quote(args.id, safe='')}"
    if args.version is None:
        return path, None
    version = version_label(args.version)
    return f"{path}/versions/{quote(version, safe='')}", version


def _named(app_id: str, version: str | None) -> str:
    return f"version {version} of app {app_id}" if version else f"app {app_id}"


def delete_app(session: Session, args: argparse.Namespace) -> Result:
    path, version = _app_path(args)
    what = _named(args.id, version)
    confirm(session, args, f"Delete {what}{'' if version else ' and every version'}?")
    session.api.delete(path, f"deleting {what}")
    return Result(
        data={"appId": args.id, "version": version, "deleted": True},
        lines=[f"deleted {what}"],
        outputs={"app-id": args.id, "version": version or ""},
    )


def change_access(session: Session, args: argparse.Namespace) -> Result:
    allowed = split_addresses(args.allow)
    if allowed and not args.private:
        raise UsageError("--allow applies to private access: add --private")
    if args.private and not allowed:
        raise UsageError("Private access needs at least one --allow EMAIL")
    body: dict = {"accessType": "PRIVATE" if args.private else "PUBLIC"}
    if allowed:
        body["allowedUsers"] = allowed
    path, version = _app_path(args)
    what = _named(args.id, version)
    answer = session.api.patch(path, f"changing the access of {what}", json=body)
    data = answer.get("data", answer)
    access = str(data.get("accessType") or body["accessType"])
    users = data.get("allowedUsers", allowed) or []
    line = f"{what} is now {access}"
    if users and access.upper() == "PRIVATE":
        line += f" to {', '.join(users)}"
    return Result(
        data=data,
        lines=[line],
        outputs={"app-id": args.id, "version": version or "", "access-type": access},
    )


def downloads(session: Session, args: argparse.Namespace) -> Result:
    """Every page of the app's downloads, or the first --limit of them."""
    path = f"/v1/application/{quote(args.id, safe='')}/downloads"
    query: dict[str, str | int] = {}
    if args.version is not None:
        query["version"] = version_label(args.version)
    records: list[dict] = []
    token = None
    while args.limit is None or len(records) < args.limit:
        # The server's own page size: a limit above a deployment's MAX_PAGE_SIZE would be a 400.
        page_query = dict(query)
        if token:
            page_query["pageToken"] = token
        answer = session.api.get(path, f"reading the downloads of app {args.id}", params=page_query)
        records.extend(answer.get("data", []))
        token = answer.get("nextPageToken")
        if not token:
            break
    records = records if args.limit is None else records[: args.limit]
    if not records:
        session.output.note("no downloads yet")
    rows = [
        [
            str(r.get("at", "")),
            str(r.get("version", "")),
            r.get("visitor") or "anonymous",
            str(r.get("via", "")),
        ]
        for r in records
    ]
    return Result(
        data=records,
        outputs={"count": str(len(records))},
        table=(["at", "version", "visitor", "via"], rows),
    )


def delete_builds(session: Session, args: argparse.Namespace) -> Result:
    if not args.project:
        raise UsageError("No project: pass --project or set APKDROP_PROJECT")
    project = f"/api/v1/projects/{quote(args.project, safe='')}"
    if args.build is not None:
        what, path = f"build {args.build}", f"{project}/builds/{args.build}"
        outputs = {"build-id": str(args.build)}
    else:
        what = f"every build of upload context {args.context}"
        path = f"{project}/build-uploads/{args.context}"
        outputs = {"context-id": str(args.context)}
    confirm(session, args, f"Delete {what} in project {args.project}?")
    session.api.delete(path, f"deleting {what}")
    return Result(
        data={
            "project": args.project,
            "buildId": args.build,
            "contextId": args.context,
            "deleted": True,
        },
        lines=[f"deleted {what} in project {args.project}"],
        outputs=outputs,
    )
