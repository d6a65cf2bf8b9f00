"""One harmless request per entry point that still goes through its feature code and its
backends (an unknown key, app or build): what the packaging test and the cold-start benchmark
send to a function that has just started."""

import datetime
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FirstRequest:
    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    json: dict | None = None
    # Fields the JSON answer must hold (what only the feature's own code answers).
    expect: dict = field(default_factory=dict)


def first_request(entry_point: str, bucket: str) -> FirstRequest:
    """The request for `entry_point`; `bucket` is the upload bucket (the event names it)."""
    bad_key = {"X-Api-Key": "apkd_not-a-key"}
    if entry_point == "build_finalized":
        return FirstRequest(
            "POST",
            "/",
            200,
            headers={
                "ce-specversion": "1.0",
                "ce-id": uuid.uuid4().hex,
                "ce-type": "google.cloud.storage.object.v1.finalized",
                "ce-source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
                "ce-subject": "objects/not-a-build.apk",
                "ce-time": datetime.datetime.now(datetime.UTC).isoformat(),
            },
            json={"bucket": bucket, "name": "not-a-build.apk", "generation": "1", "size": "1"},
        )
    return {
        "build_api": FirstRequest("POST", "/api/v1/projects/demo/build-uploads", 401, bad_key),
        "application_api": FirstRequest("GET", "/v1/application", 401, bad_key),
        "install_pages": FirstRequest("GET", "/app/" + "A" * 22, 404),
        "expire_build_upload": FirstRequest(
            "POST",
            "/",
            200,
            json={"buildId": 999_999_999},
            expect={"buildId": 999_999_999, "uploadState": None},
        ),
        "send_email": FirstRequest(
            "POST",
            "/",
            200,
            json={"kind": "upload", "appId": "no-such-app", "version": 1},
            expect={"outcome": "unknown"},
        ),
        # A sweep (the local stack's check of the scheduler's token is off): what it deletes
        # depends on the policies stored, so only its answer's being the sweep's is checked.
        "sweep_retention": FirstRequest("POST", "/", 200),
        "hash_apk": FirstRequest(
            "POST",
            "/",
            200,
            json={
                "appId": "no-such-app",
                "versionNumber": 1,
                "objectName": "applications/none/none.apk",
                "generation": 1,
            },
            expect={"task": "sha256-no-such-app-1", "outcome": "gone"},
        ),
        "deliver_webhook": FirstRequest(
            "POST",
            "/",
            200,
            json={
                "hookId": "A" * 22,
                "event": {
                    "id": "B" * 22,
                    "type": "version.created",
                    "createdAt": "2026-12-01T00:00:00Z",
                    "data": {},
                },
            },
            expect={"outcome": "hook deleted"},
        ),
        "convert_bundle": FirstRequest(
            "POST",
            "/",
            200,
            json={"appId": "no-such-app", "versionNumber": 1, "generation": 1},
            expect={"task": "universal-apk-no-such-app-1", "outcome": "gone"},
        ),
    }[entry_point]
