"""The shared paging rule: `limit` and `pageToken`, and tokens only this API makes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apkdrop.errors import InvalidRequest
from apkdrop.paging import (
    BAD_LIMIT,
    BAD_TOKEN,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PageRequest,
    decode_token,
    encode_token,
    parse_page_request,
)


def test_no_arguments_ask_for_the_first_page_of_the_default_size() -> None:
    assert parse_page_request({}) == PageRequest(limit=DEFAULT_LIMIT, after=None)
    assert (DEFAULT_LIMIT, MAX_LIMIT) == (50, 100)


@pytest.mark.parametrize("limit", ["1", "100", "42"])
def test_a_limit_up_to_the_maximum(limit: str) -> None:
    assert parse_page_request({"limit": limit}).limit == int(limit)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "", "1.5", " 5", "١٢", "9" * 30])
def test_any_other_limit_is_refused(limit: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_page_request({"limit": limit})
    assert refused.value.detail == BAD_LIMIT == "limit must be an integer from 1 to 100"


def test_a_token_names_the_sort_key_it_was_made_from() -> None:
    token = encode_token("2026-03-01T12:00:00+00:00 abc")
    assert parse_page_request({"pageToken": token}).after == "2026-03-01T12:00:00+00:00 abc"
    assert "=" not in token and " " not in token


@given(st.text(min_size=1, max_size=200))
def test_every_sort_key_survives_its_token(sort_key: str) -> None:
    assert decode_token(encode_token(sort_key)) == sort_key


@pytest.mark.parametrize(
    "token",
    [
        "",
        "@@@@",
        "a",  # not a whole base64 quantum
        "é",
        "_w",  # decodes to a byte that is not UTF-8
        encode_token("key") + "=",  # another spelling of a real token
        encode_token("x" * 400),  # longer than any sort key
    ],
)
def test_a_token_this_api_did_not_make_is_refused(token: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        decode_token(token)
    assert refused.value.detail == BAD_TOKEN
