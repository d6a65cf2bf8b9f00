"""The command line: global options (taken before or after the command), commands, help."""

import argparse
import math
from collections.abc import Mapping

from apkdrop_cli import __version__, apps, builds, manage
from apkdrop_cli.channels import BRANCH_VARIABLES, ci_channel
from apkdrop_cli.config import DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECONDS, ENV_PROJECT

EPILOG = """\
environment:
  APKDROP_API_URL   the API's base URL, like https://apkdrop.example.com (or --api-url)
  APKDROP_API_KEY   the API key (or --api-key-file); it is never printed
  APKDROP_PROJECT   the default --project of `build upload` and `build delete`
  GITHUB_OUTPUT     under GitHub Actions, the result's values become step outputs
  GITHUB_STEP_SUMMARY  under GitHub Actions, uploads append their markdown summary there
  GITHUB_TOKEN      with --comment-pr, the token that comments on the pull request
  GITHUB_API_URL    with --comment-pr, GitHub's REST API (default https://api.github.com)
  APKDROP_GITHUB_LOGIN  with --comment-pr, who the token comments as (APP-SLUG[bot] for a
                    GitHub App's token); default: GET /user's login, else github-actions[bot]

exit codes:
  0  done
  1  refused: the server answered 4xx (its detail is shown), a build FAILED, or a
     deletion was not confirmed
  2  usage: bad flags, no API URL or key, a missing, unreadable or empty file
  3  unavailable: no answer, or still 429/5xx, from the API or storage after every retry
  4  timeout: --wait gave up before every build was FINISHED or FAILED
  --summary and --comment-pr never change it: a failure of theirs is a warning
"""


def _global_options() -> argparse.ArgumentParser:
    """Options taken before or after the command (`apkdrop --json app list` or `app list
    --json`); SUPPRESS keeps a subcommand from resetting what was given before it."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("global options")
    hide = argparse.SUPPRESS
    group.add_argument("--api-url", metavar="URL", default=hide, help="or APKDROP_API_URL")
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=hide,
        help="prefer APKDROP_API_KEY: a flag shows in process lists",
    )
    group.add_argument(
        "--api-key-file", metavar="PATH", default=hide, help="read the key from a file"
    )
    group.add_argument("--json", action="store_true", default=hide, help="print one JSON document")
    group.add_argument(
        "-q", "--quiet", action="store_true", default=hide, help="only the result and errors"
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", default=hide, help="log every request"
    )
    group.add_argument("--no-progress", action="store_true", default=hide, help="no progress bars")
    group.add_argument(
        "--retries",
        type=int,
        metavar="N",
        default=hide,
        help=f"per request (default {DEFAULT_RETRIES})",
    )
    group.add_argument(
        "--timeout",
        type=positive,
        metavar="SECONDS",
        default=hide,
        help=f"per network operation (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    return common


GLOBAL_DEFAULTS = {
    "api_url": None,
    "api_key": None,
    "api_key_file": None,
    "json": False,
    "quiet": False,
    "verbose": False,
    "no_progress": False,
    "retries": DEFAULT_RETRIES,
    "timeout": DEFAULT_TIMEOUT_SECONDS,
}


def _ci_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--summary",
        dest="summary_file",
        metavar="FILE",
        help="write the markdown summary to FILE (GitHub Actions: also to the job summary)",
    )
    parser.add_argument(
        "--comment-pr",
        action="store_true",
        help="on a GitHub Actions pull_request run (GITHUB_TOKEN), post the summary as a comment, "
        "edited by later runs; a failure is a warning",
    )


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return int(text)


def _confirmation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="do not ask (nothing is asked anyway when stdin is not a terminal)",
    )


def positive(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:  # nan too: a deadline that never comes
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    common = _global_options()
    formatter = argparse.RawDescriptionHelpFormatter

    def command(group, name: str, help_text: str) -> argparse.ArgumentParser:
        return group.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[common],
            epilog=EPILOG,
            formatter_class=formatter,
        )

    parser = argparse.ArgumentParser(
        prog="apkdrop",
        description="Upload Android builds and apps to apkdrop from CI.",
        parents=[common],
        epilog=EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"apkdrop {__version__}")
    areas = parser.add_subparsers(dest="area", required=True, metavar="{build,app}")

    build = areas.add_parser("build", help="the build-upload API").add_subparsers(
        dest="command", required=True
    )
    up = command(build, "upload", "Upload an APK (and its instrumented build) to a project")
    up.set_defaults(run=builds.upload)
    up.add_argument("--project", default=environ.get(ENV_PROJECT), help="or APKDROP_PROJECT")
    up.add_argument("--apk", required=True, metavar="FILE", help="the app's APK")
    up.add_argument(
        "--instrumented",
        metavar="FILE",
        help="the same app built with performance instrumentation (not a test APK)",
    )
    up.add_argument("--name", help="the builds' name, like Nightly")
    up.add_argument("--description")
    up.add_argument("--commit", metavar="SHA", help="default: git's HEAD, else the CI's variable")
    up.add_argument("--commit-time", metavar="ISO", help="default: the commit's time from git")
    up.add_argument(
        "--wait", action="store_true", help="wait until every build is FINISHED or FAILED"
    )
    up.add_argument(
        "--wait-timeout", type=positive, default=900, metavar="SECONDS", help="(default 900)"
    )
    up.add_argument(
        "--poll-interval", type=positive, default=2, metavar="SECONDS", help=argparse.SUPPRESS
    )
    _ci_outputs(up)

    delete = command(build, "delete", "Delete a build, or every build of an upload context")
    delete.set_defaults(run=manage.delete_builds)
    delete.add_argument("--project", default=environ.get(ENV_PROJECT), help="or APKDROP_PROJECT")
    which = delete.add_mutually_exclusive_group(required=True)
    which.add_argument("--build", type=positive_int, metavar="ID", help="one build")
    which.add_argument("--context", type=positive_int, metavar="ID", help="every build of it")
    _confirmation(delete)

    app = areas.add_parser("app", help="the application upload API").add_subparsers(
        dest="command", required=True
    )
    put = command(app, "upload", "Upload an APK as a new version (or app), get its magic links")
    put.set_defaults(run=apps.upload)
    put.add_argument("file", nargs="?", metavar="FILE", help="the APK")
    put.add_argument("--url", help="let the server fetch the APK from this http(s) URL instead")
    access = put.add_mutually_exclusive_group()
    access.add_argument(
        "--private", action="store_true", help="only --allow'ed users may install it"
    )
    access.add_argument(
        "--public",
        action="store_true",
        help="anyone with the link may install it (default: the latest version's access; public "
        "for a new app)",
    )
    put.add_argument(
        "--allow", action="append", metavar="EMAIL", help="repeatable, or comma-separated"
    )
    put.add_argument(
        "--action",
        choices=sorted(apps.ACTIONS),
        default="new-version",
        help="when an app of the package exists (default new-version)",
    )
    put.add_argument("--notify", action="store_true", help="email the uploader, or --email")
    put.add_argument(
        "--email", action="append", metavar="EMAIL", help="notify these (implies --notify)"
    )
    put.add_argument("--release-notes", metavar="TEXT|@FILE", help="@FILE reads a file, @- stdin")
    put.add_argument(
        "--app-id", metavar="ID", help="which app gets the version, when several share a package"
    )
    put.add_argument(
        "--signer-policy",
        choices=["warn", "reject"],
        help="reject: refuse an APK signed by another key than the app's previous version, and "
        "keep refusing (an upload never loosens it; default: the app's, warn for a new app)",
    )
    put.add_argument(
        "--channel",
        default=ci_channel(environ),
        help="the release channel, like nightly (default: the CI branch, as "
        f"{', '.join(BRANCH_VARIABLES)} name it, lowercased, other characters as '-'; "
        "outside CI the server's default channel)",
    )
    put.add_argument(
        "--large-file",
        dest="large",
        action="store_true",
        help="use the large-file path whatever the size (it is taken above 31 MiB anyway)",
    )
    _ci_outputs(put)
    command(app, "list", "List the account's applications").set_defaults(run=apps.list_apps)
    show = command(app, "show", "Show an application and its versions")
    show.set_defaults(run=apps.show_app)
    show.add_argument("id", metavar="ID")
    show.add_argument("--channel", metavar="NAME", help="only this channel's versions")

    remove = command(app, "delete", "Delete an application (every version), or one version")
    remove.set_defaults(run=manage.delete_app)
    remove.add_argument("id", metavar="APP_ID")
    remove.add_argument("--version", metavar="N.0", help="only this version")
    _confirmation(remove)

    grant = command(app, "access", "Change who may install an application, or one version")
    grant.set_defaults(run=manage.change_access)
    grant.add_argument("id", metavar="APP_ID")
    grant.add_argument(
        "--version",
        metavar="N.0",
        help="only this version (default: every version, and later uploads)",
    )
    level = grant.add_mutually_exclusive_group(required=True)
    level.add_argument("--private", action="store_true", help="only --allow'ed users")
    level.add_argument("--public", action="store_true", help="anyone with the link")
    grant.add_argument(
        "--allow", action="append", metavar="EMAIL", help="repeatable, or comma-separated"
    )

    seen = command(
        app, "downloads", "List the downloads of an application: when, which version, who, how"
    )
    seen.set_defaults(run=manage.downloads)
    seen.add_argument("id", metavar="APP_ID")
    seen.add_argument("--version", metavar="N.0", help="only this version's downloads")
    seen.add_argument(
        "--limit", type=positive_int, metavar="N", help="at most N (default: every page)"
    )
    return parser
