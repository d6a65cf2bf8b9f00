"""Firestore: one-time sign-in tokens, kept only as hashes and expired by a TTL policy."""

import datetime

from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.adapters.firestore import TRANSACTION_ATTEMPTS
from apkdrop.timeutil import utc_now


class SignInTokens:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._tokens = client.collection("signInTokens")

    @backend_call("Firestore")
    def create(
        self, token_hash: str, email: str, app_id: str, expire_at: datetime.datetime
    ) -> None:
        self._tokens.document(token_hash).create(
            {"email": email, "appId": app_id, "expireAt": expire_at, "used": False}
        )

    @backend_call("Firestore")
    def redeem(self, token_hash: str) -> tuple[str, str] | None:
        """Marks the token used and returns (email, appId); None if unknown, used or expired."""
        reference = self._tokens.document(token_hash)

        @firestore.transactional
        def use(transaction: firestore.Transaction) -> tuple[str, str] | None:
            snapshot = reference.get(transaction=transaction)
            if not snapshot.exists:
                return None
            token = snapshot.to_dict()
            if token["used"] or token["expireAt"] <= utc_now():
                return None
            transaction.update(reference, {"used": True, "usedAt": utc_now()})
            return token["email"], token["appId"]

        return use(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))
