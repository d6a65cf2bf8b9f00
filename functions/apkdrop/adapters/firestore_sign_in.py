"""Firestore: one-time sign-in tokens, kept only as hashes and expired by a TTL policy."""

import datetime
import hmac

from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.adapters.firestore import TRANSACTION_ATTEMPTS
from apkdrop.install_pages.ports import LinkTarget
from apkdrop.timeutil import utc_now


class SignInTokens:
    """`signInTokens/{requestId}`: the one valid token of each sign-in request."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._tokens = client.collection("signInTokens")

    @backend_call("Firestore")
    def issue(
        self, request_id: str, token_hash: str, target: LinkTarget, expire_at: datetime.datetime
    ) -> None:
        # One document per request: a retried send replaces the token an earlier attempt made.
        self._tokens.document(request_id).set(
            {
                "tokenHash": token_hash,
                "email": target.email,
                "appId": target.app_id,
                "version": target.version,
                "channel": target.channel,
                "expireAt": expire_at,
                "used": False,
            }
        )

    @backend_call("Firestore")
    def redeem(self, request_id: str, token_hash: str) -> LinkTarget | None:
        """Marks the token used and returns its target; None if unknown, used or expired."""
        reference = self._tokens.document(request_id)

        @firestore.transactional
        def use(transaction: firestore.Transaction) -> LinkTarget | None:
            target = _valid_target(reference.get(transaction=transaction).to_dict(), token_hash)
            if target is not None:
                transaction.update(reference, {"used": True, "usedAt": utc_now()})
            return target

        return use(self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS))

    @backend_call("Firestore")
    def peek(self, request_id: str, token_hash: str) -> LinkTarget | None:
        return _valid_target(self._tokens.document(request_id).get().to_dict(), token_hash)


def _valid_target(token: dict | None, token_hash: str) -> LinkTarget | None:
    """The stored token's target if `token_hash` is its hash and it is unused and unexpired."""
    if token is None:  # no such request
        return None
    if not hmac.compare_digest(token["tokenHash"], token_hash):
        return None
    if token["used"] or token["expireAt"] <= utc_now():
        return None
    # Tokens issued before channels were carried have none.
    return LinkTarget(token["email"], token["appId"], token["version"], token.get("channel"))
