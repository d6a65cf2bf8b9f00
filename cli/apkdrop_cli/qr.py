"""A QR code of a link as text: GitHub strips `data:` images (and inline SVG) from job
summaries and comments, but shows a fenced code block as it is, on every page."""

import segno

# Two rows of modules per line of text: upper, lower, both, neither.
HALF_BLOCKS = {(True, False): "▀", (False, True): "▄", (True, True): "█", (False, False): " "}
QUIET_ZONE_MODULES = 2  # as the install page's code; phone cameras read it on a code block


def qr_text(link: str) -> str:
    """The code as lines of half blocks, dark modules drawn; no trailing line break."""
    rows = [
        [bool(module) for module in row]
        for row in segno.make(link, error="m").matrix_iter(border=QUIET_ZONE_MODULES)
    ]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return "\n".join(
        "".join(HALF_BLOCKS[pair] for pair in zip(upper, lower, strict=True)).rstrip()
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    )
