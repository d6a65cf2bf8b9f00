"""Terraform's configuration as data, read with python-hcl2 (no provider, no cloud)."""

import json
from functools import cache
from pathlib import Path

import hcl2

from tests.paths import ROOT

TERRAFORM = ROOT / "terraform"
FUNCTIONS = ROOT / "functions"
ROUTES = json.loads((FUNCTIONS / "routes.json").read_text())
OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


@cache
def parsed(path: Path) -> dict:
    with path.open() as source:
        return hcl2.load(source, serialization_options=OPTIONS)


def tf_files() -> list[Path]:
    return sorted(TERRAFORM.glob("*.tf"))


def blocks(kind: str) -> list[tuple[Path, dict]]:
    """Every top-level block of a kind, with the file it is in."""
    return [(path, block) for path in tf_files() for block in parsed(path).get(kind, [])]


def resource(kind: str, name: str) -> dict:
    found = [block[kind][name] for _, block in blocks("resource") if name in block.get(kind, {})]
    assert len(found) == 1, f"expected one resource {kind}.{name}, found {len(found)}"
    return found[0]


def local(name: str):
    found = [block[name] for _, block in blocks("locals") if name in block]
    assert len(found) == 1, f"expected one local {name!r}, found {len(found)}"
    return found[0]


def nested(block: dict, name: str) -> dict:
    """The one nested block `name` of a block (a list of one with explicit_blocks=False)."""
    value = block[name]
    return value[0] if isinstance(value, list) else value


def dynamic(block: dict, name: str) -> dict:
    found = [entry[name] for entry in block.get("dynamic", []) if name in entry]
    assert len(found) == 1, f"expected one dynamic {name!r} block, found {len(found)}"
    return found[0]


def deployed_functions() -> dict[str, dict]:
    """routes.json's functions joined with their needs, as local.functions does."""
    needs = local("function_needs")
    return {name: {**spec, **needs[name]} for name, spec in ROUTES["functions"].items()}
