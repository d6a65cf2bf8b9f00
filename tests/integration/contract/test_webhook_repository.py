"""HookRepository and DeliveryRecords: the fakes and `firestore_webhooks` keep one contract."""

import datetime

import pytest

from apkdrop.adapters import firestore_webhooks
from apkdrop.ids import new_opaque_id
from apkdrop.notifications.ports import Claim
from apkdrop.webhooks.models import DeliveryState, EventType, Hook, HookKind
from apkdrop.webhooks.ports import DeliveryRecords, HookRepository
from tests.fakes import FakeHookDeliveries, FakeHookStore
from tests.integration.contract.conftest import IMPLEMENTATIONS, fake_or_firestore, unique

pytestmark = pytest.mark.integration
T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
LEASE = datetime.timedelta(seconds=40)
EVENT = (new_opaque_id(), EventType.VERSION_CREATED)


@pytest.fixture(params=IMPLEMENTATIONS)
def hooks(request: pytest.FixtureRequest) -> HookRepository:
    return fake_or_firestore(request, FakeHookStore, firestore_webhooks.HookStore)


@pytest.fixture(params=IMPLEMENTATIONS)
def records(request: pytest.FixtureRequest) -> DeliveryRecords:
    return fake_or_firestore(request, FakeHookDeliveries, firestore_webhooks.HookDeliveryLog)


def hook_of(account_id: str, minute: int = 0) -> Hook:
    return Hook(
        id=new_opaque_id(),
        accountId=account_id,
        url="https://hooks.example.com/in",
        kind=HookKind.JSON,
        events=[EventType.VERSION_CREATED],
        appId=None,
        channel="beta",
        createdAt=T0 + datetime.timedelta(minutes=minute),
    )


def test_hooks_are_stored_per_account_up_to_the_cap(hooks: HookRepository) -> None:
    account, other = unique("account"), unique("account")
    first, second, third = hook_of(account, 2), hook_of(account, 1), hook_of(account, 3)

    assert hooks.add_hook(first, 2) and hooks.add_hook(second, 2)
    assert not hooks.add_hook(third, 2)
    assert hooks.add_hook(hook_of(other), 2)

    assert hooks.hooks_of_account(account) == [second, first]
    assert hooks.get_hook(first.id) == first
    assert hooks.get_hook(third.id) is None


def test_a_deleted_hook_frees_its_place(hooks: HookRepository) -> None:
    account = unique("account")
    hook = hook_of(account)
    hooks.add_hook(hook, 1)

    hooks.delete_hook(hook)
    hooks.delete_hook(hook)  # twice: counted down once

    assert hooks.get_hook(hook.id) is None
    assert hooks.add_hook(hook_of(account), 1)
    assert not hooks.add_hook(hook_of(account), 1)


def test_a_delivery_is_claimed_counted_and_done_once_finished(records: DeliveryRecords) -> None:
    hook_id, delivery = new_opaque_id(), unique("delivery")

    assert records.claim(delivery, hook_id, EVENT, LEASE, T0) is Claim.CLAIMED
    assert records.claim(delivery, hook_id, EVENT, LEASE, T0) is Claim.BUSY
    records.finish(delivery, DeliveryState.RETRYING, 503, "HTTP 503", T0)
    later = T0 + datetime.timedelta(minutes=1)
    assert records.claim(delivery, hook_id, EVENT, LEASE, later) is Claim.CLAIMED
    records.finish(delivery, DeliveryState.DELIVERED, 200, None, later)
    assert records.claim(delivery, hook_id, EVENT, LEASE, later) is Claim.DONE

    (record,), cursor = records.deliveries(hook_id, 10, None)
    assert cursor is None
    assert record.model_dump() == {
        "eventId": EVENT[0],
        "eventType": EventType.VERSION_CREATED,
        "state": DeliveryState.DELIVERED,
        "attempts": 2,
        "statusCode": 200,
        "lastError": None,
        "firstAttemptAt": T0,
        "lastAttemptAt": later,
        "deliveredAt": later,
    }


def test_a_lapsed_lease_is_claimed_again(records: DeliveryRecords) -> None:
    hook_id, delivery = new_opaque_id(), unique("delivery")
    records.claim(delivery, hook_id, EVENT, LEASE, T0)

    assert records.claim(delivery, hook_id, EVENT, LEASE, T0 + LEASE * 2) is Claim.CLAIMED


def test_a_failed_delivery_is_done(records: DeliveryRecords) -> None:
    hook_id, delivery = new_opaque_id(), unique("delivery")
    records.claim(delivery, hook_id, EVENT, LEASE, T0)
    records.finish(delivery, DeliveryState.FAILED, 400, "HTTP 400", T0)

    assert records.claim(delivery, hook_id, EVENT, LEASE, T0) is Claim.DONE


def test_a_hooks_deliveries_page_newest_first(records: DeliveryRecords) -> None:
    hook_id = new_opaque_id()
    events = sorted(new_opaque_id() for _ in range(3))
    for n, event_id in enumerate(events):  # the last two at the same instant
        at = T0 + datetime.timedelta(minutes=min(n, 1))
        records.claim(
            f"{hook_id}-{event_id}", hook_id, (event_id, EventType.BUILD_FAILED), LEASE, at
        )
    records.claim(unique("delivery"), new_opaque_id(), EVENT, LEASE, T0)  # another hook's

    first, cursor = records.deliveries(hook_id, 2, None)
    assert cursor is not None
    rest, end = records.deliveries(hook_id, 2, cursor)

    assert [d.eventId for d in first + rest] == [events[2], events[1], events[0]]
    assert end is None
