"""The ids apkdrop mints and reads, and the names clients choose, as they are spelled."""

import base64
import hashlib
import re
import secrets

MAX_ID_DIGITS = 18  # fits Firestore's int64 with room to spare
# App and upload ids: 16 random bytes in URL-safe base64 (22 characters); a little longer is
# still read as one, so that ids never need a migration.
OPAQUE_ID_BYTES = 16
OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{16,43}$")
# Sign-in requests: 16 random bytes in hex.
REQUEST_ID = "[0-9a-f]{32}"
PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def parse_id(text: str) -> int | None:
    """`28` → 28; anything else (0, -1, ' 1', '²', '١٢', 19+ digits) → None."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None
    return int(text) or None


def new_opaque_id() -> str:
    """Never starting with "-": an id is typed as a command's argument (`apkdrop app delete
    ID`), where a leading dash reads as an option."""
    while (opaque := secrets.token_urlsafe(OPAQUE_ID_BYTES)).startswith("-"):
        pass
    return opaque


def derived_opaque_id(*subject: object) -> str:
    """An opaque id that is the same for the same subject, however often it is made: what
    records a repeated action once."""
    key = "/".join(str(part) for part in subject).encode()
    digest = hashlib.sha256(key).digest()[:OPAQUE_ID_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_request_id() -> str:
    return secrets.token_hex(16)
