"""DeliveryRepository: `FakeDeliveries` and `DeliveryLedger` keep the same contract."""

import datetime

import pytest

from apkdrop.adapters import firestore_notifications
from apkdrop.notifications.ports import Claim, DeliveryRepository
from tests.fakes import FakeDeliveries
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration
LEASE = datetime.timedelta(minutes=5)
LAPSED = datetime.timedelta(seconds=-1)  # a lease that ended already: its worker died


@pytest.fixture(params=IMPLEMENTATIONS)
def deliveries(request: pytest.FixtureRequest) -> DeliveryRepository:
    return fake_or_firestore(request, FakeDeliveries, firestore_notifications.DeliveryLedger)


def test_a_new_delivery_is_claimed(deliveries: DeliveryRepository) -> None:
    assert deliveries.claim(unique("delivery"), LEASE) is Claim.CLAIMED


def test_a_delivery_under_lease_is_busy(deliveries: DeliveryRepository) -> None:
    delivery = unique("delivery")
    deliveries.claim(delivery, LEASE)
    assert deliveries.claim(delivery, LEASE) is Claim.BUSY


def test_a_lapsed_lease_is_claimed_again(deliveries: DeliveryRepository) -> None:
    delivery = unique("delivery")
    deliveries.claim(delivery, LAPSED)
    assert deliveries.claim(delivery, LEASE) is Claim.CLAIMED
    assert deliveries.claim(delivery, LEASE) is Claim.BUSY


@pytest.mark.parametrize(("status", "reason"), [("sent", None), ("failed", "mailbox refused")])
def test_a_finished_delivery_is_done_with_its_outcome(
    deliveries: DeliveryRepository, status: str, reason: str | None
) -> None:
    delivery = unique("delivery")
    deliveries.claim(delivery, LEASE)
    deliveries.finish(delivery, status, reason)
    assert deliveries.claim(delivery, LEASE) is Claim.DONE
    assert deliveries.outcome(delivery) == (status, reason)


def test_a_released_delivery_is_claimed_again_even_under_its_lease(
    deliveries: DeliveryRepository,
) -> None:
    delivery = unique("delivery")
    deliveries.claim(delivery, LEASE)
    deliveries.release(delivery)
    assert deliveries.claim(delivery, LEASE) is Claim.CLAIMED


def test_a_delivery_that_is_not_finished_has_no_reason(deliveries: DeliveryRepository) -> None:
    delivery, released = unique("delivery"), unique("delivery")
    deliveries.claim(delivery, LEASE)
    deliveries.claim(released, LEASE)
    deliveries.release(released)
    assert deliveries.outcome(delivery) == ("sending", None)
    assert deliveries.outcome(released) == ("retry", None)
