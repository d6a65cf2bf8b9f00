"""Every third-party module the functions import is pinned in functions/requirements.txt.

Cloud Functions installs that file alone; a module that the dev venv only has through the CLI
or a test tool (httpx once was) kills every function at import.
"""

import ast
import importlib.metadata
import re
import sys
from functools import cache
from pathlib import Path

from tests.paths import ROOT

FUNCTIONS = ROOT / "functions"
REQUIREMENTS = FUNCTIONS / "requirements.txt"
FIRST_PARTY = {"apkdrop", "main"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==[^=\s]+$")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(paths: list[Path]) -> dict[str, Path]:
    """Absolute module names imported anywhere in `paths`, with one file importing each."""
    found: dict[str, Path] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from google.cloud import storage` imports the module google.cloud.storage.
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                found.setdefault(name, path)
    return found


def third_party(modules: dict[str, Path]) -> dict[str, Path]:
    return {
        name: path
        for name, path in modules.items()
        if name.split(".")[0] not in sys.stdlib_module_names | FIRST_PARTY
    }


@cache
def files_by_distribution() -> dict[str, set[str]]:
    return {
        normalized(dist.metadata["Name"]): {str(file) for file in dist.files or ()}
        for dist in importlib.metadata.distributions()
    }


def distribution_of(module: str) -> str | None:
    """The installed distribution that ships `module` (longest package path wins, so that
    namespace packages like google.cloud.storage name their own distribution)."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        stem = "/".join(parts[:length])
        candidates = {f"{stem}/__init__.py", f"{stem}.py"}
        owners = [name for name, files in files_by_distribution().items() if files & candidates]
        if owners:
            return owners[0]
    return None


def pinned() -> set[str]:
    names = set()
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"functions/requirements.txt: {line!r} is not an exact pin (name==x.y)"
            names.add(normalized(match.group(1)))
    return names


def test_every_third_party_import_under_functions_is_pinned():
    modules = third_party(imported_modules(sorted(FUNCTIONS.rglob("*.py"))))
    assert "pydantic.BaseModel" in modules, "the import scan found none of the functions' imports"
    unknown = {name: str(path) for name, path in modules.items() if distribution_of(name) is None}
    assert unknown == {}, "imported modules that no installed distribution provides"
    missing = {
        name: f"{distribution_of(name)} (imported by {path.relative_to(ROOT)})"
        for name, path in modules.items()
        if distribution_of(name) not in pinned()
    }
    assert missing == {}, "pin these distributions in functions/requirements.txt"


def test_the_scan_sees_what_a_missing_pin_looks_like(tmp_path: Path):
    """The check above can fail: a module pinned nowhere is reported by its distribution."""
    source = tmp_path / "uses_hypothesis.py"
    source.write_text("import json\nfrom hypothesis import given\nimport apkdrop.http\n")
    modules = third_party(imported_modules([source]))
    assert set(modules) == {"hypothesis.given"}
    assert distribution_of("hypothesis.given") == "hypothesis"
    assert "hypothesis" not in pinned()


def test_namespace_packages_name_their_own_distribution():
    assert distribution_of("google.cloud.storage") == "google-cloud-storage"
    assert distribution_of("google.api_core.exceptions") == "google-api-core"
    assert distribution_of("google.protobuf") == "protobuf"
