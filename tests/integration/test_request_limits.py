"""Oversized bodies are refused (413) by the running functions at almost no memory cost, and
every answer is JSON (or the install pages' HTML) with the safe headers, through the gateway."""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
HUGE = 32 * MIB
# A 32 MiB body parsed whole took a function from 308 MB to 1.7 GB; refused, it costs nothing.
MAX_GROWTH = 24 * MIB


def group_rss(group: int) -> int:
    """The resident memory of every process in a function's process group (gunicorn's master
    and its worker)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == group:  # pgrp
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # rss, in pages
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return total


def refused_cheaply(stack, function: str, send) -> httpx.Response:
    group = stack.state["processGroups"][function]
    before = group_rss(group)
    response = send()
    assert response.status_code == 413, response.text
    assert group_rss(group) - before < MAX_GROWTH
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    return response


def test_a_32_mib_sign_in_form_is_refused(stack) -> None:
    body = b"email=" + b"a" * HUGE
    response = refused_cheaply(
        stack,
        "install-pages",
        lambda: httpx.post(
            f"{stack.url}/auth/sign-in",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=60,
        ),
    )
    assert response.headers["Content-Type"].startswith("text/html")
    assert "at most 16384 bytes" in response.text


def test_32_mib_of_json_to_the_build_api_is_refused(stack, client: httpx.Client) -> None:
    body = b"[" + b"{}," * (HUGE // 3) + b"{}]"
    response = refused_cheaply(
        stack,
        "build-api",
        lambda: client.post(
            "/api/v1/projects/p/builds",
            content=body,
            headers={"Content-Type": "application/json"},
        ),
    )
    assert response.json() == {"detail": "A request body may have at most 65536 bytes"}


def test_a_32_mib_urlencoded_upload_is_refused(stack, client: httpx.Client) -> None:
    response = refused_cheaply(
        stack,
        "application-api",
        lambda: client.post(
            "/v1/application",
            content=b"apkUrl=" + b"a" * HUGE,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    )
    assert response.json() == {"detail": "A form body may have at most 16384 bytes"}


def endless_json(total: int) -> Iterator[bytes]:
    yield b"["
    for _ in range(total // (64 * 1024)):
        yield b"{}," * (64 * 1024 // 3)


def test_a_chunked_body_is_refused_by_the_function_itself(stack, api_keys) -> None:
    """Straight to the function (the gateway buffers bodies): no Content-Length to go by."""
    key = api_keys("chunked@example.com")
    response = refused_cheaply(
        stack,
        "build-api",
        lambda: httpx.post(
            f"{stack.function_url('build-api')}/api/v1/projects/p/builds",
            content=endless_json(HUGE),  # an iterator: sent chunked
            headers={"Content-Type": "application/json", "X-Api-Key": key},
            timeout=60,
        ),
    )
    assert response.json() == {"detail": "A request body may have at most 65536 bytes"}


def test_the_event_function_answers_json_to_what_is_not_an_event(stack) -> None:
    url = stack.function_url("build-finalized")
    wrong_method = httpx.get(url)
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": "Method Not Allowed"}
    malformed = httpx.post(url, content=b'"not an event"', headers={"Content-Type": "text/json"})
    assert malformed.status_code == 200  # acknowledged: Eventarc would deliver a 4xx again
    assert malformed.headers["Content-Type"] == "application/json"
    assert list(malformed.json()) == ["detail"]
    assert "not an event" not in malformed.text


def test_json_answers_carry_the_safe_headers(client: httpx.Client) -> None:
    for response in (client.get("/v1/application"), client.get("/v1/application/nope")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
