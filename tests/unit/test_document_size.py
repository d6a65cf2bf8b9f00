"""Requests too big for one Firestore document (1 MiB) are refused with 400 before any write."""

import datetime

import pytest

from apkdrop.accounts import MAX_EMAIL_CHARS
from apkdrop.apk.limits import MAX_NAME_CHARS, MAX_PERMISSIONS
from apkdrop.applications.document_size import (
    DOCUMENT_NAME_ALLOWANCE_BYTES,
    MAX_DOCUMENT_BYTES,
    encoded_size,
    ensure_fits,
)
from apkdrop.applications.form import MAX_RELEASE_NOTES_CHARS
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest
from tests.fakes import fake_dependencies, fake_store
from tests.fixtures.apk_builder import build_apk
from tests.unit.test_application_service import ALICE, app_objects, refused, upload

WIDE = "\U0001d51e"  # MATHEMATICAL FRAKTUR SMALL A: four bytes in UTF-8, one character


# --- Firestore's size rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("", 1),
        ("abc", 4),
        ("é", 3),
        (WIDE, 5),
        (True, 1),
        (None, 1),
        (7, 8),
        (1.5, 8),
        (datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), 8),
        (["a", "bc"], 5),
        ({"a": 1}, 10),
        ({"tags": ["x"], "on": False}, 5 + 2 + 3 + 1),
    ],
)
def test_encoded_size_follows_firestore(value: object, size: int) -> None:
    assert encoded_size(value) == size


def test_an_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        encoded_size(object())


def test_a_document_up_to_the_limit_fits_and_one_byte_more_does_not() -> None:
    room = MAX_DOCUMENT_BYTES - DOCUMENT_NAME_ALLOWANCE_BYTES - encoded_size("notes") - 1
    ensure_fits("The version", {"notes": "x" * room})
    with pytest.raises(InvalidRequest) as caught:
        ensure_fits("The version", {"notes": "x" * (room + 1)})
    assert caught.value.detail == (
        f"The version is too large to store: {MAX_DOCUMENT_BYTES + 1} bytes, more than "
        f"the {MAX_DOCUMENT_BYTES} a Firestore document holds; most of it is notes"
    )


def test_the_largest_field_is_named_through_nested_maps() -> None:
    fields = {"apkInfo": {"packageName": "p", "permissions": ["x" * MAX_DOCUMENT_BYTES]}}
    with pytest.raises(InvalidRequest) as caught:
        ensure_fits("The version", fields)
    assert caught.value.detail.endswith("most of it is apkInfo.permissions")


# --- the real ways an upload outgrows a document ------------------------------------------------


def widest_addresses(count: int) -> list[str]:
    """Valid addresses of the longest allowed length, almost every character four bytes."""
    local = MAX_EMAIL_CHARS - len("@x.io") - 4
    return [f"{n:04d}{WIDE * local}@x.io" for n in range(count)]


def nothing_stored(deps: Dependencies) -> bool:
    return app_objects(deps) == set() and fake_store(deps).apps == {}


def test_the_widest_allowed_users_alone_still_fit(deps: Dependencies) -> None:
    users = widest_addresses(deps.settings.max_allowed_users)
    answer = upload(deps, ALICE, build_apk(), accessType="private", allowedUsers=",".join(users))
    assert answer.data.accessType == "private"


def test_allowed_users_and_the_longest_release_notes_are_refused(deps: Dependencies) -> None:
    users = widest_addresses(deps.settings.max_allowed_users)
    error = refused(
        deps,
        ALICE,
        build_apk(),
        accessType="private",
        allowedUsers=",".join(users),
        releaseNotes=WIDE * MAX_RELEASE_NOTES_CHARS,
    )
    assert isinstance(error, InvalidRequest)
    assert error.detail.startswith("The version is too large to store")
    assert error.detail.endswith("most of it is allowedUsers")
    assert nothing_stored(deps)


def test_allowed_users_and_notification_recipients_are_refused(deps: Dependencies) -> None:
    users = widest_addresses(deps.settings.max_allowed_users)
    recipients = widest_addresses(deps.settings.max_notification_recipients)
    error = refused(
        deps,
        ALICE,
        build_apk(),
        accessType="private",
        allowedUsers=",".join(users),
        sendNotification="true",
        notificationEmails=",".join(recipients),
    )
    assert error.detail.startswith("The version is too large to store")
    assert nothing_stored(deps)
    assert deps.email_queue.tasks == {}


def test_a_hostile_apk_with_the_widest_permissions_and_allowed_users_is_refused(
    deps: Dependencies,
) -> None:
    permissions = [f"{n:03d}{WIDE * (MAX_NAME_CHARS - 3)}" for n in range(MAX_PERMISSIONS)]
    hostile = build_apk("com.example.hostile", permissions=permissions)
    users = widest_addresses(600)
    error = refused(deps, ALICE, hostile, accessType="private", allowedUsers=",".join(users))
    assert error.detail.startswith("The version is too large to store")
    assert error.detail.endswith("most of it is allowedUsers")
    assert nothing_stored(deps)


def test_a_raised_cap_on_allowed_users_is_refused_not_stored() -> None:
    deps = fake_dependencies(max_allowed_users=2000)
    users = widest_addresses(2000)
    error = refused(deps, ALICE, build_apk(), accessType="private", allowedUsers=",".join(users))
    assert error.detail.startswith("The version is too large to store")
    assert nothing_stored(deps)


def test_a_new_version_too_large_leaves_the_app_as_it_was(deps: Dependencies) -> None:
    first = upload(deps, ALICE, build_apk())
    users = widest_addresses(deps.settings.max_allowed_users)
    error = refused(
        deps,
        ALICE,
        build_apk(),
        accessType="private",
        allowedUsers=",".join(users),
        releaseNotes=WIDE * MAX_RELEASE_NOTES_CHARS,
    )
    assert error.detail.startswith("The version is too large to store")
    assert fake_store(deps).apps[first.data.id]["latest_application_version"] == 1
    assert len(app_objects(deps)) == 1
