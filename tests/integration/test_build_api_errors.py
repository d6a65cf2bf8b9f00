"""Every 400/401/404 of the build-upload API through the gateway, and that nothing is written."""

import httpx
import pytest
from google.cloud import firestore

from tests.integration.flows import create_context, register_build

pytestmark = pytest.mark.integration


def written(database: firestore.Client) -> tuple[int, int]:
    """How many builds exist, and how far the build id counter has gone."""
    builds = database.collection("builds").count().get()[0][0].value
    counter = database.collection("counters").document("builds").get()
    return builds, (counter.get("value") if counter.exists else 0)


@pytest.mark.parametrize(
    "headers, detail",
    [
        ({}, "Missing API Key"),
        ({"X-Api-Key": ""}, "Missing API Key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Missing API Key"),
        ({"X-Api-Key": "apkd_not-a-key"}, "Invalid API Key"),
        ({"Authorization": "Bearer apkd_not-a-key"}, "Invalid API Key"),
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/api/v1/projects/p/build-uploads"),
        ("GET", "/api/v1/projects/p/build-uploads/1"),
        ("POST", "/api/v1/projects/p/builds"),
        ("GET", "/api/v1/projects/p/builds/1"),
    ],
)
def test_every_endpoint_needs_a_known_key(stack, method, path, headers, detail):
    response = httpx.request(method, stack.url + path, headers=headers, json={})

    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_bearer_key_is_accepted(stack, api_keys):
    key = api_keys("bearer@example.com")
    response = httpx.post(
        stack.url + "/api/v1/projects/p/build-uploads", headers={"Authorization": f"Bearer {key}"}
    )

    assert response.status_code == 200
    assert set(response.json()) == {"id", "dateCreated"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"buildType": "APK", "buildFileName": "a.apk"}, "contextId"),
        ({"contextId": "abc", "buildType": "APK", "buildFileName": "a.apk"}, "contextId"),
        ({"contextId": True, "buildType": "APK", "buildFileName": "a.apk"}, "contextId"),
        ({"contextId": 1.5, "buildType": "APK", "buildFileName": "a.apk"}, "contextId"),
        ({"contextId": 0, "buildType": "APK", "buildFileName": "a.apk"}, "contextId"),
        ({"contextId": "{ctx}", "buildType": "AAB", "buildFileName": "a.apk"}, "buildType"),
        ({"contextId": "{ctx}", "buildFileName": "a.apk"}, "buildType"),
        ({"contextId": "{ctx}", "buildType": "APK"}, "buildFileName"),
        ({"contextId": "{ctx}", "buildType": "APK", "buildFileName": "../a.apk"}, "buildFileName"),
        ({"contextId": "{ctx}", "buildType": "APK", "buildFileName": ""}, "buildFileName"),
        (
            {"contextId": "{ctx}", "buildType": "APK", "buildFileName": "a.apk", "name": "x" * 201},
            "name",
        ),
        (
            {
                "contextId": "{ctx}",
                "buildType": "APK",
                "buildFileName": "a.apk",
                "sourceControlIsoTimestamp": "yesterday",
            },
            "sourceControlIsoTimestamp",
        ),
        (
            {"contextId": "{ctx}", "buildType": "APK", "buildFileName": "a.apk", "colour": "red"},
            "colour",
        ),
    ],
)
def test_bad_registration_is_rejected_naming_the_field(client, database, body, field):
    context = create_context(client, "errors")
    body = {k: context["id"] if v == "{ctx}" else v for k, v in body.items()}
    before = written(database)

    response = client.post("/api/v1/projects/errors/builds", json=body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(field), response.json()
    assert written(database) == before


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'"text"'])
def test_body_must_be_a_json_object(client, content):
    response = client.post(
        "/api/v1/projects/errors/builds",
        content=content,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Request body must be a JSON object"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/-bad/build-uploads",
        "/api/v1/projects/" + "p" * 101 + "/build-uploads",
        "/api/v1/projects/a%20b/build-uploads",
    ],
)
def test_bad_project_name(client, path):
    response = client.post(path)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("projectName")


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/projects/p/builds/abc", "buildId"),
        ("/api/v1/projects/p/builds/0", "buildId"),
        ("/api/v1/projects/p/build-uploads/-3", "contextId"),
    ],
)
def test_bad_ids_in_paths(client, path, field):
    response = client.get(path)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(field)


def test_unknown_context_and_build_are_404_and_write_nothing(client, database):
    before = written(database)
    response = client.post(
        "/api/v1/projects/p/builds",
        json={"contextId": 999999, "buildType": "APK", "buildFileName": "a.apk"},
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Build upload context 999999 not found"}
    assert written(database) == before
    assert client.get("/api/v1/projects/p/builds/999999").status_code == 404
    assert client.get("/api/v1/projects/p/build-uploads/999999").json() == {
        "detail": "Build upload context 999999 not found"
    }


def test_unknown_routes_and_methods(client):
    for path in ("/nowhere", "/api/v1/projects/p/other"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert missing.json()["detail"]
    wrong_method = client.put("/api/v1/projects/p/builds/1")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"]


def test_accounts_cannot_see_each_other(stack, api_keys):
    alice = httpx.Client(base_url=stack.url, headers={"X-Api-Key": api_keys("alice@example.com")})
    bob = httpx.Client(base_url=stack.url, headers={"X-Api-Key": api_keys("bob@example.com")})
    context = create_context(alice, "shared-name")
    build = register_build(alice, "shared-name", context["id"])["build"]

    for path in (
        f"/api/v1/projects/shared-name/build-uploads/{context['id']}",
        f"/api/v1/projects/shared-name/builds/{build['id']}",
    ):
        assert bob.get(path).status_code == 404
        assert alice.get(path).status_code == 200
    stolen = bob.post(
        "/api/v1/projects/shared-name/builds",
        json={"contextId": context["id"], "buildType": "APK", "buildFileName": "a"},
    )
    assert stolen.status_code == 404
    # Bob's project of the same name is his own namespace.
    bobs = create_context(bob, "shared-name")
    assert alice.get(f"/api/v1/projects/shared-name/build-uploads/{bobs['id']}").status_code == 404
    # Alice's own context is not visible under another of her projects either.
    assert alice.get(f"/api/v1/projects/other/build-uploads/{context['id']}").status_code == 404
