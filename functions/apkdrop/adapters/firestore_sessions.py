"""Firestore: the install pages' sessions, by the hash of their id, expired by a TTL policy."""

import contextlib
import datetime

from google.api_core import exceptions as api_exceptions
from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.timeutil import utc_now


class Sessions:
    """`installSessions/{sha256 of the id}`: who signed in, until when, and whether revoked."""

    def __init__(self, client: firestore.Client) -> None:
        self._sessions = client.collection("installSessions")

    @backend_call("Firestore")
    def create(self, session_hash: str, email: str, expire_at: datetime.datetime) -> None:
        self._sessions.document(session_hash).create(
            {"email": email, "createdAt": utc_now(), "expireAt": expire_at, "revoked": False}
        )

    @backend_call("Firestore")
    def email_of(self, session_hash: str) -> str | None:
        record = self._sessions.document(session_hash).get().to_dict()
        if record is None:  # no such session
            return None
        # The TTL policy deletes expired records only eventually: the expiry is checked here.
        if record["revoked"] or record["expireAt"] <= utc_now():
            return None
        return record["email"]

    @backend_call("Firestore")
    def revoke(self, session_hash: str) -> None:
        # A record the TTL policy already deleted is as good as revoked.
        with contextlib.suppress(api_exceptions.NotFound):
            self._sessions.document(session_hash).update({"revoked": True, "revokedAt": utc_now()})
