"""The install page of an App Bundle version: the bundle's download, and why there is no APK."""

import pytest
from flask.testing import FlaskClient

from apkdrop.applications.models import Application
from apkdrop.dependencies import Dependencies
from tests.fakes import fake_dependencies, install_page_app

APP_ID = "BundleInstallPage00001"


@pytest.fixture
def deps() -> Dependencies:
    return fake_dependencies(session_signing_key="k" * 40)


@pytest.fixture
def pages(load) -> FlaskClient:
    return load("install_pages")


def app_of(deps: Dependencies, file_type: str) -> Application:
    return install_page_app(deps.applications, APP_ID, file_type=file_type)  # type: ignore[arg-type]


def test_a_bundle_page_offers_the_bundle_and_says_it_is_not_installable(
    deps: Dependencies, pages: FlaskClient
) -> None:
    app_of(deps, "AAB")
    page = pages.get(f"/app/{APP_ID}").get_data(as_text=True)
    assert "Download App Bundle (.aab)</a>" in page
    assert "Download APK" not in page
    assert 'id="bundle-notice"' in page
    assert "Android cannot install as it is" in page


def test_an_apk_page_has_no_bundle_notice(deps: Dependencies, pages: FlaskClient) -> None:
    app_of(deps, "APK")
    page = pages.get(f"/app/{APP_ID}").get_data(as_text=True)
    assert "Download APK</a>" in page
    assert "bundle-notice" not in page
