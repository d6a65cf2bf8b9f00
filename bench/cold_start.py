"""Benchmark: each entry point's cold start, against a hello-world function's.

`.venv/bin/python -m bench.cold_start` (part of `make bench`) starts the local stack on free
ports, then for each entry point of functions/routes.json runs --runs fresh Python processes.
Each imports functions_framework, loads functions/main.py for its target as Cloud Functions
does (`create_app`), and serves its first request (infra/first_requests.py) against the
emulators; the time is from before the first import to the answer. The floor is the same for a
hello-world function whose module imports google.auth and builds a pydantic-settings model
from the same environment.
`--before DIR` also measures another checkout's functions/ folder, in the same run, and prints
it beside (how BENCHMARKS.md's before/after was made).

Target (issue 13): every entry point within 1.5x the floor.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from infra.function_env import without_settings  # noqa: E402
from infra.routes import load_routes  # noqa: E402

TARGET_RATIO = 1.5
STACK_START_SECONDS = 180
# What every function loads whatever it does: the framework, the settings library, google.auth.
HELLO = """
import functions_framework
import google.auth
from pydantic_settings import BaseSettings

class Settings(BaseSettings):
    google_cloud_project: str
    region: str

settings = Settings()

@functions_framework.http
def hello(request):
    return {"hello": settings.region}
"""
# Runs in a fresh interpreter: argv = source file, target, signature, request as JSON.
CHILD = """
import time
started = time.perf_counter()
import json, sys
from functions_framework import create_app
source, target, signature, request = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
client = create_app(target, source, signature).test_client()
answer = client.open(request["path"], method=request["method"], headers=request["headers"],
                     json=request["json"])
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "status": answer.status_code, "modules": len(sys.modules)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per entry point")
    parser.add_argument("--before", type=Path, help="another checkout's functions/ folder")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="apkdrop-cold-start-") as folder:
        workdir = Path(folder)
        stack = start_stack(workdir)
        try:
            own, every = function_envs(json.loads((workdir / "stack.json").read_text()))
            floor = measure_floor(workdir, every, arguments.runs)
            after = measure_entry_points(ROOT / "functions", own, arguments.runs)
            # An older checkout may read every function's settings in each.
            before = arguments.before and measure_entry_points(
                arguments.before, dict.fromkeys(own, every), arguments.runs
            )
        finally:
            stack.terminate()
            stack.wait(timeout=60)
    print_table(floor, after, before)


def function_envs(state: dict) -> tuple[dict[str, dict], dict]:
    """Each function's environment on the stack (its own settings), and one with every
    function's settings."""
    base = {**without_settings(os.environ), "LOG_LEVEL": "WARNING"}
    own = {
        name: {**base, **env, "LOG_LEVEL": "WARNING"} for name, env in state["functionEnvs"].items()
    }
    every = {name: value for env in own.values() for name, value in env.items()}
    every.pop("FUNCTION_TARGET")
    return own, every


def start_stack(workdir: Path, *extra_args: str) -> subprocess.Popen:
    import time

    command = [sys.executable, "-m", "infra.dev", "--port", "0", "--state-dir", str(workdir)]
    process = subprocess.Popen(
        [*command, "--quiet", *extra_args],
        cwd=ROOT,
        stdout=(workdir / "stack.out").open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + STACK_START_SECONDS
    state = workdir / "stack.json"
    while not (state.exists() and json.loads(state.read_text() or "{}").get("ready")):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"the local stack did not start: {(workdir / 'stack.out').read_text()}")
        time.sleep(0.3)
    return process


def measure_floor(workdir: Path, env: dict, runs: int) -> dict:
    hello = workdir / "hello.py"
    hello.write_text(textwrap.dedent(HELLO))
    request = {"method": "GET", "path": "/", "headers": {}, "json": None}
    return median_run(hello, "hello", "http", request, env, runs, workdir)


def measure_entry_points(source: Path, envs: dict[str, dict], runs: int) -> dict[str, dict]:
    """`envs`: each function's environment."""
    from infra.first_requests import first_request

    measured = {}
    for name, spec in load_routes().functions.items():
        env = envs[name]
        request = first_request(spec.entryPoint, env["UPLOAD_BUCKET"])
        wanted = {
            "method": request.method,
            "path": request.path,
            "headers": request.headers,
            "json": request.json,
        }
        measured[spec.entryPoint] = median_run(
            source / "main.py", spec.entryPoint, spec.signature, wanted, env, runs, source
        )
    return measured


def median_run(
    source: Path, target: str, signature: str, request: dict, env: dict, runs: int, cwd: Path
) -> dict:
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(source), target, signature, json.dumps(request)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(result["seconds"] for result in results),
        "modules": statistics.median(result["modules"] for result in results),
        "status": results[-1]["status"],
    }


def print_table(floor: dict, after: dict[str, dict], before: dict[str, dict] | None) -> None:
    print("\nCold start: import main and serve the first request, medians of fresh processes\n")
    head = "| entry point | first answer | modules | vs floor | target 1.5x |"
    if before:
        head += " before | before: modules | before: vs floor |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    floor_line = (
        f"| hello world (floor) | {floor['seconds'] * 1000:.0f} ms | {floor['modules']:.0f}"
    )
    print(floor_line + " | 1.00x | - |" + (" | | |" if before else ""))
    for name, measured in after.items():
        ratio = measured["seconds"] / floor["seconds"]
        line = (
            f"| {name} ({measured['status']}) | {measured['seconds'] * 1000:.0f} ms "
            f"| {measured['modules']:.0f} | {ratio:.2f}x "
            f"| {'ok' if ratio <= TARGET_RATIO else 'MISSED'} |"
        )
        if before:
            old = before[name]
            line += (
                f" {old['seconds'] * 1000:.0f} ms | {old['modules']:.0f} "
                f"| {old['seconds'] / floor['seconds']:.2f}x |"
            )
        print(line)


if __name__ == "__main__":
    main()
