"""Structured logs: exactly one JSON object per line on stdout, as Cloud Logging parses them."""

import json
import logging

import pytest

from apkdrop import logs

log = logging.getLogger("apkdrop.test")


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    captured = capsys.readouterr()
    assert captured.err == ""
    return [json.loads(line) for line in captured.out.splitlines()]


def test_one_json_line_with_request_id_and_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    logs.bind_request_id("req-123")
    log.info("build %s is %s", 7, "FINISHED", extra=logs.log_fields(buildId=7, state="FINISHED"))
    (entry,) = lines(capsys)
    assert entry == {
        "severity": "INFO",
        "message": "build 7 is FINISHED",
        "requestId": "req-123",
        "logger": "apkdrop.test",
        "buildId": 7,
        "state": "FINISHED",
    }


def test_configuring_twice_does_not_duplicate_lines(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    logs.configure("INFO")
    log.warning("once")
    assert [entry["message"] for entry in lines(capsys)] == ["once"]


@pytest.mark.parametrize(
    ("level", "severity"),
    [(logging.WARNING, "WARNING"), (logging.ERROR, "ERROR"), (logging.CRITICAL, "CRITICAL")],
)
def test_severity(capsys: pytest.CaptureFixture[str], level: int, severity: str) -> None:
    logs.configure("INFO")
    log.log(level, "x")
    assert lines(capsys)[0]["severity"] == severity


def test_level_filters_and_client_libraries_stay_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("info")
    log.debug("hidden")
    logging.getLogger("google.api_core").info("chatty")
    logging.getLogger("google.api_core").warning("worth seeing")
    assert [entry["message"] for entry in lines(capsys)] == ["worth seeing"]


def test_debug_level(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("DEBUG")
    log.debug("shown")
    assert lines(capsys)[0]["severity"] == "DEBUG"


def test_exceptions_stay_on_the_same_line(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    (entry,) = lines(capsys)
    assert entry["severity"] == "ERROR"
    assert "ValueError: boom" in entry["exception"]


def test_unserializable_fields_are_stringified(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    log.info("x", extra=logs.log_fields(thing=object))
    assert lines(capsys)[0]["thing"] == str(object)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("105445aa7843bc8bf206b12000100000/1;o=1", "105445aa7843bc8bf206b12000100000"),
        ("abc", "abc"),
        ("  abc  ", "abc"),
        ("x" * 100, "x" * 64),
    ],
)
def test_bind_request_id(candidate: str, expected: str) -> None:
    assert logs.bind_request_id(candidate) == expected
    assert logs.request_id.get() == expected


@pytest.mark.parametrize("candidate", [None, "", "   ", "/1;o=1"])
def test_bind_request_id_makes_one_up(candidate: str | None) -> None:
    made = logs.bind_request_id(candidate)
    assert len(made) == 32 and int(made, 16) >= 0
    assert logs.bind_request_id(candidate) != made
