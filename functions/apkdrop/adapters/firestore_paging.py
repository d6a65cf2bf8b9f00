"""One page of a query newest first, by a (time, id) cursor: the audit trail, hook deliveries,
an account's apps."""

from collections.abc import Callable
from typing import Protocol, TypeVar

from google.cloud import firestore

from apkdrop.paging import TimeCursor


class Paged(Protocol):
    def cursor(self) -> TimeCursor: ...


Item = TypeVar("Item", bound=Paged)


def newest_first(
    query: firestore.Query,
    fields: tuple[str, str],
    parse: Callable[[dict], Item],
    limit: int,
    after: TimeCursor | None,
) -> tuple[list[Item], TimeCursor | None]:
    """Up to `limit` documents ordered by `fields` (a time, then an id) descending, after the
    cursor, and the cursor of the next page, or None at the end (a composite index serves it)."""
    time_field, id_field = fields
    query = query.order_by(time_field, direction=firestore.Query.DESCENDING).order_by(
        id_field, direction=firestore.Query.DESCENDING
    )
    if after is not None:
        query = query.start_after({time_field: after[0], id_field: after[1]})
    # One more than asked for tells whether another page follows.
    found = [parse(doc.to_dict() or {}) for doc in query.limit(limit + 1).stream()]
    page = found[:limit]
    return page, page[-1].cursor() if len(found) > limit else None
