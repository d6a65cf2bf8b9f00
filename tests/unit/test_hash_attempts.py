"""The hashes queue's last attempt (HASH_MAX_ATTEMPTS) through the real entry point: no large
upload says "computing…" for ever once Cloud Tasks drops its task, and none shows a hash
apkdrop did not compute.

The default queue makes 20 attempts, so a retry count of 19 is the last.
"""

import hashlib

import pytest
from flask.testing import FlaskClient
from pydantic import ValidationError

from apkdrop.applications.models import HashState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.settings import HashWorkerSettings
from apkdrop.task_attempts import KILLED, RETRY_COUNT_HEADER
from tests.fakes import fake_bucket, fake_dependencies
from tests.unit.test_sha256_after_answer import (
    INLINE_LIMIT,
    LARGE,
    OTHER,
    publish_large,
    queue,
    shown,
)

LAST = "19"
STORAGE_DOWN = "Cloud Storage is unavailable, retry later"


class Killed(BaseException):
    """An instance killed mid-attempt (out of memory, its timeout): nothing more of it runs."""


@pytest.fixture
def deps() -> Dependencies:
    return fake_dependencies(max_inline_hash_bytes=INLINE_LIMIT)


@pytest.fixture
def worker(load_task) -> FlaskClient:
    return load_task("hash_apk")


def attempt(worker: FlaskClient, deps: Dependencies, retries: str):
    (task,) = queue(deps).calls
    return worker.post("/", json=task.payload, headers={RETRY_COUNT_HEADER: retries})


def hashing(deps: Dependencies, app_id: str) -> dict | None:
    (version,) = deps.applications.versions(app_id)
    return version.hashing.model_dump() if version.hashing else None


def storage_down(monkeypatch: pytest.MonkeyPatch, deps: Dependencies) -> None:
    def down(*_: object) -> str:
        raise BackendUnavailable(STORAGE_DOWN)

    monkeypatch.setattr(fake_bucket(deps), "sha256_of", down)


@pytest.mark.parametrize("retries", ["0", "18", "", "x"])
def test_a_failure_before_the_last_attempt_asks_for_a_retry(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch, retries: str
) -> None:
    answer = publish_large(deps)
    storage_down(monkeypatch, deps)

    assert attempt(worker, deps, retries).status_code == 503

    assert shown(deps, answer) == (None, HashState.COMPUTING)
    assert hashing(deps, answer.data.id) == {
        "unfinishedAttempt": None,
        "failure": None,
        "requeued": False,
    }


@pytest.mark.parametrize("retries", [LAST, "25"])
def test_the_queues_last_attempt_records_the_hash_failed(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch, retries: str
) -> None:
    assert deps.settings.hash_max_attempts == 20
    answer = publish_large(deps)
    storage_down(monkeypatch, deps)

    response = attempt(worker, deps, retries)

    assert (response.status_code, response.json["outcome"]) == (200, "gave up")
    assert shown(deps, answer) == (None, HashState.FAILED)
    reason = f"gave up after {int(retries) + 1} attempts: {STORAGE_DOWN}"
    assert hashing(deps, answer.data.id) == {
        "unfinishedAttempt": None,
        "failure": reason,
        "requeued": False,
    }


def test_a_replaced_object_is_given_up_on_never_hashed_in_its_place(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = publish_large(deps)
    (task,) = queue(deps).calls
    fake_bucket(deps).put(task.payload["objectName"], OTHER)  # its generation is gone

    assert attempt(worker, deps, LAST).json["outcome"] == "gave up"

    assert shown(deps, answer) == (None, HashState.FAILED)


def test_the_last_attempt_gives_up_at_once_after_a_killed_attempt(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = publish_large(deps)

    def killed(*_: object) -> str:
        raise Killed

    monkeypatch.setattr(fake_bucket(deps), "sha256_of", killed)
    with pytest.raises(Killed):
        attempt(worker, deps, "18")
    assert hashing(deps, answer.data.id) == {
        "unfinishedAttempt": 19,
        "failure": None,
        "requeued": False,
    }

    monkeypatch.setattr(fake_bucket(deps), "sha256_of", pytest.fail)  # not tried again
    response = attempt(worker, deps, LAST)

    assert (response.status_code, response.json["outcome"]) == (200, "gave up")
    assert shown(deps, answer) == (None, HashState.FAILED)
    failure = "gave up after 20 attempts: " + KILLED.format(19)
    assert hashing(deps, answer.data.id) == {
        "unfinishedAttempt": None,
        "failure": failure,
        "requeued": False,
    }


def test_a_last_attempt_after_failures_it_was_told_of_still_hashes(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = publish_large(deps)
    sha256_of = fake_bucket(deps).sha256_of
    storage_down(monkeypatch, deps)
    assert attempt(worker, deps, "18").status_code == 503
    monkeypatch.setattr(fake_bucket(deps), "sha256_of", sha256_of)

    assert attempt(worker, deps, LAST).json["outcome"] == "recorded"

    assert shown(deps, answer) == (hashlib.sha256(LARGE).hexdigest(), HashState.COMPUTED)


@pytest.mark.parametrize("failed", [True, False])
def test_a_redelivered_last_attempt_after_the_outcome_does_nothing(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch, failed: bool
) -> None:
    answer = publish_large(deps)
    if failed:
        storage_down(monkeypatch, deps)
    attempt(worker, deps, LAST)
    before = shown(deps, answer)
    monkeypatch.setattr(fake_bucket(deps), "sha256_of", pytest.fail)  # no work

    response = attempt(worker, deps, LAST)

    assert (response.status_code, response.json["outcome"]) == (200, "known")
    assert shown(deps, answer) == before
    assert before[1] is (HashState.FAILED if failed else HashState.COMPUTED)


def test_the_install_page_says_the_hash_could_not_be_computed(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch, load
) -> None:
    answer = publish_large(deps)
    storage_down(monkeypatch, deps)
    attempt(worker, deps, LAST)
    pages = load("install_pages")

    page = pages.get(f"/app/{answer.data.id}").get_data(as_text=True)

    assert '<dd id="file-sha256">could not be computed</dd>' in page


@pytest.mark.parametrize("attempts", ["1", "101"])
def test_the_queue_makes_2_to_100_attempts(monkeypatch: pytest.MonkeyPatch, attempts: str) -> None:
    monkeypatch.setenv("HASH_MAX_ATTEMPTS", attempts)
    with pytest.raises(ValidationError, match="hash_max_attempts"):
        HashWorkerSettings()  # type: ignore[call-arg]
