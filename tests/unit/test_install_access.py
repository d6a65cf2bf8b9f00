"""Each version keeps its own audience: `access.may_open` and the pages that use it."""

import datetime
import re

import pytest
from flask.testing import FlaskClient

from apkdrop.applications.models import AccessType, Application, Version
from apkdrop.dependencies import Dependencies
from apkdrop.install_pages import session
from apkdrop.install_pages.access import may_open, openable
from tests.fakes import (
    FakeApplicationStore,
    fake_dependencies,
    install_page_app,
    install_session_cookie,
)

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
APP_ID = "AppForInstallPages0001"
OWNER = "owner@example.com"
TESTER = "qa@example.com"
STRANGER = "stranger@example.com"
PUBLIC, PRIVATE = "PUBLIC", "PRIVATE"


def app_of(owner: str | None = OWNER) -> Application:
    return Application(
        id=APP_ID,
        accountId="acct",
        ownerEmail=owner,
        packageName="com.example.x",
        dateCreated=NOW,
        latest_application_version=1,
    )


def version_of(access: AccessType, allowed: list[str], number: int = 1) -> Version:
    store = FakeApplicationStore()
    install_page_app(store, accesses=((access.value, tuple(allowed)),))
    (version,) = store.versions(APP_ID)
    return version.model_copy(update={"versionNumber": number})


# --- may_open -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("access", "email", "expected"),
    [
        (AccessType.PUBLIC, None, True),
        (AccessType.PUBLIC, STRANGER, True),
        (AccessType.PUBLIC, OWNER, True),
        (AccessType.PRIVATE, OWNER, True),
        (AccessType.PRIVATE, TESTER, True),
        (AccessType.PRIVATE, STRANGER, False),
        (AccessType.PRIVATE, None, False),
        (AccessType.PRIVATE, "", False),
        (AccessType.PRIVATE, "QA@example.com", False),  # sessions hold normalised addresses
        (AccessType.PRIVATE, "qa@example.co", False),
        (AccessType.PRIVATE, "a@example.com", False),
    ],
)
def test_may_open(access: AccessType, email: str | None, expected: bool) -> None:
    assert may_open(app_of(), version_of(access, [TESTER]), email) is expected


def test_an_app_without_an_owner_is_not_opened_by_none() -> None:
    """`ownerEmail` is None on old apps: an anonymous visitor (None) must not match it."""
    version = version_of(AccessType.PRIVATE, [TESTER])
    assert may_open(app_of(owner=None), version, None) is False
    assert may_open(app_of(owner=None), version, TESTER) is True


def test_a_private_version_with_no_allowed_users_opens_to_its_owner_only() -> None:
    version = version_of(AccessType.PRIVATE, [])
    assert [may_open(app_of(), version, e) for e in (OWNER, TESTER, None)] == [True, False, False]


def test_the_apps_own_access_fields_grant_nothing() -> None:
    """Old app documents still carry the last upload's access: it is ignored."""
    stored = app_of().model_dump() | {"accessType": "PUBLIC", "allowedUsers": [STRANGER]}
    app = Application.model_validate(stored)
    assert may_open(app, version_of(AccessType.PRIVATE, [TESTER]), None) is False
    assert may_open(app, version_of(AccessType.PRIVATE, [TESTER]), STRANGER) is False


def test_a_version_document_without_access_is_private_to_the_owner() -> None:
    """Migration safety: every version stores its access, but a document without fails closed."""
    stored = version_of(AccessType.PUBLIC, []).model_dump()
    del stored["accessType"], stored["allowedUsers"]
    version = Version.model_validate(stored)
    assert (version.accessType, version.allowedUsers) == (AccessType.PRIVATE, [])
    assert [may_open(app_of(), version, e) for e in (None, STRANGER, OWNER)] == [
        False,
        False,
        True,
    ]


def test_openable_keeps_the_order_and_drops_what_the_visitor_may_not_open() -> None:
    versions = [
        version_of(AccessType.PRIVATE, [TESTER], 3),
        version_of(AccessType.PRIVATE, ["other@example.com"], 2),
        version_of(AccessType.PUBLIC, [], 1),
    ]
    numbers = {
        email: [v.versionNumber for v in openable(app_of(), versions, email)]
        for email in (None, TESTER, OWNER)
    }
    assert numbers == {None: [1], TESTER: [3, 1], OWNER: [3, 2, 1]}


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def deps() -> Dependencies:
    return fake_dependencies(session_signing_key="k" * 40)


@pytest.fixture
def pages(load) -> FlaskClient:
    return load("install_pages")


@pytest.fixture
def mixed_app(deps: Dependencies) -> Application:
    """The issue's app: 1.0 public, 2.0 private to qa, 3.0 private to qa (inherited)."""
    return install_page_app(
        deps.applications,
        APP_ID,
        version_names=("1.0", "2.0", "3.0"),
        accesses=((PUBLIC, ()), (PRIVATE, (TESTER,)), (PRIVATE, (TESTER,))),
        release_notes="Secret notes",
        owner_email=OWNER,
    )


def visit(pages: FlaskClient, deps: Dependencies, email: str | None, query: str = "") -> dict:
    """The status of the page and the download, and the history the page lists."""
    if email is None:
        pages.delete_cookie(session.COOKIE_NAME)
    else:
        pages.set_cookie(
            session.COOKIE_NAME, install_session_cookie(deps.settings, deps.sessions, email)
        )
    page = pages.get(f"/app/{APP_ID}{query}")
    download = pages.get(f"/app/{APP_ID}/download{query}")
    html = page.get_data(as_text=True)
    return {
        "page": page.status_code,
        "download": download.status_code,
        "history": re.findall(r'\?version=([0-9.]+)">', html.partition('class="history"')[2]),
        "html": html,
    }


@pytest.mark.parametrize(
    ("email", "query", "page", "history"),
    [
        (None, "?version=1.0", 200, ["1.0"]),
        (None, "?version=2.0", 401, []),
        (None, "?version=3.0", 401, []),
        (None, "", 401, []),  # the magic link opens the latest, under its access
        (STRANGER, "?version=1.0", 200, ["1.0"]),
        (STRANGER, "?version=2.0", 403, []),
        (STRANGER, "", 403, []),
        (TESTER, "?version=2.0", 200, ["3.0", "2.0", "1.0"]),
        (TESTER, "", 200, ["3.0", "2.0", "1.0"]),
        (OWNER, "?version=2.0", 200, ["3.0", "2.0", "1.0"]),
    ],
)
def test_each_version_is_opened_under_its_own_access(
    pages: FlaskClient,
    deps: Dependencies,
    mixed_app: Application,
    email: str | None,
    query: str,
    page: int,
    history: list[str],
) -> None:
    seen = visit(pages, deps, email, query)
    assert (seen["page"], seen["history"]) == (page, history)
    assert seen["download"] == (302 if page == 200 else page)


def test_an_anonymous_visitor_sees_nothing_of_the_private_versions(
    pages: FlaskClient, deps: Dependencies, mixed_app: Application
) -> None:
    seen = visit(pages, deps, None, "?version=1.0")
    assert seen["page"] == 200
    assert "version=2.0" not in seen["html"] and "version=3.0" not in seen["html"]
    # 1.0 is the newest they may open: not called older, and no link to what they cannot see.
    assert "This is an older version." not in seen["html"]
    for query in ("?version=2.0", "?version=3.0", ""):
        assert "Secret notes" not in visit(pages, deps, None, query)["html"]


def test_a_private_later_version_leaves_an_older_public_one_open(
    pages: FlaskClient, deps: Dependencies
) -> None:
    install_page_app(
        deps.applications,
        APP_ID,
        version_names=("1.0", "2.0"),
        accesses=((PRIVATE, ("old@example.com",)), (PRIVATE, ("new@example.com",))),
    )
    assert visit(pages, deps, "old@example.com", "?version=1.0")["page"] == 200
    assert visit(pages, deps, "old@example.com", "?version=2.0")["page"] == 403
    assert visit(pages, deps, "new@example.com", "?version=1.0")["page"] == 403
    assert visit(pages, deps, "new@example.com", "")["history"] == ["2.0"]


def test_an_older_version_links_to_the_newest_the_visitor_may_open(
    pages: FlaskClient, deps: Dependencies
) -> None:
    install_page_app(
        deps.applications,
        APP_ID,
        version_names=("1.0", "2.0", "3.0"),
        accesses=((PUBLIC, ()), (PUBLIC, ()), (PRIVATE, (TESTER,))),
    )
    html = visit(pages, deps, None, "?version=1.0")["html"]
    assert "This is an older version." in html
    assert 'href="https://apkdrop.example.test/app/AppForInstallPages0001?version=2.0">See' in html


def test_a_private_version_between_public_ones_is_not_listed(
    pages: FlaskClient, deps: Dependencies
) -> None:
    install_page_app(
        deps.applications,
        APP_ID,
        version_names=("1.0", "2.0", "3.0"),
        accesses=((PUBLIC, ()), (PRIVATE, (TESTER,)), (PUBLIC, ())),
    )
    assert visit(pages, deps, None, "")["history"] == ["3.0", "1.0"]
    assert visit(pages, deps, None, "?version=2.0")["page"] == 401
    assert visit(pages, deps, TESTER, "")["history"] == ["3.0", "2.0", "1.0"]
