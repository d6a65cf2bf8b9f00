"""`make dev`: the local stack in the foreground, until Ctrl-C or SIGTERM stops all of it.

Every way of failing to start ends in one line on stderr and exit status 1, after stopping what
was started; nothing outlives the stack (see infra/watchdog.py).
"""

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from infra import ROOT
from infra.ports import free_port, port_is_free
from infra.processes import die_with_parent
from infra.stack_state import AlreadyRunning, StackState

DEV_EMAIL = "dev@apkdrop.local"


def _setting(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.upper(), value


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _arguments() -> argparse.Namespace:
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
    return parser.parse_args()


def _run(args: argparse.Namespace, port: int, state: StackState) -> None:
    # Seconds to import on a busy machine: only once the checks that must answer at once passed.
    from infra.api_key import issue_key_on_emulator
    from infra.stack import Stack, StackConfig

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the functions log each request
    stack = Stack(
        StackConfig(
            gateway_port=port,
            state_dir=args.state_dir,
            upload_url_ttl_seconds=args.upload_url_ttl,
            upload_expiry_grace_seconds=args.expiry_grace,
            echo_function_logs=not args.quiet,
            function_settings=dict(args.set),
        ),
        state,
    )
    try:
        stack.start()
        dev_key = issue_key_on_emulator(stack.config.project, DEV_EMAIL)  # as make api-key
        state_file = stack.write_state(dev_key)
        print(
            f"apkdrop dev stack ready on {stack.url} - dev API key ({DEV_EMAIL}): {dev_key}"
            f" - mail at {stack.url}/_dev/mail - pull request comments at {stack.url}/_dev/github"
            f" - state in {state_file}",
            flush=True,
        )
        threading.Event().wait()
    finally:
        # Stopping is bounded; a second Ctrl-C must not cut it short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()


def main() -> None:
    args = _arguments()
    # `make` or pytest killed: we get SIGTERM, as from Ctrl-C.
    die_with_parent(signal.SIGTERM)
    # SIGTERM stops the stack exactly as Ctrl-C does, even in the middle of starting it.
    signal.signal(signal.SIGTERM, _interrupt)
    # A shell starting us in the background ignores SIGINT; Ctrl-C must still stop the stack.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    port = args.port or free_port()
    state = StackState(args.state_dir / "stack.json", f"http://127.0.0.1:{port}")
    stopped = False
    try:
        state.claim()
        if not port_is_free(port):
            raise RuntimeError(
                f"port {port} is in use (another `make dev`?); "
                "choose another with `python -m infra.dev --port N`"
            )
        _run(args, port, state)
    except KeyboardInterrupt:
        print("apkdrop dev stack stopped", flush=True)
        stopped = True
    except AlreadyRunning as exc:
        sys.exit(str(exc))
    except Exception as exc:  # one line, never a traceback: see the logs for details
        sys.exit(f"apkdrop dev stack failed to start: {exc or type(exc).__name__}")
    finally:
        state.release()
    if stopped:
        # Stopped by a signal is a clean stop. CPython may still end by killing itself with
        # SIGINT (exit -2): it does when a KeyboardInterrupt escaped a frame it ran itself, as
        # the stop signal's can while a child is being forked. So end here, flushed.
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
