"""How a version number is shown: version 3 is "3.0" in answers, links and pages."""

from apkdrop.ids import parse_id


def label(number: int) -> str:
    return f"{number}.0"


def parse_label(text: str) -> int | None:
    """`3.0` or `3` → 3; anything else (`3.5`, `03.00`, `0`, `abc`) names no version: None."""
    whole, _, fraction = text.partition(".")
    return parse_id(whole) if fraction in ("", "0") else None
