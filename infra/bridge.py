"""Turns fake-gcs-server's Pub/Sub notifications into the CloudEvents Eventarc would deliver."""

import logging
import threading

import httpx
from google.api_core import exceptions as api_exceptions
from google.cloud import pubsub_v1

log = logging.getLogger("infra.bridge")

FINALIZED = "google.cloud.storage.object.v1.finalized"
PULL_TIMEOUT_SECONDS = 2.0


def cloud_event_headers(attributes: dict[str, str], message_id: str) -> dict[str, str]:
    """Binary content mode: the attributes in ce-* headers, the object resource as the body."""
    return {
        "ce-specversion": "1.0",
        "ce-id": message_id,
        "ce-type": FINALIZED,
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{attributes['bucketId']}",
        "ce-subject": f"objects/{attributes['objectId']}",
        "ce-time": attributes["eventTime"],
        "content-type": "application/json",
    }


class StorageEventBridge(threading.Thread):
    """Pulls OBJECT_FINALIZE notifications and POSTs each to the finalize function.

    A message is acknowledged only when the function answered 2xx; otherwise Pub/Sub redelivers
    it, as Eventarc retries an event whose function failed.
    """

    def __init__(self, subscription: str, target_url: str) -> None:
        super().__init__(name="storage-event-bridge", daemon=True)
        self._subscription = subscription
        self._target_url = target_url
        self._subscriber = pubsub_v1.SubscriberClient()
        self._http = httpx.Client(timeout=120)
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                response = self._subscriber.pull(
                    subscription=self._subscription, max_messages=10, timeout=PULL_TIMEOUT_SECONDS
                )
            except (api_exceptions.DeadlineExceeded, api_exceptions.ServiceUnavailable):
                continue
            for received in response.received_messages:
                self._deliver(received)

    def _deliver(self, received: pubsub_v1.types.ReceivedMessage) -> None:
        message = received.message
        if message.attributes.get("eventType") != "OBJECT_FINALIZE":
            self._subscriber.acknowledge(subscription=self._subscription, ack_ids=[received.ack_id])
            return
        headers = cloud_event_headers(dict(message.attributes), message.message_id)
        try:
            answer = self._http.post(self._target_url, content=message.data, headers=headers)
            delivered = answer.is_success
        except httpx.TransportError:
            delivered = False
        if delivered:
            self._subscriber.acknowledge(subscription=self._subscription, ack_ids=[received.ack_id])
        else:
            log.warning("finalize function refused %s; it will be redelivered", message.message_id)
            self._subscriber.modify_ack_deadline(
                subscription=self._subscription, ack_ids=[received.ack_id], ack_deadline_seconds=1
            )

    def stop(self) -> None:
        self._stopping.set()
        if self.ident is not None:  # started
            self.join(timeout=PULL_TIMEOUT_SECONDS + 5)
        self._http.close()
