"""Paged lists: `?limit=N&pageToken=T` in, `{"data": [...], "nextPageToken": T | null}` out.

A page token is the base64url of the previous page's last sort key, as JSON: opaque to
clients, and validated against the key's type when it comes back.
"""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, Field, PlainSerializer, TypeAdapter
from werkzeug.datastructures import MultiDict

from apkdrop.errors import InvalidRequest
from apkdrop.ids import MAX_ID_DIGITS, OPAQUE_ID, parse_id
from apkdrop.shared_models import Timestamp

DEFAULT_PAGE_SIZE = 50
Key = TypeVar("Key")
Item = TypeVar("Item")


class TimeCursor(NamedTuple):
    """Where a list sorted newest first (ties by id) resumes: after the item of this time and
    id. In a page token at full precision: the API's milliseconds would skip or repeat items."""

    at: Annotated[Timestamp, PlainSerializer(datetime.isoformat, return_type=str, when_used="json")]
    id: Annotated[str, Field(pattern=OPAQUE_ID.pattern)]  # events' ids are opaque ids


TIME_CURSOR: TypeAdapter[TimeCursor] = TypeAdapter(TimeCursor)
# Where a list of an app's versions (newest first) resumes: below this version number, a JSON
# integer Firestore can compare (a larger one would fail the query, not the token).
VERSION_CURSOR: TypeAdapter[int] = TypeAdapter(
    Annotated[int, Field(strict=True, ge=1, lt=10**MAX_ID_DIGITS)]
)


@dataclass(frozen=True)
class PageRequest(Generic[Key]):
    limit: int
    # The sort key of the previous page's last item; None for the first page.
    after: Key | None


class Page(BaseModel, Generic[Item]):
    data: list[Item]
    nextPageToken: str | None


def page_request(
    args: MultiDict[str, str], key_type: TypeAdapter[Key], max_size: int
) -> PageRequest[Key]:
    """`limit` 1..max_size (default DEFAULT_PAGE_SIZE, or max_size if smaller) and `pageToken`;
    an empty value counts as omitted. Anything else is a 400."""
    limit, token = _once(args, "limit"), _once(args, "pageToken")
    size = min(DEFAULT_PAGE_SIZE, max_size)
    if limit:
        size = parse_id(limit) or 0
        if not 1 <= size <= max_size:
            raise InvalidRequest(f"limit must be an integer from 1 to {max_size}")
    return PageRequest(limit=size, after=_sort_key(token, key_type) if token else None)


def page_token(key: Key, key_type: TypeAdapter[Key]) -> str:
    return base64.urlsafe_b64encode(key_type.dump_json(key)).rstrip(b"=").decode()


def _sort_key(token: str, key_type: TypeAdapter[Key]) -> Key:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return key_type.validate_json(text)
    except ValueError as exc:  # not base64 or not ASCII, or not the key's type (ValidationError)
        raise InvalidRequest("pageToken is not one this API handed out") from exc


def _once(args: MultiDict[str, str], name: str) -> str:
    values = args.getlist(name)
    if len(values) > 1:
        raise InvalidRequest(f"{name} must be given at most once")
    return values[0] if values else ""
