"""A virtualenv with functions/requirements.txt alone, as Cloud Functions' Python buildpack builds
it: no dev requirements, no CLI, on the Python version Terraform's `runtime` names.

`python -m infra.functions_venv` makes (or reuses) it and prints its interpreter;
tests/integration/test_packaging.py starts every entry point from it.
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra import ROOT

VENV = ROOT / ".venv-functions"
REQUIREMENTS = ROOT / "functions" / "requirements.txt"
VARIABLES = ROOT / "terraform" / "variables.tf"
RUNTIME_DEFAULT = re.compile(r'variable "runtime" \{.*?default\s*=\s*"python(\d)(\d+)"', re.DOTALL)


@dataclass(frozen=True)
class FunctionsVenv:
    python: Path
    bin: Path
    # Empty when the venv runs the runtime's version; else why it does not.
    version_note: str


def runtime_version() -> str:
    """`3.12` for Terraform's default runtime `python312`."""
    match = RUNTIME_DEFAULT.search(VARIABLES.read_text())
    if match is None:
        raise RuntimeError(f"no default python runtime in {VARIABLES}")
    return f"{match.group(1)}.{match.group(2)}"


def find_interpreter(version: str) -> Path | None:
    """An interpreter of `version` on PATH, in pyenv or in the usual prefixes (one that runs)."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [
        shutil.which(f"python{version}"),
        *sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True),
        f"/usr/bin/python{version}",
        f"/usr/local/bin/python{version}",
    ]
    for candidate in filter(None, candidates):
        try:
            answer = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return Path(candidate)
    return None


def ensure_functions_venv() -> FunctionsVenv:
    """Builds the venv when the requirements or the interpreter changed; reuses it otherwise."""
    wanted = runtime_version()
    interpreter = find_interpreter(wanted)
    note = ""
    if interpreter is None:
        interpreter = Path(sys.executable)
        note = (
            f"Python {wanted} (Terraform's runtime) is not on this machine: the functions venv "
            f"uses Python {sys.version_info.major}.{sys.version_info.minor} instead"
        )
    stamp = VENV / ".installed"
    fingerprint = hashlib.sha256(REQUIREMENTS.read_bytes() + str(interpreter).encode()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == fingerprint):
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([str(interpreter), "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [
                str(VENV / "bin" / "python"),
                *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("-r", str(REQUIREMENTS)),
            ],
            check=True,
        )
        stamp.write_text(fingerprint)
    return FunctionsVenv(VENV / "bin" / "python", VENV / "bin", note)


if __name__ == "__main__":
    built = ensure_functions_venv()
    if built.version_note:
        print(built.version_note, file=sys.stderr)
    print(built.python)
