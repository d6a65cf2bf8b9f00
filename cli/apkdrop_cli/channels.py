"""The upload's default channel: the CI job's branch, as a channel name the server accepts."""

import re
from collections.abc import Mapping

# The first one set names the branch: a pull request's source branch before the ref GitHub
# runs on (`123/merge` for a pull request), then GitLab's, Bitrise's, Jenkins'.
BRANCH_VARIABLES = (
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "CI_COMMIT_REF_NAME",
    "BITRISE_GIT_BRANCH",
    "BRANCH_NAME",
)
MAX_CHANNEL_CHARS = 64  # the server's rule: 1 to 64 of a-z, 0-9, '.', '_', '-'
_OUTSIDE = re.compile(r"[^a-z0-9._-]")


def as_channel(branch: str) -> str | None:
    """`feature/Login` -> `feature-login`; None when nothing is left."""
    return _OUTSIDE.sub("-", branch.strip().lower())[:MAX_CHANNEL_CHARS] or None


def ci_channel(environ: Mapping[str, str]) -> str | None:
    """The CI branch's channel; None outside CI (the server's default channel then)."""
    branch = next((environ[name] for name in BRANCH_VARIABLES if environ.get(name, "").strip()), "")
    return as_channel(branch)
