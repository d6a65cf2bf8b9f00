"""What sign-in and sessions need from the database."""

import datetime
from typing import NamedTuple, Protocol


class LinkTarget(NamedTuple):
    """What a redeemed sign-in link was issued for."""

    email: str
    app_id: str
    version: str | None  # the version label the visitor was opening; None: the latest
    channel: str | None = None  # the channel whose page the visitor was opening


class TokenRepository(Protocol):
    def issue(
        self, request_id: str, token_hash: str, target: LinkTarget, expire_at: datetime.datetime
    ) -> None:
        """Stores the token of a sign-in request, replacing any earlier one of that request."""

    def redeem(self, request_id: str, token_hash: str) -> LinkTarget | None:
        """Spends a valid token; None if unknown, replaced, used or expired."""

    def peek(self, request_id: str, token_hash: str) -> LinkTarget | None:
        """What `redeem` would return now, spending nothing."""


class SessionRepository(Protocol):
    def create(self, session_hash: str, email: str, expire_at: datetime.datetime) -> None: ...
    def email_of(self, session_hash: str) -> str | None:
        """The session's address; None if unknown, revoked or expired."""

    def revoke(self, session_hash: str) -> None: ...
