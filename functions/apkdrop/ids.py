"""Integer ids as clients and object metadata spell them."""

MAX_ID_DIGITS = 18  # fits Firestore's int64 with room to spare


def parse_id(text: str) -> int | None:
    """`28` → 28; anything else (0, -1, ' 1', '²', '١٢', 19+ digits) → None."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None
    return int(text) or None
