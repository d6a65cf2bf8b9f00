"""Each function's environment: its own settings (its class in functions/apkdrop/settings.py)
and no other function's, as Terraform deploys it, so a group missing from a function's class
shows locally too."""

from collections.abc import Mapping

from apkdrop.settings import FUNCTION_SETTINGS

# Every variable some function reads; pydantic-settings matches names case-insensitively.
SETTING_NAMES = frozenset(
    field.upper() for settings in FUNCTION_SETTINGS.values() for field in settings.model_fields
)


def setting_names(function: str) -> frozenset[str]:
    return frozenset(field.upper() for field in FUNCTION_SETTINGS[function].model_fields)


def own_settings(function: str, values: Mapping[str, str]) -> dict[str, str]:
    """The entries of `values` (every setting's value) that `function` reads."""
    names = setting_names(function)
    return {name: value for name, value in values.items() if name in names}


def without_settings(env: Mapping[str, str]) -> dict[str, str]:
    """`env` (a process's environment) without any function's setting."""
    return {name: value for name, value in env.items() if name.upper() not in SETTING_NAMES}
