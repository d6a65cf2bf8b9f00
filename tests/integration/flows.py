"""The three steps of the build-upload API as a CI client performs them."""

import time

import httpx

SETTLE_TIMEOUT_SECONDS = 60


def create_context(client: httpx.Client, project: str) -> dict:
    response = client.post(f"/api/v1/projects/{project}/build-uploads")
    assert response.status_code == 200, response.text
    return response.json()


def register_build(client: httpx.Client, project: str, context_id: int | str, **fields) -> dict:
    body = {"contextId": context_id, "buildType": "APK", "buildFileName": "app.apk", **fields}
    response = client.post(f"/api/v1/projects/{project}/builds", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def put_file(upload_spec: dict, content: bytes) -> httpx.Response:
    """Straight to the bucket, with exactly the headers the API returned."""
    response = httpx.request(
        upload_spec["method"],
        upload_spec["url"],
        headers=upload_spec["headers"],
        content=content,
        timeout=120,
    )
    assert response.status_code == 200, response.text
    return response


def wait_until_settled(client: httpx.Client, project: str, build_id: int) -> dict:
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while True:
        build = client.get(f"/api/v1/projects/{project}/builds/{build_id}").json()
        if build["uploadState"] != "UPLOADING" or time.monotonic() > deadline:
            return build
        time.sleep(0.25)


def upload_build(client: httpx.Client, project: str, content: bytes, **fields) -> dict:
    """All three steps; returns the settled build."""
    context = create_context(client, project)
    registered = register_build(client, project, context["id"], **fields)
    put_file(registered["uploadSpec"], content)
    return wait_until_settled(client, project, registered["build"]["id"])
