"""The one paging rule of every list endpoint: `?limit=&pageToken=`, and opaque page tokens.

A token wraps the sort key of the last item of the page before (what the list resumes after);
clients only hand it back. It grants nothing: every query is still limited to the caller's own
objects, so a forged token can at most skip within them.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from apkdrop.errors import InvalidRequest
from apkdrop.ids import parse_id

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Sort keys are short (a timestamp and an id): a longer token was not made by us.
MAX_TOKEN_CHARS = 512
BAD_LIMIT = f"limit must be an integer from 1 to {MAX_LIMIT}"
BAD_TOKEN = "pageToken is not a token this API returned"


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: str | None  # the sort key the page starts after; None: the first page


def parse_page_request(args: Mapping[str, str]) -> PageRequest:
    """`limit` (default 50, at most 100) and `pageToken` of a request's query string."""
    limit_text = args.get("limit")
    limit = DEFAULT_LIMIT if limit_text is None else parse_id(limit_text)
    if limit is None or limit > MAX_LIMIT:
        raise InvalidRequest(BAD_LIMIT)
    token = args.get("pageToken")
    return PageRequest(limit=limit, after=None if token is None else decode_token(token))


def encode_token(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The sort key in a token; InvalidRequest (400) for anything `encode_token` did not make."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidRequest(BAD_TOKEN)
    try:
        sort_key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII text, or not UTF-8
        raise InvalidRequest(BAD_TOKEN) from exc
    if not sort_key or encode_token(sort_key) != token:  # one spelling per key
        raise InvalidRequest(BAD_TOKEN)
    return sort_key
