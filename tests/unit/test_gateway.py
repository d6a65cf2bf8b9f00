"""The local gateway: routing by the table, no shared cookies, requests passed on as sent."""

import json

import httpx
import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from infra.dev_github import API_PREFIX, dev_github_pages
from infra.fake_github import FakeGitHub
from infra.gateway import Gateway
from infra.routes import load_routes

FUNCTION_URLS = {name: f"http://{name}.local" for name in load_routes().functions}


def reply(status: int, body: object = None, headers: dict | None = None) -> httpx.Response:
    """A streamed answer, as a function's would be."""
    content = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json", **(headers or {})}
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content))


def gateway(handler, checks=None, pages=None) -> Client:
    app = Gateway(
        load_routes(), FUNCTION_URLS, checks or {}, pages or {}, httpx.MockTransport(handler)
    )
    return Client(app, Response)


def test_paths_go_to_the_function_the_table_names() -> None:
    seen: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return reply(200, {"from": request.url.host})

    client = gateway(upstream)
    assert client.get("/api/v1/projects/p/builds/1").json == {"from": "build-api.local"}
    assert client.post("/v1/application").json == {"from": "application-api.local"}
    assert client.get("/app/abc?version=1.0").json == {"from": "install-pages.local"}
    assert client.get("/openapi.json").json == {"from": "application-api.local"}
    assert seen[0].headers["X-Request-Id"]
    assert seen[2].url.query == b"version=1.0"


def test_unknown_paths_are_404_json() -> None:
    response = gateway(lambda request: httpx.Response(500)).get("/nowhere")
    assert (response.status_code, response.json) == (404, {"detail": "Not Found"})


def test_cookies_are_passed_back_never_kept() -> None:
    cookies_seen: list[str | None] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        cookies_seen.append(request.headers.get("cookie"))
        return reply(303, headers={"Set-Cookie": "apkdrop_session=alice; Path=/"})

    alice = gateway(upstream)
    response = alice.get("/auth/verify?token=t")
    assert "apkdrop_session=alice" in response.headers["Set-Cookie"]
    bob = Client(alice.application, Response, use_cookies=False)
    bob.get("/app/abc")
    assert cookies_seen == [None, None]  # bob's request carries no cookie of alice's


def test_the_path_is_passed_on_percent_encoded() -> None:
    paths: list[bytes] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path)
        return reply(404, {"detail": "Not Found"})

    client = gateway(upstream)
    # werkzeug's server hands over the request line as sent in RAW_URI.
    client.get("/app/a%2Fb%00?x=%20", environ_overrides={"RAW_URI": "/app/a%2Fb%00?x=%20"})
    assert paths == [b"/app/a%2Fb%00?x=%20"]


def test_a_function_that_is_down_is_a_502() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    response = gateway(upstream).get("/v1/application")
    assert (response.status_code, response.json) == (502, {"detail": "function unavailable"})


@pytest.mark.parametrize(
    ("checks", "status"), [({"a": True, "b": True}, 200), ({"a": True, "b": False}, 503)]
)
def test_healthz_needs_every_component(checks: dict[str, bool], status: int) -> None:
    probes = {name: (lambda up=up: up) for name, up in checks.items()}
    response = gateway(lambda request: httpx.Response(500), probes).get("/healthz")
    assert response.status_code == status
    assert response.json["components"] == {n: "ok" if up else "down" for n, up in checks.items()}


def test_dev_pages_are_served_by_the_gateway_itself() -> None:
    pages = {"/_dev/mail.json": lambda: Response("[]", mimetype="application/json")}
    response = gateway(lambda request: httpx.Response(500), pages=pages).get("/_dev/mail.json")
    assert response.json == []


def test_a_non_ascii_header_value_is_a_400_json() -> None:
    seen: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return reply(200, {})

    # werkzeug's server decodes header bytes as latin-1, so any byte over 0x7f arrives so.
    response = gateway(upstream).get("/v1/application", headers={"X-Name": "caf\xe9"})
    assert (response.status_code, response.json) == (400, {"detail": "Malformed request"})
    assert seen == []


def test_the_fake_github_is_mounted_under_its_prefix_with_its_pages() -> None:
    github = FakeGitHub()
    app = Gateway(
        load_routes(),
        FUNCTION_URLS,
        {},
        dev_github_pages(github, "http://127.0.0.1:8080"),
        httpx.MockTransport(lambda request: httpx.Response(500)),
        dev_apps={API_PREFIX: github},
    )
    client = Client(app, Response)
    comments = f"{API_PREFIX}/repos/octo/app/issues/7/comments"
    headers = {"Authorization": "Bearer dev-token"}
    assert client.post(comments, json={"body": "hi"}).status_code == 401
    posted = client.post(comments, json={"body": "<b>hi</b>"}, headers=headers)
    assert posted.status_code == 201
    assert posted.json["html_url"] == "http://localhost/_dev/github#comment-1"
    edited = client.patch(
        f"{API_PREFIX}/repos/octo/app/issues/comments/1", json={"body": "bye"}, headers=headers
    )
    assert edited.json["body"] == "bye"
    assert client.get(comments, headers=headers).json == [edited.json]
    dev_user = github.identity("dev-token").login  # a personal access token's user
    assert client.get(f"{API_PREFIX}/user", headers=headers).json["login"] == dev_user
    assert edited.json["user"] == {"login": dev_user, "type": "User"}
    assert client.get("/_dev/github.json").json == [
        {"id": 1, "repo": "octo/app", "issue": 7, "body": "bye", "author": dev_user}
    ]
    page = client.get("/_dev/github").get_data(as_text=True)
    assert "http://127.0.0.1:8080/_dev/github/api" in page and "bye" in page
    assert f"comment 1 by {dev_user}" in page and "dev-token" not in page


def test_the_host_the_client_named_is_passed_on() -> None:
    """As the load balancer does: install-pages' same-origin guard compares a form's Origin with
    the host the browser sent it to, which is the gateway's, not the function's own address."""
    hosts: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        hosts.append(request.headers["Host"])
        return reply(303)

    gateway(upstream).post("/auth/sign-in", headers={"Host": "localhost:8080"})
    assert hosts == ["localhost:8080"]
