"""Every entry point starts and answers from functions/requirements.txt alone, the way Cloud
Functions runs it: a fresh virtualenv on Terraform's runtime, `functions-framework --target NAME
--signature-type ...` from the source folder, each with only its own settings as on the local
stack, no dev packages.

The dev venv has everything the tests and the CLI need, so a module missing from the
requirements (httpx once was) passes every other test and kills every function in production.
"""

import json
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.first_requests import first_request
from infra.function_env import without_settings
from infra.functions_venv import FunctionsVenv, ensure_functions_venv
from infra.ports import free_port
from infra.routes import load_routes
from tests.paths import ROOT

pytestmark = pytest.mark.integration

START_SECONDS = 90
# Variables of this process that would let the function see the dev venv's packages.
LEAKY_VARIABLES = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")


@pytest.fixture(scope="module")
def functions_venv() -> FunctionsVenv:
    built = ensure_functions_venv()
    if built.version_note:
        warnings.warn(built.version_note, stacklevel=1)
    return built


def clean_env(stack, venv: FunctionsVenv, function: str) -> dict[str, str]:
    """This process's environment without the dev venv and without any setting (the tests set
    the emulators'), then `function`'s own settings and FUNCTION_TARGET, as the stack has them."""
    env = {k: v for k, v in without_settings(os.environ).items() if k not in LEAKY_VARIABLES}
    path = [entry for entry in env.get("PATH", "").split(os.pathsep) if ".venv" not in entry]
    env["PATH"] = os.pathsep.join([str(venv.bin), *path])
    return {**env, **stack.state["functionEnvs"][function]}


@pytest.fixture(scope="module")
def deployed(stack, functions_venv, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Each function of routes.json in its own functions-framework process: name -> base URL."""
    logs = tmp_path_factory.mktemp("packaging")
    processes: dict[str, tuple[subprocess.Popen, str, Path]] = {}
    for name, spec in load_routes().functions.items():
        port = free_port()
        log = logs / f"{name}.log"
        processes[name] = (
            subprocess.Popen(
                [
                    str(functions_venv.bin / "functions-framework"),
                    *("--target", spec.entryPoint, "--signature-type", spec.signature),
                    *("--host", "127.0.0.1", "--port", str(port)),
                ],
                cwd=ROOT / "functions",  # the buildpack runs main.py from the source root
                env=clean_env(stack, functions_venv, name),
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
            f"http://127.0.0.1:{port}",
            log,
        )
    try:
        for name, (process, url, log) in processes.items():
            wait_until_listening(name, process, url, log)
        yield {name: url for name, (_, url, _) in processes.items()}
    finally:
        for process, _, _ in processes.values():
            process.terminate()
        for process, _, _ in processes.values():
            process.wait(timeout=30)


def wait_until_listening(name: str, process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"{name} exited at start-up:\n{log.read_text()[-4000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{name} did not listen:\n{log.read_text()}"
            time.sleep(0.2)


def test_the_venv_holds_only_the_functions_requirements(functions_venv):
    listed = subprocess.run(
        [str(functions_venv.python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {package["name"].lower() for package in json.loads(listed)}
    assert "functions-framework" in installed
    assert {"pytest", "apkdrop-cli", "hypothesis", "schemathesis"} & installed == set()


@pytest.mark.parametrize("name", sorted(load_routes().functions))
def test_each_entry_point_answers_its_first_request(deployed, stack, name):
    spec = load_routes().functions[name]
    request = first_request(spec.entryPoint, stack.state["functionEnvs"][name]["UPLOAD_BUCKET"])
    answer = httpx.request(
        request.method,
        deployed[name] + request.path,
        headers=request.headers,
        json=request.json,
    )
    assert answer.status_code == request.status, answer.text
    if spec.entryPoint == "install_pages":
        assert "text/html" in answer.headers["content-type"]
    elif spec.signature == "http":
        body = answer.json()
        assert body, answer.text  # a JSON answer of ours: the feature code ran
        assert body.items() >= request.expect.items()
