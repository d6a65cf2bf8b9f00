"""A large upload's SHA-256, computed after the answer by the hash worker (main.hash_apk).

The worker is called as Cloud Tasks calls it, with the payload the publish queued and the
queue account's (patched) token, over the fakes.
"""

import dataclasses
import hashlib

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import queries
from apkdrop.applications.form import read_upload_form
from apkdrop.applications.large_uploads import create_large_upload
from apkdrop.applications.models import HashState, UploadAnswer
from apkdrop.applications.service import UploadSession
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from tests.fakes import (
    HASH_WORKER_URL,
    FakeScheduler,
    fake_bucket,
    fake_dependencies,
    fake_store,
)
from tests.fixtures.apk_builder import build_apk, play_ready

ALICE = Caller(
    id="acct-alice", email="alice@example.com", keyPrefix="apkd_test", scope=KeyScope.UPLOAD
)
INLINE_LIMIT = 64 * 1024
LARGE = build_apk("com.example.hashed", "1.0", 1, padding_bytes=2 * INLINE_LIMIT, **play_ready())
OTHER = build_apk("com.example.hashed", "1.1", 2, padding_bytes=2 * INLINE_LIMIT)


@pytest.fixture
def deps() -> Dependencies:
    return fake_dependencies(max_inline_hash_bytes=INLINE_LIMIT)


@pytest.fixture
def worker(load_task) -> FlaskClient:
    return load_task("hash_apk")


def queue(deps: Dependencies) -> FakeScheduler:
    assert isinstance(deps.hash_queue, FakeScheduler)
    return deps.hash_queue


def publish_large(deps: Dependencies, content: bytes = LARGE) -> UploadAnswer:
    started = create_large_upload(deps, ALICE)
    fake_bucket(deps).put(fake_store(deps).uploads[started.uploadId]["objectName"], content)
    with UploadSession(deps, ALICE) as session:
        fields = MultiDict({"uploadId": started.uploadId})
        return session.publish(read_upload_form(fields, has_file=False, settings=deps.settings))


def shown(deps: Dependencies, answer: UploadAnswer) -> tuple[str | None, HashState]:
    (view,) = queries.get_application(deps, ALICE, answer.data.id).data.versions
    return view.sha256, view.sha256State


def test_the_hash_is_computing_until_the_worker_records_it(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = publish_large(deps)

    assert shown(deps, answer) == (None, HashState.COMPUTING)
    assert deps.audit.events[-1].details["sha256"] is None  # nothing claimed before it is known
    (task,) = queue(deps).calls
    (version,) = deps.applications.versions(answer.data.id)
    assert task.url == HASH_WORKER_URL
    assert task.payload == {
        "appId": answer.data.id,
        "versionNumber": 1,
        "objectName": version.objectName,
        "generation": fake_bucket(deps).objects[version.objectName][1].generation,
    }

    response = worker.post("/", json=task.payload)

    assert response.status_code == 200, response.json
    assert response.json == {"task": f"sha256-{answer.data.id}-1", "outcome": "recorded"}
    assert shown(deps, answer) == (hashlib.sha256(LARGE).hexdigest(), HashState.COMPUTED)
    assert worker.post("/", json=task.payload).json["outcome"] == "known"


def test_a_storage_failure_answers_503_and_the_retry_records_it(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = publish_large(deps)
    payload = queue(deps).calls[0].payload
    real = fake_bucket(deps).sha256_of
    failures = [BackendUnavailable("Cloud Storage is unavailable, retry later")]

    def flaky(object_name: str, generation: int) -> str:
        if failures:
            raise failures.pop()
        return real(object_name, generation)

    monkeypatch.setattr(fake_bucket(deps), "sha256_of", flaky)

    first = worker.post("/", json=payload)
    assert first.status_code == 503  # Cloud Tasks retries
    assert shown(deps, answer) == (None, HashState.COMPUTING)

    assert worker.post("/", json=payload).json["outcome"] == "recorded"
    assert shown(deps, answer)[0] == hashlib.sha256(LARGE).hexdigest()


def test_a_replaced_object_is_never_hashed_in_its_place(
    deps: Dependencies, worker: FlaskClient
) -> None:
    """The object's name got another generation (other bytes) before the task ran: the task's
    generation is gone, so it is retried, and nothing is recorded from the new bytes."""
    answer = publish_large(deps)
    payload = queue(deps).calls[0].payload
    fake_bucket(deps).put(payload["objectName"], OTHER)

    assert worker.post("/", json=payload).status_code == 503
    assert shown(deps, answer) == (None, HashState.COMPUTING)


def test_a_version_pointing_at_another_generation_is_left_alone(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = publish_large(deps)
    payload = queue(deps).calls[0].payload
    versions = fake_store(deps).version_docs[answer.data.id]
    versions[1]["objectGeneration"] = payload["generation"] + 1  # re-published meanwhile

    assert worker.post("/", json=payload).json["outcome"] == "replaced"
    assert versions[1]["sha256"] is None


def test_the_record_is_refused_if_the_version_changed_while_hashing(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = publish_large(deps)
    payload = queue(deps).calls[0].payload
    versions = fake_store(deps).version_docs[answer.data.id]
    real = fake_bucket(deps).sha256_of

    def meanwhile(object_name: str, generation: int) -> str:
        versions[1]["objectGeneration"] = generation + 1
        return real(object_name, generation)

    monkeypatch.setattr(fake_bucket(deps), "sha256_of", meanwhile)

    assert worker.post("/", json=payload).json["outcome"] == "changed"
    assert versions[1]["sha256"] is None


def test_a_deleted_version_is_acknowledged(deps: Dependencies, worker: FlaskClient) -> None:
    answer = publish_large(deps)
    payload = queue(deps).calls[0].payload
    deps.applications.delete_version(answer.data.id, 1, ALICE.email, deps.clock())

    assert worker.post("/", json=payload).json["outcome"] == "gone"


def test_a_queue_outage_hashes_before_the_answer(deps: Dependencies) -> None:
    class DownQueue(FakeScheduler):
        def schedule(self, *args: object) -> None:
            raise BackendUnavailable("Cloud Tasks is unavailable, retry later")

    deps = dataclasses.replace(deps, hash_queue=DownQueue())

    answer = publish_large(deps)

    assert answer.warnings == []
    assert shown(deps, answer) == (hashlib.sha256(LARGE).hexdigest(), HashState.COMPUTED)


def test_no_hash_at_all_is_a_warning_not_a_failure(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    class DownQueue(FakeScheduler):
        def schedule(self, *args: object) -> None:
            raise BackendUnavailable("Cloud Tasks is unavailable, retry later")

    deps = dataclasses.replace(deps, hash_queue=DownQueue())
    started = create_large_upload(deps, ALICE)
    fake_bucket(deps).put(fake_store(deps).uploads[started.uploadId]["objectName"], LARGE)

    def down(*_: object) -> str:
        raise BackendUnavailable("Cloud Storage is unavailable, retry later")

    monkeypatch.setattr(fake_bucket(deps), "sha256_of", down)
    with UploadSession(deps, ALICE) as session:
        fields = MultiDict({"uploadId": started.uploadId})
        answer = session.publish(read_upload_form(fields, has_file=False, settings=deps.settings))

    assert answer.warnings == ["The SHA-256 could not be computed: it shows as computing"]
    assert shown(deps, answer) == (None, HashState.COMPUTING)


def test_a_large_upload_within_the_inline_limit_is_hashed_before_the_answer(
    deps: Dependencies,
) -> None:
    small = build_apk("com.example.hashed", "1.0", 1)
    assert len(small) <= INLINE_LIMIT

    answer = publish_large(deps, small)

    assert shown(deps, answer) == (hashlib.sha256(small).hexdigest(), HashState.COMPUTED)
    assert queue(deps).calls == []


def test_the_install_page_says_computing(deps: Dependencies, load) -> None:
    answer = publish_large(deps)
    pages = load("install_pages")

    page = pages.get(f"/app/{answer.data.id}").get_data(as_text=True)

    assert '<dd id="file-sha256">computing…</dd>' in page
