"""read_upload_form: the fields of POST /v1/application, with the seed's leniencies and words."""

import pytest
from werkzeug.datastructures import MultiDict

from apkdrop.applications.form import MAX_RELEASE_NOTES_CHARS, UploadForm, read_upload_form
from apkdrop.applications.models import AccessType, VersionAction
from apkdrop.errors import InvalidRequest

OPAQUE = "AbCdEfGhIjKlMnOpQrStUv"  # 22 characters, like the ids the service mints


def read(*pairs: tuple[str, str], has_file: bool = True) -> UploadForm:
    return read_upload_form(MultiDict(list(pairs)), has_file=has_file)


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
