"""The bundle-conversions queue's last attempt (CONVERSION_MAX_ATTEMPTS) through the real entry
point: no version stays PENDING once Cloud Tasks drops its task, whatever ended each attempt.

Cloud Tasks numbers the attempt in X-CloudTasks-TaskRetryCount (0 the first); the default
queue makes 10 attempts, so a retry count of 9 is the last.
"""

import pytest
from flask.testing import FlaskClient
from pydantic import ValidationError

from apkdrop.conversions import bundletool, service
from apkdrop.conversions.models import ConversionState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.settings import BundleConverterSettings
from apkdrop.task_attempts import KILLED, MAX_WHY_CHARS, RETRY_COUNT_HEADER, UNEXPECTED
from tests.fakes import fake_bucket, fake_dependencies
from tests.unit.test_application_service import ALICE, upload
from tests.unit.test_bundle_converter import (
    built,
    bundle,
    conversion,
    keystore_secret,
    queue,
)

LAST = "9"
STORAGE_DOWN = "Cloud Storage is unavailable, retry later"


class Killed(BaseException):
    """What an instance killed mid-attempt (out of memory, its timeout) amounts to: nothing of
    the attempt's own runs after it, no handler, no answer."""


@pytest.fixture
def deps() -> Dependencies:
    return fake_dependencies(distribution_keystore=keystore_secret())


@pytest.fixture
def worker(load_task) -> FlaskClient:
    return load_task("convert_bundle")


def attempt(worker: FlaskClient, deps: Dependencies, retries: str):
    (task,) = queue(deps).calls
    return worker.post("/", json=task.payload, headers={RETRY_COUNT_HEADER: retries})


def storage_down(monkeypatch: pytest.MonkeyPatch, deps: Dependencies, error: Exception) -> None:
    def down(*_: object) -> None:
        raise error

    monkeypatch.setattr(fake_bucket(deps), "open_object", down)


def unfinished_attempt(deps: Dependencies, app_id: str) -> int | None:
    (version,) = deps.applications.versions(app_id)
    assert version.conversion is not None
    return version.conversion.unfinishedAttempt


@pytest.mark.parametrize("retries", ["0", "8", "", "x", "9" * 5000])
def test_a_failure_before_the_last_attempt_asks_for_a_retry(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch, retries: str
) -> None:
    answer = upload(deps, ALICE, bundle())
    storage_down(monkeypatch, deps, BackendUnavailable(STORAGE_DOWN))

    assert attempt(worker, deps, retries).status_code == 503

    assert conversion(deps, answer)["state"] == "PENDING"
    assert unfinished_attempt(deps, answer.data.id) is None  # taken back: it was not killed


@pytest.mark.parametrize("retries", [LAST, "12"])
def test_the_queues_last_attempt_records_a_failure_for_good(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch, retries: str
) -> None:
    assert deps.settings.conversion_max_attempts == 10
    answer = upload(deps, ALICE, bundle())
    storage_down(monkeypatch, deps, BackendUnavailable(STORAGE_DOWN))

    response = attempt(worker, deps, retries)

    assert (response.status_code, response.json["outcome"]) == (200, "gave up")
    attempts = int(retries) + 1
    assert conversion(deps, answer) == {
        "state": "FAILED",
        "reason": f"gave up after {attempts} attempts: {STORAGE_DOWN}",
        "universalApk": None,
    }


def test_an_unexpected_error_on_the_last_attempt_is_recorded_without_its_words(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    storage_down(monkeypatch, deps, RuntimeError("/tmp/secret-path exploded"))

    response = attempt(worker, deps, LAST)

    assert (response.status_code, response.json["outcome"]) == (200, "gave up")
    assert conversion(deps, answer)["reason"] == f"gave up after 10 attempts: {UNEXPECTED}"


def test_the_reason_of_the_last_attempt_is_bounded(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    storage_down(monkeypatch, deps, BackendUnavailable("x" * 100_000))

    assert attempt(worker, deps, LAST).status_code == 200

    prefix = "gave up after 10 attempts: "
    assert conversion(deps, answer)["reason"] == prefix + "x" * MAX_WHY_CHARS


def test_the_last_attempt_gives_up_at_once_after_a_killed_attempt(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())

    def killed(*_: object, **__: object) -> None:
        raise Killed

    monkeypatch.setattr(bundletool.subprocess, "run", killed)
    with pytest.raises(Killed):
        attempt(worker, deps, "8")  # the ninth attempt: it converts, and never answers
    assert unfinished_attempt(deps, answer.data.id) == 9

    monkeypatch.setattr(bundletool.subprocess, "run", pytest.fail)  # not tried again
    response = attempt(worker, deps, LAST)

    assert (response.status_code, response.json["outcome"]) == (200, "gave up")
    assert conversion(deps, answer) == {
        "state": "FAILED",
        "reason": "gave up after 10 attempts: " + KILLED.format(9),
        "universalApk": None,
    }
    assert built(deps) == []


def test_a_last_attempt_records_what_an_attempt_killed_after_storing_its_apk_left(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    record = service.record

    def killed_once_stored(deps_: Dependencies, task, outcome):
        if outcome.state == ConversionState.DONE:
            raise Killed  # the universal APK is stored, its outcome never recorded
        return record(deps_, task, outcome)

    monkeypatch.setattr(service, "record", killed_once_stored)
    with pytest.raises(Killed):
        attempt(worker, deps, "8")
    monkeypatch.setattr(service, "record", record)
    monkeypatch.setattr(bundletool.subprocess, "run", pytest.fail)  # not built again

    assert attempt(worker, deps, LAST).json["outcome"] == "done"
    assert conversion(deps, answer)["state"] == "DONE"


def test_a_last_attempt_after_failures_it_was_told_of_still_converts(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    open_object = fake_bucket(deps).open_object
    storage_down(monkeypatch, deps, BackendUnavailable(STORAGE_DOWN))
    assert attempt(worker, deps, "8").status_code == 503
    monkeypatch.setattr(fake_bucket(deps), "open_object", open_object)

    assert attempt(worker, deps, LAST).json["outcome"] == "done"

    assert conversion(deps, answer)["state"] == "DONE"


@pytest.mark.parametrize("first", ["gave up", "done"])
def test_a_redelivered_last_attempt_after_the_outcome_does_nothing(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    answer = upload(deps, ALICE, bundle())
    if first == "gave up":
        storage_down(monkeypatch, deps, BackendUnavailable(STORAGE_DOWN))
    assert attempt(worker, deps, LAST).json["outcome"] == first
    recorded = conversion(deps, answer)
    monkeypatch.setattr(fake_bucket(deps), "open_object", pytest.fail)  # no work

    response = attempt(worker, deps, LAST)

    assert (response.status_code, response.json["outcome"]) == (200, "known")
    assert conversion(deps, answer) == recorded


@pytest.mark.parametrize("attempts", ["1", "101"])
def test_the_queue_makes_2_to_100_attempts(monkeypatch: pytest.MonkeyPatch, attempts: str) -> None:
    monkeypatch.setenv("CONVERSION_MAX_ATTEMPTS", attempts)
    with pytest.raises(ValidationError, match="conversion_max_attempts"):
        BundleConverterSettings()  # type: ignore[call-arg]
