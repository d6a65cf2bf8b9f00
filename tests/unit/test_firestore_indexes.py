"""The paged lists' queries against the composite indexes Terraform creates.

The emulator serves any query without an index; production refuses one that needs a composite
index it does not have. Each adapter query is built by the real SDK (nothing is sent: `stream`
is replaced), and its equality filters and orders must be exactly an index's fields.
"""

import datetime
import re
from collections.abc import Callable

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import BaseQuery

from apkdrop.adapters.firestore import live_contexts_query
from apkdrop.adapters.firestore_applications import (
    ApplicationStore,
    newest_in_channel,
    stale_query,
)
from apkdrop.adapters.firestore_audit import AuditTrail
from apkdrop.adapters.firestore_downloads import DownloadJournal
from apkdrop.applications.models import Awaited
from tests.terraform_hcl import blocks

DIRECTIONS = {1: "ASCENDING", 2: "DESCENDING"}  # StructuredQuery.Direction
Fields = tuple[tuple[str, str], ...]


def terraform_indexes() -> dict[str, set[Fields]]:
    """Each collection's composite indexes: their fields, in order."""
    indexes: dict[str, set[Fields]] = {}
    for _, block in blocks("resource"):
        for index in block.get("google_firestore_index", {}).values():
            fields = tuple((field["field_path"], field["order"]) for field in index["fields"])
            indexes.setdefault(index["collection"], set()).add(fields)
    return indexes


def sent_query(monkeypatch: pytest.MonkeyPatch, run: Callable[[firestore.Client], object]):
    """The one query `run` streams, as (collection, equality fields, orders)."""
    seen: list[BaseQuery] = []

    def stream(query: BaseQuery, *args: object, **kwargs: object) -> list:
        seen.append(query)
        return []

    monkeypatch.setattr(firestore.Query, "stream", stream)
    run(firestore.Client(project="apkdrop-test", credentials=AnonymousCredentials()))
    (query,) = seen
    proto = query._to_protobuf()  # what the SDK would send
    (source,) = proto.from_
    filters = proto.where.composite_filter.filters or [proto.where]
    orders = tuple(
        (order.field.field_path, DIRECTIONS[order.direction])
        for order in proto.order_by
        if order.field.field_path != "__name__"  # every index ends with it, implicitly
    )
    ordered = {field for field, _ in orders}
    # `== None` is a unary filter; a range filter's field is the one the query orders by.
    filtered = ((f.field_filter or f.unary_filter).field.field_path for f in filters)
    equalities = tuple((field, "ASCENDING") for field in filtered if field not in ordered)
    return source.collection_id, equalities + orders


QUERIES = {
    "an account's audit trail": lambda client: AuditTrail(client).trail("acct", 50, None),
    "a page of an account's apps": lambda client: ApplicationStore(client).apps_of_account(
        "acct", 50, None
    ),
    "an app's downloads": lambda client: DownloadJournal(client).newest("app", None, 50, None),
    "one version's downloads": lambda client: DownloadJournal(client).newest("app", 2, 50, None),
    "a channel's newest version": lambda client: newest_in_channel(
        client, "app", "nightly"
    ).stream(),
    "a page of a channel's versions": lambda client: ApplicationStore(client).newest_versions(
        "app", 50, "nightly", 120
    ),
    "a project's contexts past its maxAgeDays": lambda client: live_contexts_query(
        client, "acct", "demo", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    ).stream(),
}


@pytest.mark.parametrize("name", QUERIES)
def test_each_paged_query_has_its_composite_index(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    collection, fields = sent_query(monkeypatch, QUERIES[name])
    assert fields in terraform_indexes().get(collection, set()), (
        f"{name}: no google_firestore_index on {collection} with fields {fields}"
    )


def stale(awaited: Awaited) -> Callable[[firestore.Client], object]:
    moment = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    return lambda client: stale_query(client, awaited, moment).stream()


COLLECTION_GROUP_QUERIES = {
    "the versions keeping an object": lambda client: ApplicationStore(client).object_in_use(
        "applications/acct/upload.apk"
    ),
    **{f"the {awaited.name.lower()}s waited for too long": stale(awaited) for awaited in Awaited},
    "the version deletions left halfway": lambda client: ApplicationStore(
        client
    ).versions_deleted_halfway(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), 100),
}


def field_overrides() -> dict[tuple[str, str], dict]:
    """Each google_firestore_field by (collection, field), a for_each over a literal list
    expanded."""
    overrides = {}
    for _, block in blocks("resource"):
        for field in block.get("google_firestore_field", {}).values():
            names = [field["field"]]
            if field["field"] == "${each.key}":
                names = re.findall(r'"([^"]+)"', field["for_each"])
            overrides |= {(field["collection"], name): field for name in names}
    return overrides


@pytest.mark.parametrize("name", COLLECTION_GROUP_QUERIES)
def test_each_collection_group_query_has_its_fields_collection_group_index(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Automatic single-field indexes serve one collection, not a group of them."""
    collection, fields = sent_query(monkeypatch, COLLECTION_GROUP_QUERIES[name])
    ((field_path, _),) = set(fields)
    override = field_overrides().get((collection, field_path))
    assert override, f"{name}: no google_firestore_field on {collection}.{field_path}"
    scopes = {index["query_scope"] for index in override["index_config"][0]["indexes"]}
    assert "COLLECTION_GROUP" in scopes
