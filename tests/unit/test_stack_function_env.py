"""The local stack starts each function with its own settings alone, as Terraform deploys it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from apkdrop.settings import FUNCTION_SETTINGS
from infra.function_env import SETTING_NAMES, without_settings
from infra.stack import Stack, StackConfig
from infra.stack_state import StackState

OWN = {
    name: {field.upper() for field in settings.model_fields}
    for name, settings in FUNCTION_SETTINGS.items()
}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from new_stack(tmp_path)


def new_stack(tmp_path: Path, **settings: str) -> Iterator[Stack]:
    config = StackConfig(state_dir=tmp_path, function_settings=settings)
    built = Stack(config, StackState(tmp_path / "stack.json", "http://127.0.0.1:8080"))
    yield built
    built.sendgrid.stop()


@pytest.mark.parametrize("function", sorted(FUNCTION_SETTINGS))
def test_each_function_gets_only_settings_it_reads(stack: Stack, function: str) -> None:
    env = stack.function_env(function)
    assert env["FUNCTION_TARGET"] == stack.routes.functions[function].entryPoint
    settings = set(env) - {"FUNCTION_TARGET", "PYTHONUNBUFFERED"}
    assert settings <= OWN[function]
    required = {
        field.upper()
        for field, info in FUNCTION_SETTINGS[function].model_fields.items()
        if info.is_required()
    }
    assert required <= settings


def test_a_function_that_signs_nothing_gets_no_signing_setting(stack: Stack) -> None:
    assert not [name for name in stack.function_env("build-finalized") if "SIGN" in name]
    assert "SIGNING_CREDENTIALS_FILE" in stack.function_env("build-api")


def test_a_set_setting_goes_to_the_functions_that_read_it(tmp_path: Path) -> None:
    for stack in new_stack(tmp_path, UPLOAD_RATE_LIMIT_PER_MINUTE="99"):
        assert stack.function_env("application-api")["UPLOAD_RATE_LIMIT_PER_MINUTE"] == "99"
        assert "UPLOAD_RATE_LIMIT_PER_MINUTE" not in stack.function_env("build-api")


def test_a_setting_no_function_reads_is_refused(tmp_path: Path) -> None:
    for stack in new_stack(tmp_path, UPLOAD_RATE_LIMIT_PER_HOUR="5"):
        with pytest.raises(ValueError, match="no function reads UPLOAD_RATE_LIMIT_PER_HOUR"):
            stack.function_env("application-api")


def test_the_inherited_environment_loses_every_setting() -> None:
    inherited = without_settings({"PATH": "/bin", "region": "x", "GOOGLE_CLOUD_PROJECT": "p"})
    assert inherited == {"PATH": "/bin"}
    assert "REGION" in SETTING_NAMES
