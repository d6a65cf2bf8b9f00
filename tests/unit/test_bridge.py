"""The local bridge must deliver storage events exactly as Eventarc would."""

from cloudevents.http import from_http

from infra.bridge import FINALIZED, cloud_event_headers

ATTRIBUTES = {
    "bucketId": "B",
    "objectId": "builds/a/1/2.apk",
    "eventTime": "2024-03-07T16:55:49.168Z",
    "eventType": "OBJECT_FINALIZE",
}


def test_cloud_event_headers() -> None:
    assert cloud_event_headers(ATTRIBUTES, "msg-1") == {
        "ce-specversion": "1.0",
        "ce-id": "msg-1",
        "ce-type": "google.cloud.storage.object.v1.finalized",
        "ce-source": "//storage.googleapis.com/projects/_/buckets/B",
        "ce-subject": "objects/builds/a/1/2.apk",
        "ce-time": "2024-03-07T16:55:49.168Z",
        "content-type": "application/json",
    }
    assert FINALIZED == "google.cloud.storage.object.v1.finalized"


def test_headers_parse_as_a_binary_cloud_event() -> None:
    event = from_http(cloud_event_headers(ATTRIBUTES, "msg-2"), b'{"bucket": "B"}')
    assert event["id"] == "msg-2"
    assert event["type"] == FINALIZED
    assert event["subject"] == "objects/builds/a/1/2.apk"
    assert event.data == {"bucket": "B"}
