"""enforce_rate_limit: fixed one-minute windows per key, counted in a shared store."""

import datetime

import pytest

from apkdrop.applications.rate_limit import (
    RATE_LIMITED,
    WINDOW_RETENTION,
    WINDOW_SECONDS,
    enforce_rate_limit,
)
from apkdrop.errors import RateLimited
from tests.fakes import FakeRateLimitWindows

UTC = datetime.UTC
# 2026-03-01T12:00:00Z, the start of a window.
WINDOW_START = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
WINDOW = int(WINDOW_START.timestamp()) // 60


def at(seconds: float) -> datetime.datetime:
    return WINDOW_START + datetime.timedelta(seconds=seconds)


def test_the_message_and_window_clients_rely_on() -> None:
    assert RATE_LIMITED == "Rate limit exceeded. Please try again later."
    assert WINDOW_SECONDS == 60


def test_limit_requests_pass_then_the_next_is_refused() -> None:
    counter = FakeRateLimitWindows()
    for second in range(5):
        enforce_rate_limit(counter, "key-a", 5, at(second))

    with pytest.raises(RateLimited) as caught:
        enforce_rate_limit(counter, "key-a", 5, at(20))

    assert caught.value.detail == "Rate limit exceeded. Please try again later."
    assert caught.value.retry_after == 40
    assert counter.counts == {f"key-a-{WINDOW}": 6}


def test_refused_requests_still_count() -> None:
    counter = FakeRateLimitWindows()
    enforce_rate_limit(counter, "k", 1, at(0))
    for _ in range(3):
        with pytest.raises(RateLimited):
            enforce_rate_limit(counter, "k", 1, at(1))
    assert counter.counts == {f"k-{WINDOW}": 4}


def test_windows_are_per_key() -> None:
    counter = FakeRateLimitWindows()
    enforce_rate_limit(counter, "key-a", 1, at(1))
    enforce_rate_limit(counter, "key-b", 1, at(2))  # another key has its own window
    with pytest.raises(RateLimited):
        enforce_rate_limit(counter, "key-a", 1, at(3))
    assert counter.counts == {f"key-a-{WINDOW}": 2, f"key-b-{WINDOW}": 1}


def test_windows_are_per_minute() -> None:
    counter = FakeRateLimitWindows()
    enforce_rate_limit(counter, "k", 1, at(59.999))
    enforce_rate_limit(counter, "k", 1, at(60))  # the next window starts afresh
    with pytest.raises(RateLimited):
        enforce_rate_limit(counter, "k", 1, at(119.5))
    enforce_rate_limit(counter, "k", 1, at(120))
    assert counter.counts == {f"k-{WINDOW}": 1, f"k-{WINDOW + 1}": 2, f"k-{WINDOW + 2}": 1}


def test_window_is_the_same_whatever_the_time_zone() -> None:
    counter = FakeRateLimitWindows()
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    enforce_rate_limit(counter, "k", 5, at(10).astimezone(plus_two))
    enforce_rate_limit(counter, "k", 5, at(11))
    assert counter.counts == {f"k-{WINDOW}": 2}


@pytest.mark.parametrize(
    ("second", "retry_after"),
    [
        (0, 60),
        (0.2, 60),
        (1, 59),
        (30, 30),
        (30.5, 30),
        (58.9, 2),
        (59, 1),
        (59.5, 1),
        (59.9999, 1),
    ],
)
def test_retry_after_is_the_seconds_to_the_window_end(second: float, retry_after: int) -> None:
    counter = FakeRateLimitWindows()
    counter.counts[f"k-{WINDOW}"] = 3
    with pytest.raises(RateLimited) as caught:
        enforce_rate_limit(counter, "k", 3, at(second))
    assert caught.value.retry_after == retry_after
    assert 1 <= caught.value.retry_after <= 60


def test_retry_after_always_reaches_the_next_window() -> None:
    """Waiting `retry_after` seconds always lands in a later window, within a minute."""
    for tenth in range(600):
        now = at(tenth / 10)
        counter = FakeRateLimitWindows()
        counter.counts[f"k-{WINDOW}"] = 1
        with pytest.raises(RateLimited) as caught:
            enforce_rate_limit(counter, "k", 1, now)
        later = now + datetime.timedelta(seconds=caught.value.retry_after)
        assert 1 <= caught.value.retry_after <= 60
        assert int(later.timestamp()) // 60 == WINDOW + 1


def test_windows_expire_at_least_an_hour_after_they_end() -> None:
    counter = FakeRateLimitWindows()
    enforce_rate_limit(counter, "k", 5, at(17))
    (call,) = counter.calls
    window_end = at(60)
    assert call.window_id == f"k-{WINDOW}"
    assert call.expires_at >= window_end + datetime.timedelta(hours=1)
    assert call.expires_at == window_end + WINDOW_RETENTION
    assert call.expires_at.tzinfo is not None


def test_retry_after_is_a_ceiling_even_within_the_last_millisecond() -> None:
    counter = FakeRateLimitWindows()
    counter.counts[f"k-{WINDOW}"] = 1
    with pytest.raises(RateLimited) as caught:
        enforce_rate_limit(counter, "k", 1, at(0.9995))
    assert caught.value.retry_after == 60
