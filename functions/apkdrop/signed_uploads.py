"""The headers of a direct-to-bucket PUT: every one of them is signed into the URL."""

CONTENT_TYPE = "application/octet-stream"


def upload_headers(max_bytes: int, metadata: dict[str, str] | None = None) -> dict[str, str]:
    """What the client must send with the PUT, exactly; a changed header voids the signature."""
    return {
        "Content-Type": CONTENT_TYPE,
        "X-Goog-Content-Length-Range": f"0,{max_bytes}",
        # The object may only be created, so a leaked URL cannot overwrite an upload.
        "x-goog-if-generation-match": "0",
        **{f"x-goog-meta-{name}": value for name, value in (metadata or {}).items()},
    }
