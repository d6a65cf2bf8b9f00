"""The retention sweep's part for what versions wait for and never got (stale_work.py): a large
upload's hash or a bundle's conversion is queued once more when no task of its queue can still
do it, then given up on; never waiting for ever, and never a result no worker computed."""

import datetime
import hashlib

import pytest
from flask.testing import FlaskClient

from apkdrop.applications import deletion
from apkdrop.applications.models import HashState, UploadAnswer
from apkdrop.conversions import bundletool
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from apkdrop.retention.left_halfway import LEFT_HALFWAY_AFTER
from apkdrop.retention.stale_work import NEVER_ANSWERED
from apkdrop.retention.sweep import sweep
from apkdrop.task_attempts import RETRY_COUNT_HEADER
from tests.fakes import FakeScheduler, fake_bucket, fake_dependencies
from tests.fixtures.apk_builder import build_apk
from tests.unit.test_application_service import ALICE, upload
from tests.unit.test_bundle_converter import bundle, conversion, keystore_secret
from tests.unit.test_bundle_converter import queue as conversion_queue
from tests.unit.test_hash_attempts import LAST, Killed, storage_down
from tests.unit.test_sha256_after_answer import (
    INLINE_LIMIT,
    LARGE,
    publish_large,
    queue,
    shown,
)

OTHER_APP = build_apk("com.example.other", "1.0", 1, padding_bytes=2 * INLINE_LIMIT)
CONVERSION_LAST = "9"  # the bundle-conversions queue's 10th attempt
NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
STALE_AFTER = datetime.timedelta(hours=6)


@pytest.fixture
def deps() -> Dependencies:
    deps = fake_dependencies(
        max_inline_hash_bytes=INLINE_LIMIT,
        hash_stale_after_seconds=int(STALE_AFTER.total_seconds()),
        distribution_keystore=keystore_secret(),
        conversion_stale_after_seconds=int(STALE_AFTER.total_seconds()),
    )
    deps.clock.now = NOW
    return deps


@pytest.fixture
def worker(load_task) -> FlaskClient:
    return load_task("hash_apk")


def run_task(handler: FlaskClient, scheduler: FakeScheduler, task_id: str, retries: str):
    """Calls `handler` as Cloud Tasks delivers `scheduler`'s task (0 retries: its first)."""
    task = scheduler.tasks[task_id]
    return handler.post("/", json=task.payload, headers={RETRY_COUNT_HEADER: retries})


def deliver(worker: FlaskClient, deps: Dependencies, task_id: str, retries: str = "0"):
    return run_task(worker, queue(deps), task_id, retries)


def first_task(answer: UploadAnswer) -> str:
    return f"sha256-{answer.data.id}-1"


def killed_hash_attempt(
    worker: FlaskClient,
    deps: Dependencies,
    monkeypatch: pytest.MonkeyPatch,
    answer: UploadAnswer,
    task_suffix: str = "",
    retries: str = LAST,
) -> None:
    """The first hash task (or the one `task_suffix` names) killed on an attempt, by default
    its last."""

    def killed(*_: object) -> str:
        raise Killed

    with monkeypatch.context() as dying:
        dying.setattr(fake_bucket(deps), "sha256_of", killed)
        with pytest.raises(Killed):
            deliver(worker, deps, first_task(answer) + task_suffix, retries)


def unavailable(*_: object) -> None:
    raise BackendUnavailable("unavailable, retry later")


def swept_at(deps: Dependencies, moment: datetime.datetime) -> int:
    deps.clock.now = moment
    return sweep(deps).staleWork


def requeued_after_the_workers_read(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch, answer: UploadAnswer, at: datetime.datetime
) -> None:
    """The sweep queues the version's work again at `at`, and Cloud Tasks runs the new task at
    once: its worker's read came before the requeue's commit, its marks come after."""
    store = deps.applications
    before_requeue = store.get_version(answer.data.id, 1)
    assert swept_at(deps, at) == 1
    reads = iter([before_requeue])
    real_get = store.get_version
    monkeypatch.setattr(store, "get_version", lambda *a: next(reads, None) or real_get(*a))


def test_a_hash_whose_last_attempt_was_killed_is_queued_again_and_computed(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = publish_large(deps)
    killed_hash_attempt(worker, deps, monkeypatch, answer)
    assert shown(deps, answer) == (None, HashState.COMPUTING)

    assert swept_at(deps, NOW + STALE_AFTER - datetime.timedelta(seconds=1)) == 0
    assert list(queue(deps).tasks) == [first_task(answer)]  # its task may still be retried

    assert swept_at(deps, NOW + STALE_AFTER + datetime.timedelta(seconds=1)) == 1
    requeued = first_task(answer) + "-requeued"
    assert queue(deps).tasks[requeued].payload == queue(deps).tasks[first_task(answer)].payload
    assert deliver(worker, deps, requeued).json["outcome"] == "recorded"

    assert shown(deps, answer) == (hashlib.sha256(LARGE).hexdigest(), HashState.COMPUTED)
    assert swept_at(deps, NOW + 10 * STALE_AFTER) == 0  # nothing is waited for any more


def test_a_hash_neither_queued_nor_computed_is_queued_by_the_sweep(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object) -> None:
        raise BackendUnavailable("Cloud Tasks is unavailable, retry later")

    with monkeypatch.context() as outage:
        outage.setattr(queue(deps), "schedule", down)
        storage_down(outage, deps)
        answer = publish_large(deps)
    assert shown(deps, answer) == (None, HashState.COMPUTING)

    assert swept_at(deps, NOW + STALE_AFTER + datetime.timedelta(seconds=1)) == 1
    assert deliver(worker, deps, first_task(answer) + "-requeued").json["outcome"] == "recorded"
    assert shown(deps, answer) == (hashlib.sha256(LARGE).hexdigest(), HashState.COMPUTED)


def test_a_hash_still_waited_for_after_its_requeue_is_given_up(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = publish_large(deps)
    killed_hash_attempt(worker, deps, monkeypatch, answer)
    requeued_at = NOW + STALE_AFTER + datetime.timedelta(seconds=1)
    assert swept_at(deps, requeued_at) == 1
    # The requeued task's attempts keep the requeue: a retried failure does not reset it.
    with monkeypatch.context() as outage:
        storage_down(outage, deps)
        assert deliver(worker, deps, first_task(answer) + "-requeued").status_code == 503

    # Its wait restarted at the requeue, not at the upload.
    assert swept_at(deps, requeued_at + STALE_AFTER - datetime.timedelta(seconds=1)) == 0
    assert swept_at(deps, requeued_at + STALE_AFTER + datetime.timedelta(seconds=1)) == 1

    assert shown(deps, answer) == (None, HashState.FAILED)
    (version,) = deps.applications.versions(answer.data.id)
    assert version.hashing is not None and version.hashing.failure == NEVER_ANSWERED
    assert len(queue(deps).tasks) == 2  # queued twice, never a third time
    assert swept_at(deps, requeued_at + 10 * STALE_AFTER) == 0
    assert deliver(worker, deps, first_task(answer) + "-requeued").json["outcome"] == "known"
    assert shown(deps, answer) == (None, HashState.FAILED)


def test_a_requeued_hash_whose_worker_read_before_the_requeue_is_given_up_all_the_same(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = publish_large(deps)
    killed_hash_attempt(worker, deps, monkeypatch, answer)
    requeued_at = NOW + STALE_AFTER + datetime.timedelta(seconds=1)
    requeued_after_the_workers_read(deps, monkeypatch, answer, requeued_at)
    killed_hash_attempt(worker, deps, monkeypatch, answer, "-requeued", "0")

    assert swept_at(deps, requeued_at + STALE_AFTER + datetime.timedelta(seconds=1)) == 1

    assert shown(deps, answer) == (None, HashState.FAILED)
    assert len(queue(deps).tasks) == 2  # queued twice, never a third time


def test_a_hash_computed_before_the_answer_is_never_waited_for() -> None:
    deps = fake_dependencies(hash_stale_after_seconds=60)  # LARGE is hashed inline by default
    deps.clock.now = NOW
    answer = publish_large(deps)
    assert shown(deps, answer)[1] is HashState.COMPUTED
    assert swept_at(deps, NOW + 10 * STALE_AFTER) == 0


def test_a_sweep_settles_at_most_its_budget_the_longest_waiting_first() -> None:
    deps = fake_dependencies(
        max_inline_hash_bytes=INLINE_LIMIT,
        hash_stale_after_seconds=int(STALE_AFTER.total_seconds()),
        retention_max_deletions_per_run=1,
    )
    deps.clock.now = NOW + datetime.timedelta(minutes=1)
    newer = publish_large(deps)
    deps.clock.now = NOW
    older = publish_large(deps, OTHER_APP)
    deps.clock.now = NOW + 2 * STALE_AFTER

    first = sweep(deps)
    assert (first.staleWork, first.finished) == (1, False)
    assert set(queue(deps).tasks) - {first_task(newer), first_task(older)} == {
        first_task(older) + "-requeued"
    }
    assert sweep(deps).staleWork == 1
    assert first_task(newer) + "-requeued" in queue(deps).tasks


@pytest.fixture
def converter(load_task) -> FlaskClient:
    return load_task("convert_bundle")


def convert(converter: FlaskClient, deps: Dependencies, task_id: str, retries: str = "0"):
    return run_task(converter, conversion_queue(deps), task_id, retries)


def killed_conversion_attempt(
    converter: FlaskClient,
    deps: Dependencies,
    monkeypatch: pytest.MonkeyPatch,
    task_id: str,
    retries: str = CONVERSION_LAST,
) -> None:
    """The task killed while bundletool runs, on an attempt (by default its last)."""

    def killed(*_: object, **__: object) -> None:
        raise Killed

    with monkeypatch.context() as dying:
        dying.setattr(bundletool.subprocess, "run", killed)
        with pytest.raises(Killed):
            convert(converter, deps, task_id, retries)


def test_a_conversion_whose_last_attempt_was_killed_is_queued_again_and_done(
    deps: Dependencies, converter: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    first = f"universal-apk-{answer.data.id}-1"
    killed_conversion_attempt(converter, deps, monkeypatch, first)
    assert conversion(deps, answer)["state"] == "PENDING"

    assert swept_at(deps, NOW + STALE_AFTER - datetime.timedelta(seconds=1)) == 0
    assert swept_at(deps, NOW + STALE_AFTER + datetime.timedelta(seconds=1)) == 1
    assert convert(converter, deps, first + "-requeued").json["outcome"] == "done"

    assert conversion(deps, answer)["state"] == "DONE"
    assert swept_at(deps, NOW + 10 * STALE_AFTER) == 0


def test_a_conversion_still_pending_after_its_requeue_is_given_up(
    deps: Dependencies, converter: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    first = f"universal-apk-{answer.data.id}-1"
    killed_conversion_attempt(converter, deps, monkeypatch, first)
    requeued_at = NOW + STALE_AFTER + datetime.timedelta(seconds=1)
    assert swept_at(deps, requeued_at) == 1
    with monkeypatch.context() as outage:  # the requeued task's failed attempt keeps the requeue
        outage.setattr(fake_bucket(deps), "open_object", unavailable)
        assert convert(converter, deps, first + "-requeued").status_code == 503

    assert swept_at(deps, requeued_at + STALE_AFTER + datetime.timedelta(seconds=1)) == 1

    assert conversion(deps, answer) == {
        "state": "FAILED",
        "reason": NEVER_ANSWERED,
        "universalApk": None,
    }
    assert len(conversion_queue(deps).tasks) == 2  # queued twice, never a third time
    assert convert(converter, deps, first + "-requeued").json["outcome"] == "known"


def test_a_requeued_conversion_whose_worker_read_before_the_requeue_is_given_up_all_the_same(
    deps: Dependencies, converter: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    first = f"universal-apk-{answer.data.id}-1"
    killed_conversion_attempt(converter, deps, monkeypatch, first)
    requeued_at = NOW + STALE_AFTER + datetime.timedelta(seconds=1)
    requeued_after_the_workers_read(deps, monkeypatch, answer, requeued_at)
    killed_conversion_attempt(converter, deps, monkeypatch, first + "-requeued", "0")

    assert swept_at(deps, requeued_at + STALE_AFTER + datetime.timedelta(seconds=1)) == 1

    assert conversion(deps, answer)["reason"] == NEVER_ANSWERED
    assert len(conversion_queue(deps).tasks) == 2  # queued twice, never a third time


def test_a_conversion_that_could_not_be_queued_is_failed_at_once_not_swept(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as outage:
        outage.setattr(conversion_queue(deps), "schedule", unavailable)
        answer = upload(deps, ALICE, bundle())
    assert conversion(deps, answer)["state"] == "FAILED"
    assert swept_at(deps, NOW + 10 * STALE_AFTER) == 0


def test_the_pending_conversion_of_an_app_deleted_halfway_is_never_queued_again(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())  # PENDING: its conversion is waited for from NOW
    deps.clock.now = NOW + STALE_AFTER
    with monkeypatch.context() as outage:
        outage.setattr(fake_bucket(deps), "delete_object", unavailable)
        with pytest.raises(BackendUnavailable):  # the owner's DELETE: a 503, never repeated
            deletion.delete_application(deps, ALICE, answer.data.id)

    # Its versions' documents stay live until the sweep finishes the deletion, an hour on:
    # no run before counts or queues their work, and that one tombstones them.
    runs = [
        NOW + STALE_AFTER + n * LEFT_HALFWAY_AFTER + datetime.timedelta(seconds=1) for n in range(4)
    ]
    assert [swept_at(deps, moment) for moment in runs] == [0, 0, 0, 0]
    assert deps.applications.versions(answer.data.id) == []
    assert list(conversion_queue(deps).tasks) == [f"universal-apk-{answer.data.id}-1"]
