"""Firestore: an account's webhooks, and the record of each (hook, event) delivery."""

import datetime

from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.adapters.firestore import TRANSACTION_ATTEMPTS
from apkdrop.adapters.firestore_paging import newest_first
from apkdrop.notifications.ports import Claim
from apkdrop.paging import TimeCursor
from apkdrop.webhooks.models import Delivery, DeliveryState, EventType, Hook

DONE = (DeliveryState.DELIVERED.value, DeliveryState.FAILED.value)


class HookStore:
    """`webhooks/{id}`, and `webhookAccounts/{accountId}` counting an account's hooks (the
    cap is checked and the count changed in the transaction that adds or deletes one)."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._hooks = client.collection("webhooks")
        self._accounts = client.collection("webhookAccounts")

    @backend_call("Firestore")
    def add_hook(self, hook: Hook, max_hooks: int) -> bool:
        counter = self._accounts.document(hook.accountId)

        @firestore.transactional
        def add(transaction: firestore.Transaction) -> bool:
            count = (counter.get(transaction=transaction).to_dict() or {}).get("hooks", 0)
            if count >= max_hooks:
                return False
            transaction.set(counter, {"hooks": count + 1})
            transaction.create(self._hooks.document(hook.id), hook.model_dump())
            return True

        return add(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))

    @backend_call("Firestore")
    def hooks_of_account(self, account_id: str) -> list[Hook]:
        query = self._hooks.where(filter=firestore.FieldFilter("accountId", "==", account_id))
        hooks = [Hook.model_validate(doc.to_dict()) for doc in query.stream()]
        return sorted(hooks, key=lambda hook: (hook.createdAt, hook.id))

    @backend_call("Firestore")
    def get_hook(self, hook_id: str) -> Hook | None:
        found = self._hooks.document(hook_id).get().to_dict()
        return None if found is None else Hook.model_validate(found)

    @backend_call("Firestore")
    def delete_hook(self, hook: Hook) -> None:
        counter = self._accounts.document(hook.accountId)
        reference = self._hooks.document(hook.id)

        @firestore.transactional
        def delete(transaction: firestore.Transaction) -> None:
            if not reference.get(transaction=transaction).exists:
                return  # deleted by a concurrent request: counted down already
            count = (counter.get(transaction=transaction).to_dict() or {}).get("hooks", 1)
            transaction.set(counter, {"hooks": max(count - 1, 0)})
            transaction.delete(reference)

        delete(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))


class HookDeliveryLog:
    """`webhookDeliveries/{hookId}-{eventId}`; a hook's are listed newest first (the composite
    index hookId, firstAttemptAt desc, eventId desc in terraform/firestore.tf)."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._deliveries = client.collection("webhookDeliveries")

    @backend_call("Firestore")
    def claim(
        self,
        delivery_id: str,
        hook_id: str,
        event: tuple[str, EventType],
        lease: datetime.timedelta,
        now: datetime.datetime,
    ) -> Claim:
        reference = self._deliveries.document(delivery_id)

        @firestore.transactional
        def take(transaction: firestore.Transaction) -> Claim:
            current = reference.get(transaction=transaction).to_dict()
            if current is not None:
                if current["state"] in DONE:
                    return Claim.DONE
                if current["state"] == DeliveryState.SENDING and current["leaseUntil"] > now:
                    return Claim.BUSY
            event_id, event_type = event
            record = current or {
                "hookId": hook_id,
                "eventId": event_id,
                "eventType": event_type.value,
                "firstAttemptAt": now,
            }
            record.update(
                state=DeliveryState.SENDING.value,
                attempts=record.get("attempts", 0) + 1,
                lastAttemptAt=now,
                leaseUntil=now + lease,
            )
            transaction.set(reference, record)
            return Claim.CLAIMED

        return take(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))

    @backend_call("Firestore")
    def finish(
        self,
        delivery_id: str,
        state: DeliveryState,
        status_code: int | None,
        error: str | None,
        now: datetime.datetime,
    ) -> None:
        changes = {"state": state.value, "statusCode": status_code, "lastError": error}
        if state is DeliveryState.DELIVERED:
            changes["deliveredAt"] = now
        self._deliveries.document(delivery_id).update(changes)

    @backend_call("Firestore")
    def deliveries(
        self, hook_id: str, limit: int, after: TimeCursor | None
    ) -> tuple[list[Delivery], TimeCursor | None]:
        query = self._deliveries.where(filter=firestore.FieldFilter("hookId", "==", hook_id))
        fields = ("firstAttemptAt", "eventId")
        return newest_first(query, fields, Delivery.model_validate, limit, after)
