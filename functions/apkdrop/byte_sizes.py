"""How byte counts read in pages, emails and warnings: "6.1 MB", "+1.3 MB", "-12 KB"."""

MIB = 1024 * 1024


def human_size(count: int) -> str:
    return f"{count / MIB:.1f} MB" if count >= MIB else f"{count / 1024:.0f} KB"


def signed_size(delta: int) -> str:
    """A size change with its sign; "no change" for none."""
    if delta == 0:
        return "no change"
    return ("+" if delta > 0 else "-") + human_size(abs(delta))
