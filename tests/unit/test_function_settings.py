"""Each function reads only its own settings (its class in FUNCTION_SETTINGS), validated when an
instance starts: a function that signs no URLs needs no signing settings."""

import importlib
import os
import re
import sys
from pathlib import Path

import pytest
from functions_framework import create_app
from pydantic import ValidationError

from apkdrop import wiring
from apkdrop.settings import FUNCTION_SETTINGS, SigningSettings
from infra.routes import load_routes
from tests.paths import MAIN, README

FUNCTIONS = load_routes().functions


def keep_only_the_variables_of(function: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Removes from the (unit-test) environment every setting `function` does not read."""
    own = {name.upper() for name in FUNCTION_SETTINGS[function].model_fields}
    for name in list(os.environ):
        others = {field.upper() for cls in FUNCTION_SETTINGS.values() for field in cls.model_fields}
        if name.upper() in others - own:
            monkeypatch.delenv(name)


def start(function: str) -> object:
    """Loads main.py as Cloud Functions does for `function` (FUNCTION_TARGET set); its module."""
    spec = FUNCTIONS[function]
    create_app(spec.entryPoint, str(MAIN), spec.signature)
    return sys.modules["main"]


@pytest.fixture(autouse=True)
def fresh_main(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "main", None)  # create_app's module goes when we do


def import_main(monkeypatch: pytest.MonkeyPatch) -> object:
    """`import main`, afresh, with no FUNCTION_TARGET (the tests' environment has none)."""
    monkeypatch.delitem(sys.modules, "main")
    return importlib.import_module("main")


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_starts_with_only_its_own_variables(
    monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    keep_only_the_variables_of(function, monkeypatch)
    main = start(function)
    served = main.ENTRY_POINTS[FUNCTIONS[function].entryPoint]
    assert type(served.settings) is FUNCTION_SETTINGS[function]


def test_a_function_that_signs_nothing_starts_without_signing_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGNING_CREDENTIALS_FILE")
    assert not [name for name in os.environ if name.upper().startswith("SIGNING")]
    main = start("build-finalized")
    assert not isinstance(main.BUILD_FINALIZED.settings, SigningSettings)


def test_a_function_that_signs_refuses_to_start_without_signing_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGNING_CREDENTIALS_FILE")
    with pytest.raises(ValidationError, match="SIGNING_CREDENTIALS_FILE"):
        start("build-api")


def test_a_function_refuses_to_start_without_a_required_variable_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UPLOAD_EXPIRY_URL")
    start("build-finalized")  # reads no expiry setting
    monkeypatch.setitem(sys.modules, "main", None)
    with pytest.raises(ValidationError, match="upload_expiry_url"):
        start("build-upload-expiry")


def test_main_serves_each_function_of_the_routes_table_with_its_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """main.py's entry points name their functions and settings classes as routes.json and
    FUNCTION_SETTINGS do."""
    main = import_main(monkeypatch)

    assert {
        entry_point: (served.name, served.settings_class)
        for entry_point, served in main.ENTRY_POINTS.items()
    } == {spec.entryPoint: (name, FUNCTION_SETTINGS[name]) for name, spec in FUNCTIONS.items()}


def test_importing_main_without_a_target_reads_no_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("GOOGLE_CLOUD_PROJECT", "UPLOAD_BUCKET", "SIGNING_CREDENTIALS_FILE"):
        monkeypatch.delenv(name)
    main = import_main(monkeypatch)

    assert all("settings" not in vars(served) for served in main.ENTRY_POINTS.values())


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_functions_settings_hold_what_its_adapters_read(
    monkeypatch: pytest.MonkeyPatch, function: str, signing_key_file: Path
) -> None:
    """The real adapters of each function, built from its own settings alone (on emulator
    addresses, so no client looks for credentials): none lacks a group it reads."""
    for name in ("FIRESTORE", "STORAGE", "CLOUD_TASKS"):
        monkeypatch.setenv(f"{name}_EMULATOR_HOST", "127.0.0.1:9")
    keep_only_the_variables_of(function, monkeypatch)
    settings = FUNCTION_SETTINGS[function]()  # pyright: ignore[reportCallIssue]
    deps = wiring.dependencies_for(function, settings)
    for adapter in wiring.FUNCTION_ADAPTERS[function]:
        assert not isinstance(getattr(deps, adapter), wiring.NotWired), adapter


def readme_readers() -> dict[str, set[str]]:
    """The Configuration table of the README: each variable's "read by" column, as functions."""
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    every = set(FUNCTION_SETTINGS)
    signing = {name for name, cls in FUNCTION_SETTINGS.items() if issubclass(cls, SigningSettings)}
    named = {"all": every, "HTTP": every - {"build-finalized"}, "signing": signing}
    readers = {}
    for variables, column in re.findall(
        r"^\| ((?:`[A-Z0-9_]+`(?:, )?)+) \| ([^|]+) \|", section, re.M
    ):
        column = column.strip()
        functions = named.get(column) or {name.strip() for name in column.split(",")}
        for variable in re.findall(r"`([A-Z0-9_]+)`", variables):
            readers[variable] = functions
    return readers


def test_the_readmes_configuration_names_who_reads_each_setting() -> None:
    documented = readme_readers()
    actual: dict[str, set[str]] = {}
    for function, settings in FUNCTION_SETTINGS.items():
        for field in settings.model_fields:
            actual.setdefault(field.upper(), set()).add(function)
    assert set(actual) <= set(documented), "settings the README does not list"
    wrong = {name: sorted(actual[name]) for name in actual if documented[name] != actual[name]}
    assert wrong == {}
