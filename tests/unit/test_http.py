"""The HTTP plumbing every endpoint shares: error statuses, validation details, path ids."""

import pytest
from pydantic import BaseModel, ValidationError

from apkdrop import errors, http, logs
from apkdrop.builds.models import BuildRegistration


def subclasses(kind: type) -> set[type]:
    found = set()
    for child in kind.__subclasses__():
        found |= {child} | subclasses(child)
    return found


def test_every_domain_error_has_a_status() -> None:
    defined = {
        kind for kind in subclasses(errors.ApkdropError) if kind.__module__ == errors.__name__
    }
    assert {errors.InvalidRequest, errors.BackendUnavailable} <= defined
    assert defined <= set(http.ERROR_STATUS)
    for kind in defined:
        arguments = {
            errors.RateLimited: {"retry_after": 1},
            errors.MethodNotAllowed: {"allowed": []},
        }
        error = kind("x", **arguments.get(kind, {}))
        assert http.error_response(error).status_code == http.ERROR_STATUS[kind]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidRequest("bad"), 400),
        (errors.Unauthenticated("who"), 401),
        (errors.NotFound("gone"), 404),
        (errors.Conflict("clash"), 409),
        (errors.PayloadTooLarge("big"), 413),
        (errors.RateLimited("slow down", retry_after=7), 429),
        (errors.Misconfigured("no key"), 500),
        (errors.BackendUnavailable("down"), 503),
    ],
)
def test_error_response(error: errors.ApkdropError, status: int) -> None:
    logs.bind_request_id("req-1")
    response = http.error_response(error)
    assert response.status_code == status
    # A server-side failure names the request, so support can find its logs.
    expected = {"detail": error.detail} | ({"requestId": "req-1"} if status >= 500 else {})
    assert response.get_json() == expected
    assert response.mimetype == "application/json"
    assert ("WWW-Authenticate" in response.headers) == (status == 401)
    # Retry-After is added by `serve`, which knows the error (tested through the entry points).


def validation_error(model: type[BaseModel], body: object) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    return raised.value


def test_validation_detail_names_the_field() -> None:
    error = validation_error(
        BuildRegistration, {"contextId": "abc", "buildType": "APK", "buildFileName": "a.apk"}
    )
    assert http.validation_detail(error).startswith("contextId: ")


def test_validation_detail_names_nested_fields() -> None:
    class Inner(BaseModel):
        size: int

    class Outer(BaseModel):
        items: list[Inner]

    error = validation_error(Outer, {"items": [{"size": 1}, {"size": "big"}]})
    assert http.validation_detail(error).startswith("items.1.size: ")


def test_validation_detail_of_a_whole_body_error() -> None:
    class Anything(BaseModel):
        x: int

    detail = http.validation_detail(validation_error(Anything, "not a dict"))
    assert detail.startswith("body: ")


@pytest.mark.parametrize("value", ["0", "00", "-1", "abc", "", " 1", "1.0", "1e3", "9" * 19])
def test_positive_id_rejects(value: str) -> None:
    with pytest.raises(errors.InvalidRequest) as raised:
        http.positive_id(value, "buildId")
    assert raised.value.detail == "buildId must be a positive integer"


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("007", 7), ("9" * 18, 10**18 - 1)])
def test_positive_id_accepts(value: str, expected: int) -> None:
    assert http.positive_id(value, "buildId") == expected


def test_positive_id_rejects_non_ascii_digits() -> None:
    with pytest.raises(errors.InvalidRequest):
        http.positive_id("²", "buildId")


def test_a_misconfiguration_is_loud_and_asks_for_no_retry(caplog: pytest.LogCaptureFixture) -> None:
    """A missing secret is no outage: a 503 with Retry-After would have clients and task queues
    retry what only an operator can fix."""
    response = http.answer_error(errors.Misconfigured("email is not configured"), {})
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert response.get_json()["detail"] == "email is not configured"
    (record,) = [r for r in caplog.records if r.name == http.__name__]
    assert record.levelname == "CRITICAL"

    outage = http.answer_error(errors.BackendUnavailable("down"), {})
    assert outage.headers["Retry-After"] == http.RETRY_AFTER_SECONDS
