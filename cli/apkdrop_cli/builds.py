"""`apkdrop build upload`: context, registrations, parallel PUTs to storage, optional wait."""

import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from apkdrop_cli.errors import ExitCode, UsageError
from apkdrop_cli.gitinfo import resolve_commit
from apkdrop_cli.insights import insights_line, insights_outputs
from apkdrop_cli.output import Result, checks_line, signed_size
from apkdrop_cli.session import Session
from apkdrop_cli.storage import file_size
from apkdrop_cli.summary import code, insights_markdown, text

# A build's final states: DELETED too (its context deleted while CI waits).
SETTLED = {"FINISHED", "FAILED", "DELETED"}
# The context's state: the first of these any build is in, else FINISHED.
UNFINISHED = ("FAILED", "DELETED", "UPLOADING")


def upload(session: Session, args: argparse.Namespace) -> Result:
    if not args.project:
        raise UsageError("No project: pass --project or set APKDROP_PROJECT")
    files = [("APK", Path(args.apk))]
    if args.instrumented:
        files.append(("INSTRUMENTED_APK", Path(args.instrumented)))
    sizes = [file_size(path, "APK") for _, path in files]
    commit = resolve_commit(args.commit, args.commit_time, cwd=session.cwd, environ=session.environ)
    api, out = session.api, session.output
    project = f"/api/v1/projects/{quote(args.project, safe='')}"

    context = api.post(f"{project}/build-uploads", "creating the upload context")
    out.note(f"upload context {context['id']} in project {args.project}")
    registered = []
    for build_type, path in files:
        body = {
            "contextId": context["id"],
            "buildType": build_type,
            "buildFileName": path.name,
            "name": args.name,
            "description": args.description,
            "sourceControlId": commit.sha,
            "sourceControlIsoTimestamp": commit.timestamp,
        }
        body = {name: value for name, value in body.items() if value is not None}
        registered.append(api.post(f"{project}/builds", f"registering {path.name}", json=body))

    _put_all(session, registered, files, sizes)
    builds = [entry["build"] for entry in registered]
    if args.wait:
        return _wait(session, args, project, context["id"], builds)
    return _result(args.project, context["id"], builds)


def _put_all(session: Session, registered: list[dict], files: list, sizes: list[int]) -> None:
    """Every file at once, straight to storage; the first failure is raised."""
    with session.output.transfers() as transfers, ThreadPoolExecutor(len(files)) as pool:
        trackers = [
            transfers.track(path.name, size) for (_, path), size in zip(files, sizes, strict=True)
        ]

        def put(index: int) -> None:
            path = files[index][1]
            session.storage.put(
                registered[index]["uploadSpec"], path, trackers[index], f"uploading {path.name}"
            )
            trackers[index].finish()

        for future in [pool.submit(put, index) for index in range(len(files))]:
            future.result()


def _wait(
    session: Session, args: argparse.Namespace, project: str, context_id: int, builds: list
) -> Result:
    """Polls the context until each build is FINISHED, FAILED or DELETED, or --wait-timeout
    passes."""
    ours = {build["id"] for build in builds}
    deadline = session.clock() + args.wait_timeout
    session.output.note(f"waiting for {len(ours)} build(s) to be inspected")
    while True:
        context = session.api.get(f"{project}/build-uploads/{context_id}", "checking the builds")
        builds = [build for build in context.get("builds", []) if build["id"] in ours]
        builds.sort(key=lambda build: build["id"])
        pairing = context.get("pairing")
        settled = builds and all(build["uploadState"] in SETTLED for build in builds)
        # The pairing is recorded just after the second build finishes: wait for it too, but
        # a missing one is no reason to fail.
        if settled and (pairing or not _pairs(builds) or session.clock() >= deadline):
            return _result(args.project, context_id, builds, pairing)
        if session.clock() >= deadline:
            result = _result(args.project, context_id, builds)
            result.exit_code = ExitCode.TIMEOUT
            result.error = (
                f"gave up after {args.wait_timeout:g}s: the builds are still "
                + ", ".join(f"{b['buildFileName']} {b['uploadState']}" for b in builds)
            )
            return result
        session.sleep(min(args.poll_interval, max(0.0, deadline - session.clock())))


def _pairs(builds: list[dict]) -> bool:
    """Both build types FINISHED: the server pairs them."""
    finished = {build["buildType"] for build in builds if build["uploadState"] == "FINISHED"}
    return finished == {"APK", "INSTRUMENTED_APK"}


def _result(
    project: str, context_id: int, builds: list[dict], pairing: dict | None = None
) -> Result:
    states = [build["uploadState"] for build in builds]
    state = next((unfinished for unfinished in UNFINISHED if unfinished in states), "FINISHED")
    data = {
        "project": project,
        "contextId": context_id,
        "state": state,
        "builds": builds,
        "pairing": pairing,
    }
    outputs = {"context-id": str(context_id), "state": state}
    lines = [f"upload context {context_id} in project {project}: {state}"]
    failures = []
    for build in builds:
        prefix = "instrumented-build" if build["buildType"] == "INSTRUMENTED_APK" else "build"
        outputs[f"{prefix}-id"] = str(build["id"])
        outputs[f"{prefix}-state"] = build["uploadState"]
        lines.append(_describe(build))
        if checks := checks_line(build.get("checks") or []):
            lines.append(f"    {checks}")
        if build["uploadState"] == "FAILED":
            reason = build.get("failureReason") or "no reason given"
            failures.append(f"build {build['id']} ({build['buildFileName']}) FAILED: {reason}")
            outputs.setdefault("failure-reason", reason)
        if build["uploadState"] == "DELETED":
            failures.append(f"build {build['id']} ({build['buildFileName']}) was DELETED")
        if changes := insights_line(build.get("insights")):
            lines.append(f"    {changes}")
        info = build.get("apkInfo") or {}
        if prefix == "build" and info:
            outputs["package-name"] = str(info.get("packageName") or "")
            outputs["version-name"] = str(info.get("versionName") or "")
            outputs["version-code"] = str(info.get("versionCode") or "")
            outputs.update(insights_outputs(build.get("insights")))
    if pairing:
        lines.append(pairing_line(pairing))
    result = Result(data=data, lines=lines, outputs=outputs, summary=_summary(data))
    result.summary_key = f"build:{project}"
    result.warnings = list((pairing or {}).get("warnings") or []) + [
        f"build {build['id']}: {warning}"
        for build in builds
        for warning in (build.get("insights") or {}).get("warnings") or []
    ]
    if failures:
        result.exit_code, result.error = ExitCode.FAILED, "; ".join(failures)
    return result


def _describe(build: dict) -> str:
    line = f"  build {build['id']} {build['buildType']} {build['buildFileName']}"
    line += f": {build['uploadState']}"
    info = build.get("apkInfo") or {}
    if info:
        line += f" - {info.get('packageName')}"
        if info.get("versionName") or info.get("versionCode") is not None:
            line += f" {info.get('versionName') or '?'} ({info.get('versionCode')})"
        else:
            line += " (no version in its manifest)"
    if build.get("failureReason"):
        line += f" - {build['failureReason']}"
    return line


def pairing_line(pairing: dict) -> str:
    """One line: whether the instrumented build matches the APK, and what it adds, as stored."""
    warnings = pairing.get("warnings") or []
    verdict = (
        f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}"
        if warnings
        else "same package, version and signer"
    )
    line = (
        f"  pairing of build {pairing['instrumentedBuildId']} with build {pairing['apkBuildId']}:"
        f" {verdict}"
    )
    size = pairing.get("size")
    if size:
        line += f"; {signed_size(size['total']['compressed']['delta'])} as stored"
        parts = [
            f"{name} {signed_size(delta)}"
            for name in ("dex", "resources", "native", "assets", "other")
            if (delta := size[name]["compressed"]["delta"])
        ]
        if parts:
            line += f" ({', '.join(parts)})"
    return line


def _summary(data: dict) -> str:
    # Names and versions come from the APKs, reasons and warnings quote them: shown as text.
    rows = "\n".join(
        f"| {b['id']} | {b['buildType']} | {code(b['buildFileName'])} | {b['uploadState']} | "
        f"{text((b.get('apkInfo') or {}).get('packageName') or '')} "
        f"{text((b.get('apkInfo') or {}).get('versionName') or '')} | "
        f"{text(b.get('failureReason') or '')} |"
        for b in data["builds"]
    )
    title = f"upload context {data['contextId']} in {code(data['project'])}: {data['state']}"
    pairing = data["pairing"]
    notes = ""
    if pairing:
        warnings = "".join(f"- {text(warning)}\n" for warning in pairing["warnings"])
        notes = f"\n{pairing_line(pairing).strip()}\n\n{warnings}"
    changes = "".join(
        "\n" + insights_markdown(build["insights"], of="Build " + str(build["id"])) + "\n"
        for build in data["builds"]
        if build.get("insights")
    )
    return (
        f"### apkdrop: {title}\n\n"
        "| build | type | file | state | package | failure |\n|---|---|---|---|---|---|\n"
        f"{rows}\n{notes}{changes}"
    )
