"""Every link, form and redirect of the install pages stays under PUBLIC_BASE_URL, whatever its
path. Without the load balancer it is install-pages' own URL,
https://REGION-PROJECT.cloudfunctions.net/install-pages (terraform/locals.tf): Cloud Functions
hands the function the path after its name, and a site-root link (`/auth/sign-in`) would name
another function of the project instead."""

import html
import re
import urllib.parse

import pytest
from flask.testing import FlaskClient

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import deletion
from apkdrop.dependencies import Dependencies
from tests.fakes import fake_dependencies, install_page_app
from tests.unit.test_install_views import emailed_token, sign_in_as

NO_LOAD_BALANCER = "https://europe-west1-my-proj.cloudfunctions.net/install-pages"
LOAD_BALANCER = "https://apkdrop.example.com"
TARGET = re.compile(r'(?:href|action)="([^"]*)"')
PUBLIC, PRIVATE, TESTER = "PublicLinksApp00000001", "PrivateLinksApp0000001", "qa@example.com"


@pytest.fixture(params=[NO_LOAD_BALANCER, LOAD_BALANCER])
def base(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def deps(base: str) -> Dependencies:
    deps = fake_dependencies(session_signing_key="k" * 40, public_base_url=base)
    install_page_app(deps.applications, PUBLIC, version_names=("1.0", "2.0"), file_type="AAB")
    install_page_app(
        deps.applications, PRIVATE, access="PRIVATE", allowed_users=(TESTER,), channels=("beta",)
    )
    return deps


@pytest.fixture
def pages(load, deps: Dependencies) -> FlaskClient:
    return load("install_pages")


def outside(base: str, path: str, body: str) -> list[str]:
    """The page's links and form targets, resolved as a browser does against the page's own
    URL, that do not fall under `base`."""
    page_url = base + path
    targets = [urllib.parse.urljoin(page_url, html.unescape(t)) for t in TARGET.findall(body)]
    assert targets, "the page has no link to check"
    return [target for target in targets if not target.startswith(base + "/")]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/app/{PUBLIC}", 200),  # the download buttons, the history
        (f"/app/{PUBLIC}?version=1.0", 200),
        (f"/app/{PRIVATE}", 401),  # the sign-in form
        (f"/app/{PRIVATE}/download", 401),  # the same form, one level deeper
    ],
)
def test_each_page_links_under_the_base_url(
    pages: FlaskClient, base: str, path: str, status: int
) -> None:
    response = pages.get(path)
    assert response.status_code == status
    assert outside(base, path, response.text) == []


def test_the_sign_in_pages_and_their_redirect(
    pages: FlaskClient, deps: Dependencies, base: str
) -> None:
    asked = pages.post("/auth/sign-in", data={"app": PRIVATE, "email": TESTER})
    assert outside(base, "/auth/sign-in", asked.text) == []  # "Back to the app"
    token = emailed_token(deps)
    confirm = pages.get(f"/auth/verify?token={token}")
    assert outside(base, "/auth/verify", confirm.text) == []  # the confirm button's form

    confirmed = pages.post("/auth/verify", data={"token": token})

    assert confirmed.headers["Location"] == f"{base}/app/{PRIVATE}"
    signed_in = pages.get(f"/app/{PRIVATE}")
    assert "Sign out" in signed_in.text
    assert outside(base, f"/app/{PRIVATE}", signed_in.text) == []


def test_sign_out_goes_back_under_the_base_url(
    pages: FlaskClient, deps: Dependencies, base: str
) -> None:
    sign_in_as(pages, deps, TESTER)
    left = pages.post("/auth/sign-out", data={"next": f"/app/{PRIVATE}"})
    assert left.headers["Location"] == f"{base}/app/{PRIVATE}"


def test_a_deleted_versions_page_links_to_the_latest_under_the_base_url(
    pages: FlaskClient, deps: Dependencies, base: str
) -> None:
    owner = Caller(
        id="acct-install", email="owner@example.com", keyPrefix="apkd_o", scope=KeyScope.ADMIN
    )
    deletion.delete_version(deps, owner, PUBLIC, "1.0")

    gone = pages.get(f"/app/{PUBLIC}?version=1.0")

    assert gone.status_code == 410 and 'id="latest"' in gone.text
    assert outside(base, f"/app/{PUBLIC}", gone.text) == []


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.mark.parametrize(
    ("base", "opened_at"),
    [
        (NO_LOAD_BALANCER, NO_LOAD_BALANCER),
        (LOAD_BALANCER, LOAD_BALANCER),
        (LOAD_BALANCER, NO_LOAD_BALANCER),
    ],
)
def test_forms_are_accepted_from_either_url_of_the_pages(
    pages: FlaskClient, deps: Dependencies, base: str, opened_at: str
) -> None:
    """A browser without Sec-Fetch-Site names the page's origin: PUBLIC_BASE_URL's, or, with
    the load balancer, install-pages' own URL, where the same pages work (their links are
    relative), the host the browser sent the form to."""
    ours = {"Origin": origin(opened_at)}
    host = origin(opened_at)

    asked = pages.post(
        "/auth/sign-in", data={"app": PRIVATE, "email": TESTER}, headers=ours, base_url=host
    )
    assert asked.status_code == 200, asked.text
    confirmed = pages.post(
        "/auth/verify", data={"token": emailed_token(deps)}, headers=ours, base_url=host
    )
    assert confirmed.headers["Location"] == f"{base}/app/{PRIVATE}"

    # Another site's form, sent to the same host, is refused.
    theirs = {"Origin": "https://evil.example"}
    refused = pages.post("/auth/sign-out", headers=theirs, base_url=host)
    assert refused.status_code == 403
