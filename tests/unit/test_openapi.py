"""The OpenAPI document is generated from the code; the committed copy must not drift."""

import json

from apkdrop.applications import api as application_api
from apkdrop.builds import api as build_api
from apkdrop.openapi import openapi_document
from tests.paths import ROOT

SNAPSHOT = ROOT / "docs" / "openapi.json"


def test_the_committed_document_matches_the_code() -> None:
    assert json.loads(SNAPSHOT.read_text()) == openapi_document(), (
        "docs/openapi.json is stale: run `make openapi` and commit it"
    )


def test_every_api_route_is_documented_and_nothing_else() -> None:
    documented = {
        (method.upper(), path)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }
    routed = {
        (
            method,
            rule.rule.replace("<project>", "{projectName}")
            .replace("<context_id>", "{contextId}")
            .replace("<build_id>", "{buildId}")
            .replace("<app_id>", "{appId}")
            .replace("<hook_id>", "{hookId}")
            .replace("<version>", "{version}"),
        )
        for routes in (build_api.ROUTES, application_api.ROUTES)
        for rule in routes.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.rule != "/openapi.json"
    }
    assert documented == routed


def test_errors_share_one_documented_body() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    for operations in document["paths"].values():
        for operation in operations.values():
            assert {"200", "201", "204", "302"} & set(operation["responses"])
            for status, response in operation["responses"].items():
                if status == "302":  # a download: the file is at the Location, no body
                    assert set(response["headers"]) == {"Location"}
                if status in ("204", "302"):  # a DELETE's answer, or a redirect: no body
                    assert "content" not in response
                    continue
                schema = response["content"]["application/json"]["schema"]["$ref"]
                success = status in ("200", "201")  # 201: a created webhook
                expected = "ErrorBody" if not success else schema.rsplit("/", 1)[1]
                assert schema.endswith(expected)
                assert success or status in {"400", "503"} or int(status) in range(401, 430)
