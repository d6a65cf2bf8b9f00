"""Benchmark: uploads through apkdrop against a raw signed PUT of the same bytes (issue 18).

`.venv/bin/python -m bench.uploads` (part of `make bench`) starts the local stack on free
ports and a loopback web server for `apkUrl`, generates APKs of the sizes below, then runs each
path --runs times, alternating with its baseline, and prints medians and ratios:

- multipart: `POST /v1/application` with the file, on the application-api function's own port
  (the gateway is not in production's data path); baseline: one signed PUT of the same bytes to
  the same emulator.
- its bucket request alone: the one streamed multipart POST the function makes for that
  upload, with the same pieces, straight to the emulator: the emulator's part of the figure.
- large file: the signed PUT of `POST /v1/application/uploads`, then `POST /v1/application`
  with its uploadId (the finalize is also shown alone); baseline: the PUT alone.
- apkUrl: `POST /v1/application` with `apkUrl` on the loopback server; baseline: a plain
  download of the same bytes plus a signed PUT of them.
- the fixed cost: a multipart upload of the smallest APK, what every upload pays whatever its
  size (authentication, the rate limit, inspection, the Firestore writes).
- settle: the build-upload API's three steps, from the PUT's answer until the build reads
  FINISHED.

Peak memory is the application-api process's VmHWM, reset (clear_refs) before each upload.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.cold_start import start_stack  # noqa: E402
from tests.fixtures.apk_builder import write_apk  # noqa: E402
from tests.integration.apk_server import ApkServer  # noqa: E402

MIB = 1024 * 1024
MULTIPART_MIB = 30
LARGE_MIB = 100
# Goals of issue 18: through apkdrop / baseline.
TARGETS = {"multipart": 2.0, "large file": 1.3, "apkUrl": 1.5}
FINALIZE_TARGET_SECONDS = 1.0
TIMEOUT = httpx.Timeout(300.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each path and baseline")
    parser.add_argument("--finalize-gib", type=float, default=1.0, help="one large finalize")
    arguments = parser.parse_args()
    bench: Bench | None = None
    with tempfile.TemporaryDirectory(prefix="apkdrop-bench-uploads-") as folder:
        workdir = Path(folder)
        with ApkServer() as server:
            stack = start_stack(
                workdir,
                "--set",
                "UPLOAD_RATE_LIMIT_PER_MINUTE=10000",
                "--set",
                f"URL_FETCH_LOOPBACK_PORT={server.port}",
            )
            try:
                state = json.loads((workdir / "stack.json").read_text())
                bench = Bench(state, server, workdir)
                bench.run_all(arguments.runs, arguments.finalize_gib)
            finally:
                stack.terminate()
                stack.wait(timeout=60)
                print_results(bench.rows if bench else [])


class Bench:
    def __init__(self, state: dict, server: ApkServer, workdir: Path) -> None:
        port = state["ports"]["application-api"]
        self.api = f"http://127.0.0.1:{port}"
        self.builds = f"http://127.0.0.1:{state['ports']['build-api']}"
        self.headers = {"X-Api-Key": state["devApiKey"]}
        self.state = state
        self.server = server
        self.workdir = workdir
        self.pid = _function_pid("application_api", port)
        self.client = httpx.Client(timeout=TIMEOUT)
        self.rows: list[dict] = []

    def apk(self, mib: float) -> bytes:
        path = write_apk(self.workdir / f"{mib}.apk", padding_bytes=int(mib * MIB))
        data = path.read_bytes()
        path.unlink()
        return data

    def run_all(self, runs: int, finalize_gib: float) -> None:
        small, large = self.apk(MULTIPART_MIB), self.apk(LARGE_MIB)
        url = self.server.serve("/large.apk", large)
        self.rows.append(self.compare("multipart", small, runs, self.raw_put, self.multipart))
        self.rows.append(self.relayed_alone(small, runs))
        self.rows.append(self.compare("large file", large, runs, self.raw_put, self.large_upload))
        self.rows.append(
            self.compare(
                "apkUrl", large, runs, self.download_and_put, lambda data: self.from_url(url)
            )
        )
        del small, large
        self.rows.append(self.fixed_cost(runs))
        self.rows.append(self.settle(runs))
        # The archive's own records on top of the padding stay within MAX_UPLOAD_BYTES.
        self.rows.append(self.finalize_only(int(finalize_gib * 1024) - 1))

    def compare(
        self,
        name: str,
        data: bytes,
        runs: int,
        baseline: Callable[[bytes], float],
        ours: Callable[[bytes], dict],
    ) -> dict:
        baselines, results = [], []
        for _ in range(runs):
            baselines.append(baseline(data))
            results.append(ours(data))
        return {
            "path": name,
            "size": len(data),
            "baseline": statistics.median(baselines),
            "ours": statistics.median(r["seconds"] for r in results),
            "finalize": _median_of(results, "finalize"),
            "peak": max(r["peak"] for r in results),
        }

    def signed_put(self) -> dict:
        answer = self.client.post(f"{self.api}/v1/application/uploads", headers=self.headers)
        answer.raise_for_status()
        return answer.json()

    def put(self, spec: dict, data: bytes) -> None:
        answer = self.client.put(spec["url"], content=data, headers=spec["headers"])
        answer.raise_for_status()

    def raw_put(self, data: bytes) -> float:
        spec = self.signed_put()["uploadSpec"]
        started = time.perf_counter()
        self.put(spec, data)
        return time.perf_counter() - started

    def download_and_put(self, data: bytes) -> float:
        spec = self.signed_put()["uploadSpec"]
        started = time.perf_counter()
        downloaded = self.client.get(self.server.url("/large.apk")).content
        self.put(spec, downloaded)
        return time.perf_counter() - started

    def publish(self, **form: object) -> dict:
        """One `POST /v1/application`: its seconds and the function's peak memory."""
        _reset_peak(self.pid)
        started = time.perf_counter()
        answer = self.client.post(f"{self.api}/v1/application", headers=self.headers, **form)
        seconds = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"upload failed: {answer.status_code} {answer.text}")
        return {"seconds": seconds, "peak": _peak(self.pid)}

    def multipart(self, data: bytes) -> dict:
        return self.publish(files={"file": ("app.apk", data)})

    def large_upload(self, data: bytes) -> dict:
        created = self.signed_put()
        started = time.perf_counter()
        self.put(created["uploadSpec"], data)
        finalize = self.publish(data={"uploadId": created["uploadId"]})
        return {
            **finalize,
            "seconds": time.perf_counter() - started,
            "finalize": finalize["seconds"],
        }

    def fixed_cost(self, runs: int) -> dict:
        """What one upload costs whatever its size (authentication, the rate limit, inspection
        and every Firestore write): a multipart upload of the smallest APK."""
        tiny = self.apk(0)
        seconds = statistics.median(self.multipart(tiny)["seconds"] for _ in range(runs))
        return {
            "path": f"multipart of a {len(tiny) / 1024:.0f} KiB APK (the fixed cost)",
            "seconds": seconds,
        }

    def relayed_alone(self, data: bytes, runs: int) -> dict:
        """The request the function sends the bucket for a multipart upload (its streamed upload,
        in pieces as it queues them), made straight to the emulator: the part of the multipart
        figure that is the emulator's, whatever the function does around it."""
        from apkdrop.adapters.streamed_upload import PIECE_BYTES, MultipartUpload

        pieces = [data[at : at + PIECE_BYTES] for at in range(0, len(data), PIECE_BYTES)]
        storage = f"http://127.0.0.1:{self.state['ports']['storage']}"
        bucket = self.state["functionEnvs"]["application-api"]["UPLOAD_BUCKET"]
        session = requests.Session()
        seconds = []
        for run in range(runs):
            upload = MultipartUpload(
                session, storage, bucket, f"bench/relayed-{run}.apk", "application/octet-stream"
            )
            started = time.perf_counter()
            upload.send(iter(pieces))
            seconds.append(time.perf_counter() - started)
        return {
            "path": f"its bucket request alone, {len(data) / MIB:.0f} MiB (the emulator's part)",
            "seconds": statistics.median(seconds),
        }

    def from_url(self, url: str) -> dict:
        return self.publish(data={"apkUrl": url})

    def finalize_only(self, mib: int) -> dict:
        """One large finalize of `mib` MiB (generated straight to the bucket, not timed)."""
        path = write_apk(self.workdir / "finalize.apk", padding_bytes=mib * MIB)
        created = self.signed_put()
        with path.open("rb") as file:
            answer = self.client.put(
                created["uploadSpec"]["url"], content=file, headers=created["uploadSpec"]["headers"]
            )
        answer.raise_for_status()
        path.unlink()
        finalize = self.publish(data={"uploadId": created["uploadId"]})
        return {"path": f"finalize only, {mib} MiB", **finalize}

    def settle(self, runs: int) -> dict:
        apk = self.apk(1)
        context = self.client.post(
            f"{self.builds}/api/v1/projects/bench/build-uploads", headers=self.headers
        ).json()["id"]
        settled = []
        for _ in range(runs):
            registered = self.client.post(
                f"{self.builds}/api/v1/projects/bench/builds",
                headers=self.headers,
                json={"contextId": context, "buildType": "APK", "buildFileName": "app.apk"},
            ).json()
            self.put(registered["uploadSpec"], apk)
            started = time.perf_counter()
            build = f"{self.builds}/api/v1/projects/bench/builds/{registered['build']['id']}"
            while self.client.get(build, headers=self.headers).json()["uploadState"] != "FINISHED":
                time.sleep(0.005)
            settled.append(time.perf_counter() - started)
        return {"path": "settle (3-step build flow)", "seconds": statistics.median(settled)}


def _median_of(results: list[dict], key: str) -> float | None:
    values = [r[key] for r in results if key in r]
    return statistics.median(values) if values else None


def _function_pid(target: str, port: int) -> int:
    """The functions-framework process serving `target` on `port`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if target.encode() in argv and str(port).encode() in argv:
            # functions-framework serves through gunicorn: the request runs in its one worker.
            children = Path(f"/proc/{entry.name}/task/{entry.name}/children").read_text().split()
            return int(children[0]) if children else int(entry.name)
    sys.exit(f"no process serves {target} on port {port}")


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _peak(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def print_results(rows: list[dict]) -> None:
    print(f"\nUploads, medians (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)\n")
    print(
        "| path | file | raw signed PUT (baseline) | through apkdrop | ratio | target "
        "| finalize | function peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        peak = f"{row['peak'] / MIB:.0f} MiB" if "peak" in row else ""
        if "baseline" not in row:
            print(f"| {row['path']} | | | {row['seconds'] * 1000:.0f} ms | | | | {peak} |")
            continue
        ratio = row["ours"] / row["baseline"]
        target = TARGETS[row["path"]]
        verdict = "met" if ratio <= target else "MISSED"
        finalize = "" if row["finalize"] is None else f"{row['finalize'] * 1000:.0f} ms"
        print(
            f"| {row['path']} | {row['size'] / MIB:.0f} MiB | {row['baseline'] * 1000:.0f} ms "
            f"| {row['ours'] * 1000:.0f} ms | {ratio:.2f}x | <= {target}x: {verdict} "
            f"| {finalize} | {peak} |"
        )


if __name__ == "__main__":
    main()
