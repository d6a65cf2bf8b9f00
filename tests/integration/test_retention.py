"""Retention through the gateway (issue 16): keepLatest after uploads, pins, the sweeper's
maxAgeDays and a sweep racing uploads, on the emulators. Versions go to their channels by the
upload's `channel` field; they are aged by writing their upload times."""

import datetime
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from google.cloud import firestore

from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded
from tests.integration.test_manage_apps import (
    bucket_objects,
    detail,
    objects_of,
    version_documents,
)

pytestmark = pytest.mark.integration
LABEL = "Retained App"


@pytest.fixture
def owner(stack, api_keys) -> Iterator[httpx.Client]:
    key = api_keys(f"retention-{time.monotonic_ns()}@example.com")
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60) as http:
        yield http


def new_package() -> str:
    return f"com.example.retained{time.monotonic_ns()}"


def push(client: httpx.Client, package: str, code: int, channel: str | None = None) -> dict:
    return uploaded(
        upload(client, build_apk(package, str(code), code, label=LABEL), channel=channel)
    )


def version_ref(database: firestore.Client, app_id: str, number: int):
    return (
        database.collection("applications")
        .document(app_id)
        .collection("versions")
        .document(str(number))
    )


def set_policy(client: httpx.Client, app_id: str, policy: dict) -> None:
    answer = client.put(f"/v1/application/{app_id}/retention", json=policy)
    assert answer.status_code == 200, answer.text


def remaining(client: httpx.Client, app_id: str) -> list[str]:
    return [v["version"] for v in detail(client, app_id)["versions"]]


def sweep_once(stack) -> httpx.Response:
    """What Cloud Scheduler does (the local stack also runs it every minute on its own)."""
    return httpx.post(stack.function_url("retention-sweeper") + "/", timeout=120)


def sweep(stack) -> dict:
    answer = sweep_once(stack)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_keep_latest_2_with_4_uploads_then_a_pinned_one_survives(stack, owner, database):
    package = new_package()
    first = push(owner, package, 1, channel="release")  # another channel
    assert first["channel"] == "release"
    app_id = first["id"]
    set_policy(owner, app_id, {"channels": {"default": {"keepLatest": 2}}})
    for code in (2, 3, 4, 5):
        push(owner, package, code)
    assert remaining(owner, app_id) == ["5.0", "4.0", "1.0"]  # release untouched
    documents = version_documents(database, app_id)
    visitor = httpx.Client(base_url=stack.url, timeout=30)
    for gone in (2, 3):
        assert documents[gone]["deletedBy"] == "retention"
        assert documents[gone]["pendingObjects"] == []
        assert visitor.get(f"/app/{app_id}?version={gone}.0").status_code == 410
        assert visitor.get(f"/app/{app_id}/download?version={gone}.0").status_code == 410
    for kept in ("1.0", "4.0", "5.0"):
        assert visitor.get(f"/app/{app_id}?version={kept}").status_code == 200

    pin = owner.patch(f"/v1/application/{app_id}/versions/4.0", json={"pinned": True})
    assert (pin.status_code, pin.json()["data"]["pinned"]) == (200, True)
    for code in (6, 7):
        push(owner, package, code)
    # 7.0 and 6.0 are the two kept; 4.0 is pinned (counted, never deleted); 5.0 went.
    assert remaining(owner, app_id) == ["7.0", "6.0", "4.0", "1.0"]

    audit = owner.get("/v1/audit", params={"limit": 100}).json()["data"]
    by_retention = [e for e in audit if e["action"] == "delete"]
    assert sorted(e["target"].rsplit("/", 1)[1] for e in by_retention) == ["2.0", "3.0", "5.0"]
    assert {e["actor"]["keyPrefix"] for e in by_retention} == {"retention"}
    assert {e["details"]["deletedBy"] for e in by_retention} == {"retention"}


def test_the_sweeper_applies_max_age_days_but_keeps_each_channels_newest(stack, owner, database):
    package = new_package()
    app_id = push(owner, package, 1)["id"]
    for code in (2, 3):
        push(owner, package, code)
    month_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    for number in (1, 2, 3):
        version_ref(database, app_id, number).update({"uploadTime": month_ago})
    files = version_documents(database, app_id)
    set_policy(owner, app_id, {"default": {"maxAgeDays": 14}})
    sweep(stack)
    assert remaining(owner, app_id) == ["3.0"]  # old too, but the channel's newest
    left = bucket_objects(stack)
    assert not (objects_of(files[1]) | objects_of(files[2])) & left
    assert objects_of(files[3]) <= left
    assert httpx.get(f"{stack.url}/app/{app_id}", timeout=30).status_code == 200
    assert sweep(stack)["deleted"] == 0  # idempotent


def test_a_sweep_racing_uploads_keeps_every_upload_whole(stack, owner, database):
    package = new_package()
    app_id = push(owner, package, 1)["id"]
    set_policy(owner, app_id, {"default": {"keepLatest": 2}})
    stop = threading.Event()

    def keep_sweeping() -> list[int]:
        """Statuses of the sweeps run meanwhile: contention with the uploads may answer 503,
        which the scheduler retries."""
        statuses = []
        while not stop.is_set():
            statuses.append(sweep_once(stack).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=4) as pool:
        sweeper = pool.submit(keep_sweeping)
        answers = list(
            pool.map(
                lambda code: upload(owner, build_apk(package, str(code), code, label=LABEL)),
                range(2, 10),
            )
        )
        stop.set()
        statuses = sweeper.result()
        assert statuses and set(statuses) <= {200, 503}, statuses
    assert [answer.status_code for answer in answers] == [200] * 8, [a.text for a in answers]
    sweep(stack)
    documents = version_documents(database, app_id)
    assert remaining(owner, app_id) == ["9.0", "8.0"]
    left = bucket_objects(stack)
    for number, document in documents.items():
        if number in (8, 9):
            assert objects_of(document) <= left, number  # nothing kept points at a missing file
        else:
            assert (document["deletedBy"], document["pendingObjects"]) == ("retention", [])
    assert detail(owner, app_id)["latestVersion"] == "9.0"
