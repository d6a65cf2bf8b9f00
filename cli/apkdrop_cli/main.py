"""The `apkdrop` command: flags, dispatch, and one exit code per outcome."""

import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO, cast

import httpx

from apkdrop_cli import github
from apkdrop_cli.arguments import GLOBAL_DEFAULTS, build_parser
from apkdrop_cli.config import ENV_API_KEY, load_config
from apkdrop_cli.errors import CliError, ExitCode
from apkdrop_cli.http import ApiClient, Retrier, RetryPolicy
from apkdrop_cli.output import Output
from apkdrop_cli.publish import publish
from apkdrop_cli.session import Session
from apkdrop_cli.storage import Storage


def run(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    cwd: Path | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """The whole command; returns its exit code. Everything outside is injectable for tests."""
    environ = os.environ if environ is None else environ
    # typeshed's `TextIO | Any` for sys.stdout would widen these back to `TextIO | None`.
    stdin = stdin or cast(TextIO, sys.stdin)
    stdout = stdout or cast(TextIO, sys.stdout)
    stderr = stderr or cast(TextIO, sys.stderr)
    parser = build_parser(environ)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (2)
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)

    out = Output(
        stdout=stdout,
        stderr=stderr,
        environ=environ,
        json_mode=args.json,
        quiet=args.quiet,
        verbose=args.verbose,
        progress=not args.no_progress,
    )
    out.add_secret(environ.get(ENV_API_KEY, "").strip())
    out.add_secret((args.api_key or "").strip())
    out.add_secret(environ.get("GITHUB_TOKEN", "").strip())
    try:
        config = load_config(
            api_url=args.api_url,
            api_key=args.api_key,
            api_key_file=args.api_key_file,
            timeout=args.timeout,
            retries=args.retries,
            environ=environ,
        )
        out.add_secret(config.api_key)
        retrier = Retrier(RetryPolicy(retries=config.retries), notify=out.note, sleep=sleep)
        log = out.debug if args.verbose else None
        with (
            ApiClient(config, retrier, log=log, transport=transport) as api,
            Storage(retrier, config.timeout, log=log, transport=transport) as storage,
        ):
            session = Session(
                api, storage, out, environ, cwd=cwd, sleep=sleep, clock=clock, stdin=stdin
            )
            result = args.run(session, args)
            out.emit(result)
            publish(result, args, out, retrier, config.timeout, transport)
        return result.exit_code
    except CliError as exc:
        return _fail(out, exc.message, exc.exit_code, getattr(exc, "status", None))
    except KeyboardInterrupt:
        return _fail(out, "interrupted", ExitCode.INTERRUPTED, None)
    except Exception as exc:  # a bug, or an answer in a shape we do not know
        if args.verbose:
            out.debug(traceback.format_exc())
        return _fail(out, f"unexpected {type(exc).__name__}: {exc}", ExitCode.FAILED, None)


def _fail(out: Output, message: str, code: int, status: int | None) -> int:
    out.error(message)
    document = {"error": out.redact(message), "exitCode": int(code)}
    if status is not None:
        document["status"] = status
    if out.json_mode:
        out.stdout.write(json.dumps(document, indent=2) + "\n")
    github.write_outputs({"error": out.redact(message), "exit-code": str(int(code))}, out.environ)
    return int(code)


def main() -> None:
    sys.exit(run())
