"""A large upload's SHA-256 arrives after the answer, through the hashes queue and hash-worker."""

import hashlib
import time

import httpx

from tests.fixtures.apk_builder import build_apk

HASH_DEADLINE_SECONDS = 60
# Over MAX_INLINE_HASH_BYTES (32 MiB by default), so hashed by the worker.
PADDING = 33 * 1024 * 1024


def test_the_hash_is_shown_once_the_worker_computed_it(client):
    apk = build_apk("com.example.async.hash", "1.0", 1, padding_bytes=PADDING)
    started = client.post("/v1/application/uploads").json()
    spec = started["uploadSpec"]
    assert httpx.put(spec["url"], headers=spec["headers"], content=apk).status_code == 200

    answer = client.post("/v1/application", data={"uploadId": started["uploadId"]})
    assert answer.status_code == 200, answer.text
    app_id = answer.json()["data"]["id"]

    deadline = time.monotonic() + HASH_DEADLINE_SECONDS
    seen = []
    while time.monotonic() < deadline:
        version = client.get(f"/v1/application/{app_id}").json()["data"]["versions"][0]
        seen.append((version["sha256State"], version["sha256"]))
        if version["sha256State"] == "COMPUTED":
            break
        assert version["sha256"] is None  # never a hash before it is known
        time.sleep(0.2)
    assert seen[-1] == ("COMPUTED", hashlib.sha256(apk).hexdigest())
    page = httpx.get(answer.json()["data"]["magicLink"]).text
    assert hashlib.sha256(apk).hexdigest() in page
