"""The routes table in functions/routes.json, which Terraform reads too."""

import json
from pathlib import Path

from pydantic import BaseModel

ROUTES_FILE = Path(__file__).resolve().parents[1] / "functions" / "routes.json"


class FunctionSpec(BaseModel):
    entryPoint: str
    signature: str
    invokers: str
    description: str
    eventType: str | None = None


class Route(BaseModel):
    path: str
    function: str

    def matches(self, path: str) -> bool:
        """URL-map semantics: `/a/*` matches `/a` and everything below it; else exact."""
        if self.path.endswith("/*"):
            prefix = self.path[:-2]
            return path == prefix or path.startswith(prefix + "/")
        return path == self.path


class RoutesTable(BaseModel):
    functions: dict[str, FunctionSpec]
    routes: list[Route]

    def function_for(self, path: str) -> str | None:
        return next((route.function for route in self.routes if route.matches(path)), None)


def load_routes() -> RoutesTable:
    return RoutesTable.model_validate(json.loads(ROUTES_FILE.read_text()))
