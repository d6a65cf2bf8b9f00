"""Firestore: the once-only marker of each email delivery."""

import datetime

from google.cloud import firestore

from apkdrop.adapters.errors import BackendUnavailable, backend_call
from apkdrop.adapters.firestore import TRANSACTION_ATTEMPTS
from apkdrop.notifications.ports import Claim
from apkdrop.timeutil import utc_now

SENDING, RETRY = "sending", "retry"


class DeliveryLedger:
    """`emailDeliveries/{id}`: whether a delivery was sent, failed, or is being sent."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._deliveries = client.collection("emailDeliveries")

    @backend_call("Firestore")
    def claim(self, delivery_id: str, lease: datetime.timedelta) -> Claim:
        """Takes the delivery for `lease`, unless it is done or another worker holds it."""
        reference = self._deliveries.document(delivery_id)

        @firestore.transactional
        def take(transaction: firestore.Transaction) -> Claim:
            snapshot = reference.get(transaction=transaction)
            now = utc_now()
            if snapshot.exists:
                status = snapshot.get("status")
                if status not in (SENDING, RETRY):
                    return Claim.DONE
                if status == SENDING and snapshot.get("leaseUntil") > now:
                    return Claim.BUSY
            transaction.set(reference, {"status": SENDING, "leaseUntil": now + lease})
            return Claim.CLAIMED

        return take(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))

    @backend_call("Firestore")
    def finish(self, delivery_id: str, status: str, reason: str | None = None) -> None:
        self._deliveries.document(delivery_id).set(
            {"status": status, "reason": reason, "finishedAt": utc_now()}
        )

    @backend_call("Firestore")
    def outcome(self, delivery_id: str) -> tuple[str, str | None]:
        """How a finished delivery ended: its status and the reason of a failure."""
        delivery = self._deliveries.document(delivery_id).get().to_dict()
        if delivery is None:  # asked only once finished, and a finished delivery is never deleted
            raise BackendUnavailable(f"delivery {delivery_id} is not recorded yet, retry later")
        return delivery["status"], delivery.get("reason")

    @backend_call("Firestore")
    def release(self, delivery_id: str) -> None:
        """A retryable failure: the next delivery of the task may send."""
        self._deliveries.document(delivery_id).set({"status": RETRY, "releasedAt": utc_now()})
