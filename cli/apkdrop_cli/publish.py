"""Where an upload's markdown summary goes besides the GitHub job summary: `--summary FILE` and
`--comment-pr`. Neither changes the exit code: the upload is done, a failure here is a warning."""

import argparse
from collections.abc import Mapping
from pathlib import Path

import httpx

from apkdrop_cli.errors import CliError
from apkdrop_cli.http import Retrier
from apkdrop_cli.output import Output, Result
from apkdrop_cli.pr_comment import GitHubComments, NotAPullRequest, pull_request


def summary_wanted(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    """Whether anything will show the summary (it costs a request to read the app's name)."""
    return bool(args.summary_file or args.comment_pr or environ.get("GITHUB_STEP_SUMMARY"))


def publish(
    result: Result,
    args: argparse.Namespace,
    output: Output,
    retrier: Retrier,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
) -> None:
    if not result.summary:
        return
    markdown = output.redact(result.summary)
    if getattr(args, "summary_file", None):
        try:
            Path(args.summary_file).write_text(markdown, encoding="utf-8")
        except OSError as exc:
            output.warning(f"cannot write the summary to {args.summary_file}: {exc.strerror}")
    if getattr(args, "comment_pr", False):
        _comment(result.summary_key or "upload", markdown, output, retrier, timeout, transport)


def _comment(
    key: str,
    markdown: str,
    output: Output,
    retrier: Retrier,
    timeout: float,
    transport: httpx.BaseTransport | None,
) -> None:
    try:
        target = pull_request(output.environ)
    except NotAPullRequest as exc:
        output.note(f"--comment-pr: {exc}")
        return
    output.add_secret(target.token)
    try:
        with GitHubComments(target, retrier, timeout, transport) as comments:
            done, url = comments.upsert(key, markdown)
    # ValueError: an answer that is not JSON; RecursionError: one absurdly nested
    except (CliError, ValueError, RecursionError) as exc:
        output.warning(f"the pull request comment failed: {getattr(exc, 'message', exc)}")
        return
    output.note(f"{done} the comment on pull request #{target.number}: {url}")
