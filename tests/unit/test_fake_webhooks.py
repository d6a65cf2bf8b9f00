"""The local stack's webhook receiver: it keeps each delivery by name, raw, and answers as told."""

import json

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from infra.fake_webhooks import FakeWebhookReceiver


def request(method: str, path: str, body: bytes = b"", **headers: str) -> Request:
    return Request(
        EnvironBuilder(method=method, path=path, data=body, headers=headers).get_environ()
    )


def test_deliveries_are_kept_raw_by_name_and_answered_as_told() -> None:
    receiver = FakeWebhookReceiver()
    told = receiver(
        request(
            "POST", "/_dev/webhooks/behaviour/a", json.dumps({"status": 503, "count": 2}).encode()
        )
    )
    assert told is not None and told.status_code == 204

    statuses = [
        receiver(
            request("POST", f"/_dev/webhooks/receive/{name}", b'{"n": 1} ', X_Test="yes")
        ).status_code
        for name in ("a", "b", "a", "a")
    ]

    assert statuses == [503, 200, 503, 200]
    listed = receiver(request("GET", "/_dev/webhooks.json?name=a"))
    found = json.loads(listed.get_data())
    assert [d["status"] for d in found] == [503, 503, 200]
    assert found[0]["body"] == '{"n": 1} ' and found[0]["headers"]["X-Test"] == "yes"
    page = receiver(request("GET", "/_dev/webhooks"))
    assert page.status_code == 200 and b"4, newest first" in page.get_data()


def test_other_paths_and_bad_names_are_not_its_own() -> None:
    receiver = FakeWebhookReceiver()

    assert receiver(request("GET", "/v1/application")) is None
    assert receiver(request("GET", "/_dev/webhooks/receive/a")) is None  # only POSTs deliver
    assert receiver(request("POST", "/_dev/webhooks/receive/a/b")).status_code == 404
    assert receiver.deliveries == []
