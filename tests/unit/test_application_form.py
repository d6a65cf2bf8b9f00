"""read_upload_form: the fields of POST /v1/application, its leniencies and its messages."""

import pytest
from werkzeug.datastructures import MultiDict

from apkdrop import accounts
from apkdrop.applications.form import (
    MAX_RELEASE_NOTES_CHARS,
    SINGLE_VALUED,
    UploadForm,
    read_upload_form,
)
from apkdrop.applications.models import AccessType, VersionAction
from apkdrop.errors import InvalidRequest
from tests.fakes import make_settings

OPAQUE = "AbCdEfGhIjKlMnOpQrStUv"  # 22 characters, like the ids the service mints
SETTINGS = make_settings()


def read(*pairs: tuple[str, str], has_file: bool = True) -> UploadForm:
    return read_upload_form(MultiDict(list(pairs)), has_file=has_file, settings=SETTINGS)


def refused(*pairs: tuple[str, str], has_file: bool = True) -> str:
    with pytest.raises(InvalidRequest) as caught:
        read(*pairs, has_file=has_file)
    return caught.value.detail


# --- which source -------------------------------------------------------------------------------


def test_defaults_with_only_a_file() -> None:
    form = read()
    assert form == UploadForm()
    assert form.accessType is None  # omitted: the version inherits (versions.upload_access)
    assert form.versionAction is VersionAction.CREATE_NEW_VERSION
    assert (form.sendNotification, form.warnings, form.appId) == (False, [], None)


@pytest.mark.parametrize(
    "pairs",
    [(), (("apkUrl", ""),), (("apkUrl", "   "),), (("uploadId", " "),), (("other", "x"),)],
)
def test_neither_file_nor_url(pairs: tuple) -> None:
    assert refused(*pairs, has_file=False) == "Either file or apkUrl must be provided"


@pytest.mark.parametrize(
    ("pairs", "has_file"),
    [
        ((("apkUrl", "https://example.com/a.apk"),), True),
        ((("uploadId", OPAQUE),), True),
        ((("apkUrl", "https://example.com/a.apk"), ("uploadId", OPAQUE)), False),
    ],
)
def test_more_than_one_source(pairs: tuple, has_file: bool) -> None:
    assert refused(*pairs, has_file=has_file) == "Provide only one of file, apkUrl and uploadId"


def test_url_alone_is_a_source_and_is_stripped() -> None:
    form = read(("apkUrl", "  https://example.com/a.apk \n"), has_file=False)
    assert (form.apkUrl, form.uploadId) == ("https://example.com/a.apk", None)


def test_upload_id_alone_is_a_source() -> None:
    assert read(("uploadId", f" {OPAQUE} "), has_file=False).uploadId == OPAQUE


@pytest.mark.parametrize(
    "upload_id", ["short", "x" * 15, "x" * 44, "../../etc/passwd", "a b" * 8, "é" * 22, "a+b/" * 5]
)
def test_upload_id_format(upload_id: str) -> None:
    detail = refused(("uploadId", upload_id), has_file=False)
    assert detail == "uploadId is not one this API issued"


@pytest.mark.parametrize("upload_id", ["x" * 16, "x" * 43, "A-b_" * 4, OPAQUE])
def test_upload_id_accepted_formats(upload_id: str) -> None:
    assert read(("uploadId", upload_id), has_file=False).uploadId == upload_id


# --- choices ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("create_new_app", VersionAction.CREATE_NEW_APP),
        ("Create_New_Version", VersionAction.CREATE_NEW_VERSION),
        (" do_nothing ", VersionAction.DO_NOTHING),
        ("DO_NOTHING", VersionAction.DO_NOTHING),
        ("", VersionAction.CREATE_NEW_VERSION),
    ],
)
def test_version_action_is_case_insensitive(value: str, expected: VersionAction) -> None:
    assert read(("versionAction", value)).versionAction is expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((("accessType", "public"),), AccessType.PUBLIC),
        ((("accessType", " Public "),), AccessType.PUBLIC),
        ((("accessType", ""),), None),
        ((("accessType", "private"), ("allowedUsers", "qa@example.com")), AccessType.PRIVATE),
        ((("accessType", "PRIVATE"), ("allowedUsers", "qa@example.com")), AccessType.PRIVATE),
    ],
)
def test_access_type_is_case_insensitive(pairs: tuple, expected: AccessType | None) -> None:
    assert read(*pairs).accessType is expected


@pytest.mark.parametrize(
    ("name", "value", "detail"),
    [
        ("accessType", "secret", "accessType must be one of PUBLIC, PRIVATE"),
        ("accessType", "PUBLIC_", "accessType must be one of PUBLIC, PRIVATE"),
        (
            "versionAction",
            "replace",
            "versionAction must be one of CREATE_NEW_VERSION, CREATE_NEW_APP, DO_NOTHING",
        ),
        (
            "versionAction",
            "create new app",
            "versionAction must be one of CREATE_NEW_VERSION, CREATE_NEW_APP, DO_NOTHING",
        ),
    ],
)
def test_unknown_choices(name: str, value: str, detail: str) -> None:
    assert refused((name, value)) == detail


# --- allowed users ------------------------------------------------------------------------------


def test_allowed_users_repeated_and_comma_separated() -> None:
    form = read(
        ("accessType", "private"),
        ("allowedUsers", "QA@Example.com, ,lead@example.com,"),
        ("allowedUsers", ""),
        ("allowedUsers", " dev@example.org "),
        ("allowedUsers", "qa@example.com"),  # a duplicate once lower-cased
    )
    assert form.allowedUsers == ["qa@example.com", "lead@example.com", "dev@example.org"]


@pytest.mark.parametrize(
    "users",
    [
        ["qa@example.com,not-an-email"],
        ["qa@example.com", "broken@"],
        ["@example.com"],
        ["a b@example.com"],
        ["qa@@example.com"],
        ["qa@example"],
        ["x" * 250 + "@example.com"],  # longer than 254 characters
    ],
)
def test_any_invalid_allowed_user_is_refused(users: list[str]) -> None:
    pairs = [("accessType", "private"), *(("allowedUsers", user) for user in users)]
    assert refused(*pairs) == "Invalid email format in allowed users"


def test_invalid_allowed_user_is_refused_even_for_public_apps() -> None:
    assert refused(("allowedUsers", "nope")) == "Invalid email format in allowed users"


@pytest.mark.parametrize("users", [[], [""], [" , ,"]])
def test_private_needs_allowed_users(users: list[str]) -> None:
    pairs = [("accessType", "private"), *(("allowedUsers", user) for user in users)]
    assert refused(*pairs) == "allowedUsers is required for PRIVATE applications"


def test_a_public_version_keeps_no_allowed_users() -> None:
    form = read(("accessType", "public"), ("allowedUsers", "qa@example.com"))
    assert (form.accessType, form.allowedUsers) == (AccessType.PUBLIC, [])


def test_allowed_users_without_an_access_type_make_the_version_private() -> None:
    """Fails closed: naming testers never leaves the version open (nor inherits PUBLIC)."""
    form = read(("allowedUsers", "QA@example.com"))
    assert (form.accessType, form.allowedUsers) == (AccessType.PRIVATE, ["qa@example.com"])


# --- notifications ------------------------------------------------------------------------------


def test_invalid_notification_emails_become_warnings() -> None:
    form = read(
        ("notificationEmails", "Dev@Example.com,broken@, qa@example.com"),
        ("notificationEmails", "no-at-sign"),
        ("notificationEmails", "broken@"),  # reported once
    )
    assert form.notificationEmails == ["dev@example.com", "qa@example.com"]
    assert form.warnings == [
        "Ignored invalid notification email: 'broken@'",
        "Ignored invalid notification email: 'no-at-sign'",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_send_notification_variants(value: str, expected: bool) -> None:
    assert read(("sendNotification", value)).sendNotification is expected


@pytest.mark.parametrize("value", ["maybe", "2", "truee", "y", "nah"])
def test_send_notification_invalid(value: str) -> None:
    assert refused(("sendNotification", value)) == "sendNotification must be true or false"


# --- release notes and appId --------------------------------------------------------------------


def test_release_notes_at_the_limit() -> None:
    notes = "é" * MAX_RELEASE_NOTES_CHARS
    assert MAX_RELEASE_NOTES_CHARS == 16_384
    assert read(("releaseNotes", notes)).releaseNotes == notes


def test_release_notes_over_the_limit() -> None:
    detail = refused(("releaseNotes", "x" * 16_385))
    assert detail == "releaseNotes must be at most 16384 characters"


def test_release_notes_are_stripped_before_counting() -> None:
    notes = "  " + "x" * 16_384 + "\n\n"
    assert read(("releaseNotes", notes)).releaseNotes == "x" * 16_384


def test_blank_release_notes_are_none() -> None:
    assert read(("releaseNotes", "  \n ")).releaseNotes is None


@pytest.mark.parametrize("app_id", ["../../x", "short", "x" * 44, "a/b" * 8, "a.b" * 8])
def test_app_id_format(app_id: str) -> None:
    assert refused(("appId", app_id)) == "appId is not a valid application id"


def test_app_id_accepted() -> None:
    assert read(("appId", f" {OPAQUE} ")).appId == OPAQUE
    assert read(("appId", "")).appId is None


def test_channel_defaults_to_default() -> None:
    assert read().channel == "default"
    assert read(("channel", "  ")).channel == "default"


@pytest.mark.parametrize("channel", ["nightly", "pr-123", "release_1.2", "a", "x" * 64])
def test_channel_accepted(channel: str) -> None:
    assert read(("channel", f" {channel} ")).channel == channel


@pytest.mark.parametrize("channel", ["Nightly", "feature/login", "x" * 65, "a b", "ñ", "../x"])
def test_channel_outside_the_pattern_is_refused(channel: str) -> None:
    assert refused(("channel", channel)) == (
        "channel must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"
    )


# --- duplicated fields --------------------------------------------------------------------------

ONE_VALUE = {
    "apkUrl": "https://example.com/a.apk",
    "uploadId": OPAQUE,
    "accessType": "public",
    "versionAction": "create_new_app",
    "sendNotification": "true",
    "releaseNotes": "notes",
    "appId": OPAQUE,
    "signerPolicy": "reject",
    "channel": "nightly",
}


@pytest.mark.parametrize("name", SINGLE_VALUED)
@pytest.mark.parametrize("second", ["same", "other", ""])
def test_a_single_valued_field_given_twice_is_refused(name: str, second: str) -> None:
    value = ONE_VALUE[name]
    again = {"same": value, "other": value + "x", "": ""}[second]
    assert refused((name, value), (name, again)) == f"{name} must be given at most once"


def test_every_field_read_once_is_single_valued() -> None:
    assert set(SINGLE_VALUED) == set(ONE_VALUE)


def test_repeatable_fields_stay_repeatable() -> None:
    form = read(
        ("accessType", "private"),
        ("allowedUsers", "qa@example.com"),
        ("allowedUsers", "lead@example.com"),
        ("notificationEmails", "team@example.com"),
        ("notificationEmails", "dev@example.com"),
    )
    assert form.allowedUsers == ["qa@example.com", "lead@example.com"]
    assert form.notificationEmails == ["team@example.com", "dev@example.com"]


# --- address caps -------------------------------------------------------------------------------

CAPS = [
    ("allowedUsers", SETTINGS.max_allowed_users),
    ("notificationEmails", SETTINGS.max_notification_recipients),
]


def addresses(count: int) -> list[str]:
    return [f"user{n}@example.com" for n in range(count)]


def listing(name: str, *values: str) -> list[tuple[str, str]]:
    """The field given with each of `values`; allowedUsers on a private app, where it counts."""
    access = [("accessType", "private")] if name == "allowedUsers" else []
    return [*access, *((name, value) for value in values)]


@pytest.mark.parametrize(("name", "cap"), CAPS)
def test_as_many_addresses_as_the_cap_are_accepted(name: str, cap: int) -> None:
    form = read(*listing(name, ",".join(addresses(cap))))
    assert getattr(form, name) == addresses(cap)


@pytest.mark.parametrize(("name", "cap"), CAPS)
@pytest.mark.parametrize("split", ["one field", "repeated"])
def test_one_address_beyond_the_cap_is_refused(name: str, cap: int, split: str) -> None:
    given = addresses(cap + 1)
    pairs = listing(name, ",".join(given)) if split == "one field" else listing(name, *given)
    assert refused(*pairs) == (f"{name} may list at most {cap} addresses")


@pytest.mark.parametrize(("name", "cap"), CAPS)
def test_invalid_addresses_count_towards_the_cap(name: str, cap: int) -> None:
    given = ",".join(f"not-an-address-{n}" for n in range(cap + 1))
    assert refused((name, given)) == f"{name} may list at most {cap} addresses"


@pytest.mark.parametrize(("name", "cap"), CAPS)
def test_duplicates_count_once(name: str, cap: int) -> None:
    given = ",".join(addresses(cap) * 3 + [a.upper() for a in addresses(cap)])
    form = read(*listing(name, given))
    assert getattr(form, name) == addresses(cap)


class CountingPattern:
    """Stands in for the address pattern and counts how often it is asked."""

    def __init__(self, pattern) -> None:
        self.pattern = pattern
        self.calls = 0

    def match(self, value: str):
        self.calls += 1
        return self.pattern.match(value)


@pytest.fixture
def email_pattern(monkeypatch: pytest.MonkeyPatch) -> CountingPattern:
    counting = CountingPattern(accounts.EMAIL)
    monkeypatch.setattr(accounts, "EMAIL", counting)
    return counting


@pytest.mark.parametrize(("name", "cap"), CAPS)
def test_sixty_thousand_addresses_stop_at_the_cap(
    name: str, cap: int, email_pattern: CountingPattern
) -> None:
    assert refused((name, ",".join(addresses(60_000)))) == (
        f"{name} may list at most {cap} addresses"
    )
    assert email_pattern.calls == cap + 1


@pytest.mark.parametrize("name", ["allowedUsers", "notificationEmails"])
def test_a_repeated_address_is_checked_once(name: str, email_pattern: CountingPattern) -> None:
    form = read(*listing(name, ",".join(["qa@example.com"] * 60_000)))
    assert getattr(form, name) == ["qa@example.com"]
    assert email_pattern.calls == 1


@pytest.mark.parametrize(
    ("name", "setting"),
    [("allowedUsers", "max_allowed_users"), ("notificationEmails", "max_notification_recipients")],
)
def test_the_caps_are_settings(name: str, setting: str) -> None:
    settings = make_settings(**{setting: 2})
    pairs = listing(name, ",".join(addresses(3)))
    with pytest.raises(InvalidRequest) as caught:
        read_upload_form(MultiDict(pairs), has_file=True, settings=settings)
    assert caught.value.detail == f"{name} may list at most 2 addresses"
