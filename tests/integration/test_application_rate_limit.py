"""The upload rate limit is one budget per key, shared by every instance of the function."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.function_env import without_settings
from tests.paths import ROOT

pytestmark = pytest.mark.integration

LIMIT = 3


def start_instance(stack, tmp_path: Path, name: str) -> tuple[subprocess.Popen, str]:
    """Another application-api process on the same emulators, as Cloud Run would scale out."""
    from infra.ports import free_port

    port = free_port()
    env = {
        **without_settings(os.environ),
        **stack.state["functionEnvs"]["application-api"],
        "UPLOAD_RATE_LIMIT_PER_MINUTE": str(LIMIT),
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "functions-framework"),
            "--target",
            "application_api",
            "--source",
            str(ROOT / "functions" / "main.py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=(tmp_path / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def instances(stack, tmp_path) -> Iterator[list[str]]:
    started = [start_instance(stack, tmp_path, f"instance-{n}") for n in range(2)]
    try:
        deadline = time.monotonic() + 60
        for _, url in started:
            while True:
                try:
                    httpx.get(url + "/v1/application", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "instance did not start"
                    time.sleep(0.2)
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=30)


def test_rate_limit_is_shared_across_instances(instances, api_keys):
    headers = {"X-Api-Key": api_keys(f"limited-{time.monotonic_ns()}@example.com")}
    # Stay clear of a window boundary, which would reset the count mid-test.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)

    statuses = [
        httpx.post(instances[n % 2] + "/v1/application", headers=headers).status_code
        for n in range(LIMIT + 2)
    ]

    # Requests without a file are counted (and refused with 400) until the shared budget is spent.
    assert statuses == [400] * LIMIT + [429, 429]
    refused = httpx.post(instances[0] + "/v1/application", headers=headers)
    assert refused.json() == {"detail": "Rate limit exceeded. Please try again later."}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
