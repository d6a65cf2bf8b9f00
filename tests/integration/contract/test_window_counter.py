"""WindowCounter: `FakeRateLimitWindows` and `RateLimitWindows` keep the same contract."""

import datetime

import pytest

from apkdrop.adapters import firestore_applications
from apkdrop.applications.rate_limit import WindowCounter
from tests.fakes import FakeRateLimitWindows
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration
EXPIRES = datetime.datetime(2026, 3, 1, 13, 0, tzinfo=datetime.UTC)


@pytest.fixture(params=IMPLEMENTATIONS)
def windows(request: pytest.FixtureRequest) -> WindowCounter:
    return fake_or_firestore(request, FakeRateLimitWindows, firestore_applications.RateLimitWindows)


def test_each_increment_returns_the_window_count_so_far(windows: WindowCounter) -> None:
    window = unique("window")
    assert [windows.increment(window, EXPIRES) for _ in range(3)] == [1, 2, 3]


def test_windows_count_separately(windows: WindowCounter) -> None:
    window, other = unique("window"), unique("window")
    windows.increment(window, EXPIRES)
    windows.increment(window, EXPIRES)
    assert windows.increment(other, EXPIRES) == 1
    assert windows.increment(window, EXPIRES) == 3
