"""`make dev`: the local stack in the foreground, until Ctrl-C or SIGTERM stops all of it."""

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from google.api_core import exceptions as api_exceptions

from infra.api_key import issue_key_on_emulator
from infra.emulators import ROOT
from infra.stack import Stack, StackConfig

DEV_EMAIL = "dev@apkdrop.local"


def _setting(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.upper(), value


def _interrupt() -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description="Run apkdrop's local stack.")
    parser.add_argument("--port", type=int, default=8080, help="gateway port (0: any free one)")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".dev")
    parser.add_argument("--upload-url-ttl", type=int, default=900)
    parser.add_argument("--expiry-grace", type=int, default=60)
    parser.add_argument("--quiet", action="store_true", help="function logs to files only")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=_setting,
        help="a function setting, e.g. UPLOAD_RATE_LIMIT_PER_MINUTE=100 (repeatable)",
    )
    args = parser.parse_args()
    function_settings = dict(args.set)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the functions log each request
    # SIGTERM stops the stack exactly as Ctrl-C does, even in the middle of starting it.
    signal.signal(signal.SIGTERM, lambda *_: _interrupt())
    # A shell starting us in the background ignores SIGINT; Ctrl-C must still stop the stack.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stack = Stack(
        StackConfig(
            gateway_port=args.port,
            state_dir=args.state_dir,
            upload_url_ttl_seconds=args.upload_url_ttl,
            upload_expiry_grace_seconds=args.expiry_grace,
            echo_function_logs=not args.quiet,
            function_settings=function_settings,
        )
    )
    try:
        stack.start()
        dev_key = issue_key_on_emulator(stack.config.project, DEV_EMAIL)  # as make api-key
        state = stack.write_state(dev_key)
        print(
            f"apkdrop dev stack ready on {stack.url} - dev API key ({DEV_EMAIL}): {dev_key}"
            f" - mail at {stack.url}/_dev/mail - state in {state}",
            flush=True,
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        print("apkdrop dev stack stopping", flush=True)
    except (RuntimeError, OSError, api_exceptions.GoogleAPIError) as exc:
        print(f"apkdrop dev stack failed to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from exc
    finally:
        stack.stop()
        (args.state_dir / "stack.json").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
