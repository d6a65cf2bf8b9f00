"""What sign-in needs from the database."""

import datetime
from typing import Protocol


class TokenRepository(Protocol):
    def create(
        self, token_hash: str, email: str, app_id: str, expire_at: datetime.datetime
    ) -> None: ...
    def redeem(self, token_hash: str) -> tuple[str, str] | None: ...
