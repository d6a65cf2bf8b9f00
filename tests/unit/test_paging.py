"""`?limit=&pageToken=` of the paged lists, and the tokens they hand out."""

import datetime

import pytest
from pydantic import TypeAdapter
from werkzeug.datastructures import MultiDict

from apkdrop.errors import InvalidRequest
from apkdrop.paging import DEFAULT_PAGE_SIZE, TIME_CURSOR, PageRequest, page_request, page_token

KEY = TypeAdapter(tuple[int, str])


def parse(query: list[tuple[str, str]], max_size: int = 100) -> PageRequest:
    return page_request(MultiDict(query), KEY, max_size)


def test_without_parameters_the_first_page_of_the_default_size() -> None:
    assert parse([]) == PageRequest(limit=DEFAULT_PAGE_SIZE, after=None)
    assert parse([("limit", ""), ("pageToken", "")]) == PageRequest(DEFAULT_PAGE_SIZE, None)


def test_the_default_size_never_exceeds_the_largest() -> None:
    assert parse([], max_size=20).limit == 20


@pytest.mark.parametrize("limit", ["1", "37", "100"])
def test_a_limit_within_range(limit: str) -> None:
    assert parse([("limit", limit)]).limit == int(limit)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "1.5", "ten", " 5", "+5", "9" * 40, "١٢"])
def test_a_limit_out_of_range_or_not_an_integer_is_refused(limit: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse([("limit", limit)])
    assert refused.value.detail == "limit must be an integer from 1 to 100"


@pytest.mark.parametrize("name", ["limit", "pageToken"])
def test_a_repeated_parameter_is_refused(name: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse([(name, "1"), (name, "2")])
    assert refused.value.detail == f"{name} must be given at most once"


def test_a_token_brings_back_the_sort_key_it_was_made_of() -> None:
    token = page_token((7, "evt-Z_9"), KEY)
    assert parse([("pageToken", token)]).after == (7, "evt-Z_9")
    assert "=" not in token  # unpadded: safe in a query string as it is


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        "é",
        page_token((7, "a"), KEY)[:-3],
        page_token((7, "a"), KEY) + "x",
        # Valid base64 of JSON, not of the key's type.
        page_token(("seven", "a"), TypeAdapter(tuple[str, str])),
        page_token((1, "a", "b"), TypeAdapter(tuple[int, str, str])),
    ],
)
def test_a_token_this_api_did_not_hand_out_is_refused(token: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse([("pageToken", token)])
    assert refused.value.detail == "pageToken is not one this API handed out"


def test_a_timestamp_key_keeps_its_microseconds() -> None:
    at = datetime.datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=datetime.UTC)
    token = page_token((at, "AAAAAAAAAAAAAAAAAAAAAA"), TIME_CURSOR)
    assert page_request(MultiDict({"pageToken": token}), TIME_CURSOR, 100).after == (
        at,
        "AAAAAAAAAAAAAAAAAAAAAA",
    )


def test_a_timestamp_key_out_of_range_is_refused() -> None:
    raw = TypeAdapter(tuple[str, str])
    with pytest.raises(InvalidRequest):
        page_request(
            MultiDict({"pageToken": page_token(("0001-01-01T00:00:00+05:00", "e"), raw)}),
            TIME_CURSOR,
            100,
        )
