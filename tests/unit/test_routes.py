"""functions/routes.json, which Terraform and the local gateway both read."""

import ast

import pytest

from infra.routes import ROUTES_FILE, Route, load_routes
from tests.paths import MAIN

DECORATOR_SIGNATURE = {"http": "http", "cloud_event": "cloudevent"}


def entry_points() -> dict[str, str]:
    """Top-level functions of main.py decorated by functions_framework, and their signature."""
    found = {}
    for node in ast.parse(MAIN.read_text()).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Attribute)
                and isinstance(decorator.value, ast.Name)
                and decorator.value.id == "functions_framework"
            ):
                found[node.name] = DECORATOR_SIGNATURE[decorator.attr]
    return found


def test_routes_file_is_the_one_in_functions() -> None:
    assert MAIN.parent / "routes.json" == ROUTES_FILE


def test_every_function_has_a_matching_entry_point() -> None:
    defined = entry_points()
    table = load_routes()
    assert table.functions
    for name, spec in table.functions.items():
        assert spec.signature in {"http", "cloudevent"}, name
        assert spec.entryPoint in defined, name
        assert defined[spec.entryPoint] == spec.signature, name


def test_every_entry_point_is_deployed() -> None:
    deployed = {spec.entryPoint for spec in load_routes().functions.values()}
    assert set(entry_points()) == deployed


def test_cloudevent_functions_name_their_event_type() -> None:
    for spec in load_routes().functions.values():
        assert (spec.eventType is not None) == (spec.signature == "cloudevent")


def test_routes_point_at_http_functions() -> None:
    table = load_routes()
    for route in table.routes:
        assert table.functions[route.function].signature == "http"


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("/api/v1/projects", True),
        ("/api/v1/projects/x", True),
        ("/api/v1/projects/x/builds", True),
        ("/api/v1/projectsX", False),
        ("/api/v1/projects-x/builds", False),
        ("/api/v1", False),
        ("/", False),
    ],
)
def test_wildcard_route(path: str, matches: bool) -> None:
    assert Route(path="/api/v1/projects/*", function="f").matches(path) is matches


def test_exact_route() -> None:
    route = Route(path="/health", function="f")
    assert route.matches("/health")
    assert not route.matches("/health/x")
    assert not route.matches("/healthz")


def test_function_for() -> None:
    table = load_routes()
    assert table.function_for("/api/v1/projects/demo/builds/1") == "build-api"
    assert table.function_for("/api/v2/projects/demo") is None
    assert table.function_for("/") is None
