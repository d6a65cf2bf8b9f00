"""The commit a build comes from: --commit, else git's HEAD, else the CI system's variable."""

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apkdrop_cli.errors import UsageError

GIT_TIMEOUT_SECONDS = 10
# Used when git cannot answer (no .git in a Docker build, "dubious ownership", no git at all).
CI_COMMIT_VARIABLES = (
    "GITHUB_SHA",
    "CI_COMMIT_SHA",  # GitLab
    "GIT_COMMIT",  # Jenkins
    "BITRISE_GIT_COMMIT",
    "BUILDKITE_COMMIT",
    "CIRCLE_SHA1",
)
CI_TIMESTAMP_VARIABLES = ("CI_COMMIT_TIMESTAMP",)  # GitLab, ISO 8601


@dataclass(frozen=True)
class Commit:
    sha: str | None = None
    timestamp: str | None = None  # ISO 8601 with a time zone


def resolve_commit(
    commit: str | None,
    timestamp: str | None,
    *,
    cwd: Path | None,
    environ: Mapping[str, str],
) -> Commit:
    """What to send as sourceControlId and sourceControlIsoTimestamp."""
    if timestamp is not None:
        timestamp = valid_timestamp(timestamp)
    if commit:
        commit = commit.strip()
        # What git knows (a short sha, a tag) is sent as its full sha, with its commit time;
        # anything else as given.
        found = None if commit.startswith("-") else _commit_of(commit, cwd)
        if found is None:
            return Commit(commit, timestamp)
        return Commit(found.sha, timestamp or found.timestamp)
    found = _commit_of("HEAD", cwd)
    if found:
        return Commit(found.sha, timestamp or found.timestamp)
    for name in CI_COMMIT_VARIABLES:
        if environ.get(name, "").strip():
            when = next((environ[v] for v in CI_TIMESTAMP_VARIABLES if environ.get(v)), None)
            return Commit(environ[name].strip(), timestamp or when)
    return Commit(None, timestamp)


def valid_timestamp(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"--commit-time must be ISO 8601, like 2024-03-07T16:55:49Z: {text!r}"
        ) from exc
    if moment.tzinfo is None:
        raise UsageError(f"--commit-time needs a time zone (Z or +01:00): {text!r}")
    return moment.isoformat()


def _commit_of(revision: str, cwd: Path | None) -> Commit | None:
    line = _git(
        ["-c", "log.showSignature=false", "log", "-1", "--format=%H %cI", revision, "--"], cwd
    )
    if line is None:
        return None
    sha, _, when = line.partition(" ")
    return Commit(sha, when or None)


def _git(arguments: list[str], cwd: Path | None) -> str | None:
    """git's one line of output, or None when git is missing or says no."""
    try:
        done = subprocess.run(
            ["git", *arguments],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    line = done.stdout.strip()
    return line if done.returncode == 0 and line else None
