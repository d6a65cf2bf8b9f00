"""`install_pages` from functions/main.py, served by functions_framework, over the fakes."""

import datetime
import hashlib
import html
import json
import re
import string
import urllib.parse

import flask
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications.form import read_upload_form
from apkdrop.applications.models import Application
from apkdrop.applications.service import UploadSession
from apkdrop.dependencies import Dependencies
from apkdrop.downloads import service as downloads
from apkdrop.install_pages import session, sign_in, views
from apkdrop.notifications import delivery
from apkdrop.notifications.models import EmailTaskBody
from tests import fakes
from tests.fakes import (
    FakeMailer,
    FakeScheduler,
    FakeSessions,
    fake_bucket,
    fake_dependencies,
    install_page_app,
    install_session_cookie,
)
from tests.fixtures.apk_builder import build_apk, play_ready
from tests.fixtures.elf_builder import PAGE_4KB, elf_library

NOW = datetime.datetime(2026, 3, 1, 12, 0, 5, tzinfo=datetime.UTC)
SITE = "https://apkdrop.example.test"  # PUBLIC_BASE_URL in the fakes
APP_ID = "AppForInstallPages0001"
OWNER = "owner@example.com"
TESTER = "tester@example.com"
STRANGER = "stranger@example.com"
EXPIRED = "already used or has expired"
CHECK_EMAIL = "Check your email"
SIGN_IN_LINK = re.compile(r"https://\S+/auth/verify\?token=(\S+)")


@pytest.fixture
def settings_overrides() -> dict:
    return {"session_signing_key": "k" * 40}


@pytest.fixture
def deps(settings_overrides: dict) -> Dependencies:
    # One rate-limit window and one token and session clock for the whole test.
    deps = fake_dependencies(**settings_overrides)
    deps.clock.now = NOW
    return deps


@pytest.fixture
def pages(load) -> FlaskClient:
    return load("install_pages")


@pytest.fixture
def public_app(deps: Dependencies) -> Application:
    return install_page_app(
        deps.applications,
        APP_ID,
        label="Appium Settings",
        package="io.appium.settings",
        version_names=("8.0.9", "8.0.10"),
        release_notes="Fixes things",
    )


@pytest.fixture
def private_app(deps: Dependencies) -> Application:
    return install_page_app(
        deps.applications,
        "PrivateInstallPage0001",
        label="Secret App",
        access="PRIVATE",
        allowed_users=(TESTER,),
        owner_email=OWNER,
    )


def email_queue(deps: Dependencies) -> FakeScheduler:
    assert isinstance(deps.email_queue, FakeScheduler)
    return deps.email_queue


def sessions(deps: Dependencies) -> FakeSessions:
    assert isinstance(deps.sessions, FakeSessions)
    return deps.sessions


def mailer(deps: Dependencies) -> FakeMailer:
    assert isinstance(deps.mailer, FakeMailer)
    return deps.mailer


def text(response) -> str:
    return response.get_data(as_text=True)


def heading(response) -> str:
    match = re.search(r"<h1>(.*?)</h1>", text(response), re.S)
    assert match, text(response)
    return match.group(1).strip()


def sign_in_as(pages: FlaskClient, deps: Dependencies, email: str) -> None:
    pages.set_cookie(
        session.COOKIE_NAME, install_session_cookie(deps.settings, deps.sessions, email)
    )


def assert_html_page(response, status: int) -> None:
    assert response.status_code == status, text(response)
    assert response.mimetype == "text/html"
    assert text(response).startswith("<!doctype html>")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no scripts at all
    assert response.headers["X-Request-Id"]


def sign_out_form(response) -> str | None:
    """The `next` the page's Sign out button posts (None: none), once it has the button."""
    page = text(response)
    assert '<form class="inline" method="post" action="../auth/sign-out">' in page, page
    found = re.search(r'<input type="hidden" name="next" value="([^"]*)">', page)
    return html.unescape(found.group(1)) if found else None


def deliver_queued(deps: Dependencies) -> list[str]:
    """Runs the email worker on every queued task, as Cloud Tasks would; the outcomes."""
    return [
        delivery.deliver_email(deps, EmailTaskBody.model_validate(task.payload).root)
        for task in email_queue(deps).calls
    ]


def emailed_token(deps: Dependencies) -> str:
    """The worker sends the last queued task's link; the token in it."""
    task = EmailTaskBody.model_validate(email_queue(deps).calls[-1].payload).root
    assert delivery.deliver_email(deps, task) == "sent"
    link = SIGN_IN_LINK.search(mailer(deps).sent[-1].text).group(0)
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]


# --- a public app's page ------------------------------------------------------------------------


def test_public_app_page(pages: FlaskClient, public_app: Application) -> None:
    response = pages.get(f"/app/{APP_ID}")

    assert_html_page(response, 200)
    page = text(response)
    assert heading(response) == "Appium Settings"
    assert "<title>Appium Settings 2.0 · apkdrop</title>" in page
    assert "io.appium.settings" in page
    assert '<dd id="platform-version">2.0</dd>' in page
    assert "8.0.10 (2)" in page
    assert "3.0 MB" in page and "01 Mar 2026, 14:00 UTC" in page
    assert "Fixes things" in page
    assert f'href="../app/{APP_ID}/download?version=2.0"' in page
    assert "Download APK" in page
    assert "<svg" in page and 'class="qr"' in page
    link = f"https://apkdrop.example.test/app/{APP_ID}"
    assert f'href="{link}?version=1.0"' in page and f'href="{link}?version=2.0"' in page
    assert "This is an older version" not in page
    assert "Sign out" not in page  # nobody is signed in


@pytest.mark.parametrize("wanted", ["1.0", "1", "01"])
def test_a_version_by_number(pages: FlaskClient, public_app: Application, wanted: str) -> None:
    response = pages.get(f"/app/{APP_ID}", query_string={"version": wanted})

    assert_html_page(response, 200)
    page = text(response)
    assert '<dd id="platform-version">1.0</dd>' in page
    assert "8.0.9 (1)" in page
    assert "This is an older version" in page
    assert f'href="../app/{APP_ID}/download?version=1.0"' in page


def test_the_latest_version_by_number_is_not_called_older(
    pages: FlaskClient, public_app: Application
) -> None:
    response = pages.get(f"/app/{APP_ID}?version=2.0")
    assert response.status_code == 200
    assert "This is an older version" not in text(response)


@pytest.mark.parametrize(
    "wanted", ["9.0", "abc", "1.5", "", "0", "0.0", "-1", "1.00", "1.0.0", "²", " 1", "1e0", "3"]
)
def test_a_missing_version_is_a_friendly_404(
    pages: FlaskClient, deps: Dependencies, public_app: Application, wanted: str
) -> None:
    response = pages.get(f"/app/{APP_ID}", query_string={"version": wanted})
    assert_html_page(response, 404)
    assert heading(response) == "Not found"
    assert fake_bucket(deps).signed_gets == []


def test_a_channels_page_opens_its_latest_and_lists_only_its_versions(
    pages: FlaskClient, public_app: Application
) -> None:
    response = pages.get(f"/app/{APP_ID}", query_string={"channel": "default"})

    assert_html_page(response, 200)
    page = text(response)
    assert '<dd id="platform-version">2.0</dd>' in page
    assert '<dd id="channel">default</dd>' in page
    link = f"https://apkdrop.example.test/app/{APP_ID}"
    assert f'Channel default only · <a href="{link}">All channels</a>' in page
    assert page.count(f'class="channel" href="{link}?channel=default"') == 2
    assert "This is an older version" not in page


@pytest.mark.parametrize("wanted", ["nightly", "Default", "<script>", "", "x" * 65])
def test_an_unknown_or_malformed_channel_is_a_friendly_404(
    pages: FlaskClient, deps: Dependencies, public_app: Application, wanted: str
) -> None:
    response = pages.get(f"/app/{APP_ID}", query_string={"channel": wanted})
    assert_html_page(response, 404)
    assert heading(response) == "Not found"
    assert "<script>" not in text(response)
    assert fake_bucket(deps).signed_gets == []


@pytest.mark.parametrize(
    "path",
    [
        "/app/NoSuchApp0123456789AB",
        "/app/short",
        "/app/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/app/" + "A" * 44,
        "/app/AppForInstallPages0001%00",
        "/app/AppForInstallPages0001.json",
        "/app/..%2F..%2Fetc",
        "/app/",
        "/app",
        "/",
        "/nothing/here",
        "/app/NoSuchApp0123456789AB/download",
        "/app/short/download",
        "/app/AppForInstallPages0001/download/more",
    ],
)
def test_unknown_or_malformed_apps_are_a_friendly_404(
    pages: FlaskClient, public_app: Application, path: str
) -> None:
    response = pages.get(path)
    assert_html_page(response, 404)
    assert heading(response) == "Not found"
    assert "<script>" not in text(response)


@pytest.mark.parametrize("path", ["/app/short", "/app/a.b.c.d.e.f.g.h.i/download", "/app/%C3%A9"])
def test_a_malformed_app_id_is_404_without_a_lookup(
    pages: FlaskClient, deps: Dependencies, path: str
) -> None:
    """The views are the one layer that checks ids: a malformed one never reaches the database."""

    def no_lookup(_: str) -> None:
        raise AssertionError("a malformed id reached the repository")

    deps.applications.get_app = no_lookup  # type: ignore[method-assign]
    assert_html_page(pages.get(path), 404)
    for app_id in ("short", APP_ID + "\n"):  # `$` alone lets a trailing newline through
        signing_in = pages.post("/auth/sign-in", data={"app": app_id, "email": TESTER})
        assert_html_page(signing_in, 404)


def test_a_trailing_slash_is_the_same_page(pages: FlaskClient, public_app: Application) -> None:
    assert pages.get(f"/app/{APP_ID}/").status_code == 200


def test_html_in_labels_and_notes_is_shown_as_text(pages: FlaskClient, deps: Dependencies) -> None:
    install_page_app(
        deps.applications,
        APP_ID,
        label='<script>alert("label")</script>',
        package="com.example.html",
        version_names=('<img src=x onerror="v()">',),
        release_notes="Line one\n<b>not bold</b> & <a href='javascript:x'>x</a>",
    )
    response = pages.get(f"/app/{APP_ID}")

    assert response.status_code == 200
    page = text(response)
    assert "<script>alert" not in page and "<b>not bold</b>" not in page
    assert "<img src=x" not in page and "<a href='javascript" not in page
    assert escape('<script>alert("label")</script>') in page
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;a href=&#39;javascript:x&#39;&gt;" in page
    assert escape('<img src=x onerror="v()">') in page


def test_an_icon_is_a_short_lived_signed_url(pages: FlaskClient, deps: Dependencies) -> None:
    install_page_app(deps.applications, APP_ID, icon_object="icons/app.png")
    response = pages.get(f"/app/{APP_ID}")

    assert response.status_code == 200
    (icon_call,) = fake_bucket(deps).signed_gets
    assert icon_call == ("icons/app.png", datetime.timedelta(hours=1), None)
    assert 'src="https://storage.example.test/apkdrop-test-uploads/icons/app.png?get=1"' in text(
        response
    )


def test_an_app_without_a_label_is_named_by_its_package(
    pages: FlaskClient, deps: Dependencies
) -> None:
    install_page_app(deps.applications, APP_ID, label=None, package="com.example.nameless")
    response = pages.get(f"/app/{APP_ID}")
    assert heading(response) == "com.example.nameless"


def test_a_page_for_an_app_published_by_the_upload_service(
    pages: FlaskClient, deps: Dependencies
) -> None:
    content = build_apk("com.example.real", "4.5.6", 456, label="Real App")
    account = Caller(
        id="acct-real", email="uploader@example.com", keyPrefix="apkd_test", scope=KeyScope.UPLOAD
    )
    with UploadSession(deps, account) as upload:
        upload.file_writer().write(content)
        answer = upload.publish(
            read_upload_form(MultiDict({"releaseNotes": "hi"}), True, deps.settings)
        )

    response = pages.get(
        urllib.parse.urlsplit(answer.data.versionedMagicLink).path + "?version=1.0"
    )

    assert response.status_code == 200, text(response)
    assert heading(response) == "Real App"
    assert "4.5.6 (456)" in text(response)
    assert hashlib.sha256(content).hexdigest() in text(response)

    download = pages.get(f"/app/{answer.data.id}/download?version=1.0")
    assert download.status_code == 302
    (version,) = deps.applications.versions(answer.data.id)
    assert fake_bucket(deps).signed_gets[-1] == (
        version.objectName,
        datetime.timedelta(minutes=5),
        "Real_App-4.5.6.apk",
    )


# --- downloads ----------------------------------------------------------------------------------


def test_download_redirects_to_a_five_minute_signed_url(
    pages: FlaskClient, deps: Dependencies, public_app: Application
) -> None:
    response = pages.get(f"/app/{APP_ID}/download")

    assert response.status_code == 302
    (call,) = fake_bucket(deps).signed_gets
    object_name, ttl, name = call
    assert object_name == f"applications/acct-install/{APP_ID}/2.apk"
    assert ttl == datetime.timedelta(minutes=5)
    assert name == "Appium_Settings-8.0.10.apk"
    assert response.headers["Location"] == (
        f"https://storage.example.test/apkdrop-test-uploads/{object_name}?get=1"
    )


@pytest.mark.parametrize("wanted", ["1.0", "1"])
def test_download_of_an_older_version(
    pages: FlaskClient, deps: Dependencies, public_app: Application, wanted: str
) -> None:
    response = pages.get(f"/app/{APP_ID}/download", query_string={"version": wanted})
    assert response.status_code == 302
    assert fake_bucket(deps).signed_gets == [
        (
            f"applications/acct-install/{APP_ID}/1.apk",
            datetime.timedelta(minutes=5),
            "Appium_Settings-8.0.9.apk",
        )
    ]


def test_download_of_a_missing_version_is_a_404_page(
    pages: FlaskClient, deps: Dependencies, public_app: Application
) -> None:
    response = pages.get(f"/app/{APP_ID}/download?version=7.0")
    assert_html_page(response, 404)
    assert fake_bucket(deps).signed_gets == []


def name_for(label: str | None, version_name: str | None, package: str = "com.example.x") -> str:
    store = fakes.FakeApplicationStore()
    app = install_page_app(store, label=label, package=package, version_names=(version_name,))
    (version,) = store.versions(app.id)
    return downloads.download_name(app, version)


@pytest.mark.parametrize(
    ("label", "version_name", "expected"),
    [
        ("Appium Settings", "8.0.10", "Appium_Settings-8.0.10.apk"),
        ("My/App", "1.0", "My_App-1.0.apk"),
        ("../../etc/passwd", "1", "etc_passwd-1.apk"),
        ('Say "hi"', "2.0", "Say_hi-2.0.apk"),
        ("a\\b", "1.0", "a_b-1.0.apk"),
        ("Café ☕", "1.0", "Caf-1.0.apk"),
        ("☕☕", "1.0", "com.example.x-1.0.apk"),  # nothing usable left: the package name
        ("App", None, "App-1.0.apk"),  # no versionName: the platform version
        ("App", "1.0/../../x", "App-1.0_____x.apk"),
        (None, "3.2", "com.example.x-3.2.apk"),
        ("", "3.2", "com.example.x-3.2.apk"),
        ("A\r\nContent-Type: text/html", "1", "A_Content-Type_text_html-1.apk"),
    ],
)
def test_download_name(label: str | None, version_name: str | None, expected: str) -> None:
    assert name_for(label, version_name) == expected


SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,120}\.apk$")


@settings(max_examples=300, deadline=None, database=None)
@given(
    label=st.none() | st.text(max_size=300),
    version_name=st.none() | st.text(max_size=300),
)
def test_any_download_name_is_a_safe_file_name(label: str | None, version_name: str | None) -> None:
    name = name_for(label, version_name)
    assert SAFE_NAME.match(name), name
    assert not name.startswith(".")
    assert "/" not in name and "\\" not in name and '"' not in name


# --- private apps -------------------------------------------------------------------------------


def test_a_private_app_asks_an_anonymous_visitor_to_sign_in(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    response = pages.get(f"/app/{private_app.id}")

    assert_html_page(response, 401)
    page = text(response)
    assert heading(response) == "Private app"
    assert "This app is private: sign in to see it." in page
    assert '<form method="post" action="../auth/sign-in">' in page
    assert 'name="email"' in page and 'type="email"' in page
    assert f'<input type="hidden" name="app" value="{private_app.id}">' in page
    assert "Secret App" not in page and "com.example.install" not in page  # nothing leaks
    assert fake_bucket(deps).signed_gets == []


def test_a_private_download_needs_a_session(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    response = pages.get(f"/app/{private_app.id}/download")
    assert_html_page(response, 401)
    assert "Location" not in response.headers
    assert f'name="app" value="{private_app.id}"' in text(response)
    assert fake_bucket(deps).signed_gets == []


@pytest.mark.parametrize("email", [TESTER, OWNER])
def test_a_signed_in_tester_or_owner_sees_the_app(
    pages: FlaskClient, deps: Dependencies, private_app: Application, email: str
) -> None:
    sign_in_as(pages, deps, email)

    response = pages.get(f"/app/{private_app.id}")

    assert_html_page(response, 200)
    assert heading(response) == "Secret App"
    assert email in text(response)
    assert sign_out_form(response) == f"/app/{private_app.id}"
    download = pages.get(f"/app/{private_app.id}/download")
    assert download.status_code == 302
    assert fake_bucket(deps).signed_gets[-1][1] == datetime.timedelta(minutes=5)


def test_a_signed_in_visitor_not_on_the_list_is_refused(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    sign_in_as(pages, deps, STRANGER)

    response = pages.get(f"/app/{private_app.id}")

    assert_html_page(response, 403)
    assert heading(response) == "No access"
    assert f"{STRANGER} is not on this app&#39;s list of testers." in text(response)
    assert sign_out_form(response) == f"/app/{private_app.id}"
    assert "Secret App" not in text(response)
    assert pages.get(f"/app/{private_app.id}/download").status_code == 403
    assert fake_bucket(deps).signed_gets == []


@pytest.fixture
def public_latest_app(deps: Dependencies) -> Application:
    """Private 1.0 on the nightly channel, under a public latest: signing out of 1.0's page
    on to the latest would show no sign-in form for 1.0."""
    return install_page_app(
        deps.applications,
        "PublicLatestPage0001",
        version_names=("1.0", "2.0"),
        accesses=(("PRIVATE", (TESTER,)), ("PUBLIC", ())),
        channels=("nightly", "default"),
    )


@pytest.mark.parametrize(
    ("query", "own_page"),
    [("?version=1.0", "?version=1.0"), ("?version=1", "?version=1.0"), ("?channel=nightly", "")],
)
def test_signing_out_of_a_refused_page_comes_back_to_that_page(
    pages: FlaskClient,
    deps: Dependencies,
    public_latest_app: Application,
    query: str,
    own_page: str,
) -> None:
    app_id = public_latest_app.id
    own_page = f"/app/{app_id}{own_page or query}"
    sign_in_as(pages, deps, STRANGER)
    refused = pages.get(f"/app/{app_id}{query}")
    assert_html_page(refused, 403)
    assert sign_out_form(refused) == own_page

    signed_out = pages.post("/auth/sign-out", data={"next": own_page})

    assert signed_out.status_code == 303
    assert signed_out.headers["Location"] == f"{SITE}{own_page}"
    back = pages.get(own_page)
    assert_html_page(back, 401)  # the sign-in form for the page that refused them
    assert f'name="app" value="{app_id}"' in text(back)


def test_a_refused_download_signs_out_on_to_its_versions_page(
    pages: FlaskClient, deps: Dependencies, public_latest_app: Application
) -> None:
    sign_in_as(pages, deps, STRANGER)
    refused = pages.get(f"/app/{public_latest_app.id}/download?version=1.0")
    assert_html_page(refused, 403)
    assert 'action="../../auth/sign-out"' in text(refused)  # from the download's own path
    own_page = html.escape(f"/app/{public_latest_app.id}?version=1.0")
    assert f'<input type="hidden" name="next" value="{own_page}">' in text(refused)


@pytest.mark.parametrize(
    ("query", "own_page"),
    [
        ("", ""),
        ("?version=1.0", "?version=1.0"),
        ("?channel=nightly", "?channel=nightly"),
        ("?version=1.0&channel=nightly", "?version=1.0&channel=nightly"),
    ],
)
def test_an_app_pages_sign_out_comes_back_to_that_page(
    pages: FlaskClient,
    deps: Dependencies,
    public_latest_app: Application,
    query: str,
    own_page: str,
) -> None:
    sign_in_as(pages, deps, TESTER)
    response = pages.get(f"/app/{public_latest_app.id}{query}")
    assert_html_page(response, 200)
    assert sign_out_form(response) == f"/app/{public_latest_app.id}{own_page}"


def test_a_session_of_a_public_app_visitor_is_shown(
    pages: FlaskClient, deps: Dependencies, public_app: Application
) -> None:
    sign_in_as(pages, deps, STRANGER)
    response = pages.get(f"/app/{APP_ID}")
    assert response.status_code == 200
    assert STRANGER in text(response)


def test_a_forged_session_is_anonymous(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    other = fake_dependencies(session_signing_key="o" * 40).settings
    pages.set_cookie(session.COOKIE_NAME, install_session_cookie(other, deps.sessions, TESTER))
    assert pages.get(f"/app/{private_app.id}").status_code == 401
    pages.set_cookie(session.COOKIE_NAME, "not-a-cookie")
    assert pages.get(f"/app/{private_app.id}").status_code == 401


@pytest.mark.parametrize("settings_overrides", [{}])
def test_without_a_signing_key_private_apps_stay_closed(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    pages.set_cookie(
        session.COOKIE_NAME,
        install_session_cookie(
            fakes.make_settings(session_signing_key="k" * 40), deps.sessions, TESTER
        ),
    )
    assert pages.get(f"/app/{private_app.id}").status_code == 401


# --- asking for a link --------------------------------------------------------------------------


def test_the_answer_is_the_same_for_allowed_and_unknown_addresses(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    allowed = pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    unknown = pages.post("/auth/sign-in", data={"app": private_app.id, "email": STRANGER})

    assert_html_page(allowed, 200)
    assert_html_page(unknown, 200)
    assert allowed.get_data() == unknown.get_data()
    assert heading(allowed) == CHECK_EMAIL
    assert "Set-Cookie" not in allowed.headers and "Set-Cookie" not in unknown.headers
    # The same work for both: a task each; the worker decides, and mails only the tester.
    assert [task.payload["email"] for task in email_queue(deps).calls] == [TESTER, STRANGER]
    assert deliver_queued(deps) == ["sent", "not sent"]
    assert [email.to for email in mailer(deps).sent] == [[TESTER]]


def test_the_answer_names_no_app(
    pages: FlaskClient, deps: Dependencies, private_app: Application, public_app: Application
) -> None:
    """An anonymous visitor learns nothing about the app from the answer."""
    answers = [
        pages.post("/auth/sign-in", data={"app": app.id, "email": STRANGER})
        for app in (private_app, public_app)
    ]
    for answer, app in zip(answers, (private_app, public_app), strict=True):
        assert_html_page(answer, 200)
        assert "If this address may open the app, a sign-in link is on its way." in text(answer)
        assert app.appLabel not in text(answer) and app.packageName not in text(answer)
    generic = [
        text(answer).replace(app.id, "ID")
        for answer, app in zip(answers, (private_app, public_app), strict=True)
    ]
    assert generic[0] == generic[1]


def test_the_task_holds_no_token(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    (task,) = email_queue(deps).calls
    token = emailed_token(deps)

    body = json.dumps(task.payload)
    assert token not in body and token.split(".")[1] not in body
    assert "verify" not in body


def test_the_sign_in_form_carries_the_version_to_the_link(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    blocked = pages.get(f"/app/{private_app.id}?version=1.0")
    assert_html_page(blocked, 401)
    assert '<input type="hidden" name="version" value="1.0">' in text(blocked)
    assert 'name="version"' not in text(pages.get(f"/app/{private_app.id}"))

    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER, "version": "1.0"})
    assert email_queue(deps).calls[-1].payload["version"] == 1
    confirmed = pages.post("/auth/verify", data={"token": emailed_token(deps)})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == f"{SITE}/app/{private_app.id}?version=1.0"


def test_signing_in_from_a_channels_page_comes_back_to_that_channel(
    pages: FlaskClient, deps: Dependencies
) -> None:
    app = install_page_app(
        deps.applications,
        "PrivateChannelPage0001",
        access="PRIVATE",
        allowed_users=(TESTER,),
        version_names=("1.0", "2.0", "3.0"),
        channels=("default", "nightly", "default"),  # the app's latest, 3.0, is not nightly
    )
    blocked = pages.get(f"/app/{app.id}?channel=nightly")
    assert_html_page(blocked, 401)
    assert '<input type="hidden" name="channel" value="nightly">' in text(blocked)
    assert 'name="channel"' not in text(pages.get(f"/app/{app.id}"))

    pages.post("/auth/sign-in", data={"app": app.id, "email": TESTER, "channel": "nightly"})
    assert email_queue(deps).calls[-1].payload["channel"] == "nightly"
    confirmed = pages.post("/auth/verify", data={"token": emailed_token(deps)})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == f"{SITE}/app/{app.id}?channel=nightly"
    shown = pages.get(confirmed.headers["Location"].removeprefix(SITE))
    assert_html_page(shown, 200)
    assert '<dd id="platform-version">2.0</dd>' in text(shown)


def test_a_channel_the_sign_in_email_names_must_be_openable_there(
    pages: FlaskClient, deps: Dependencies
) -> None:
    """The worker decides on the channel's latest, not the app's: a tester of nightly only
    gets a link from nightly's page."""
    app = install_page_app(
        deps.applications,
        "PrivateChannelPage0002",
        accesses=(("PRIVATE", ()), ("PRIVATE", (TESTER,)), ("PRIVATE", ())),
        version_names=("1.0", "2.0", "3.0"),
        channels=("default", "nightly", "default"),
    )
    pages.post("/auth/sign-in", data={"app": app.id, "email": TESTER})
    task = EmailTaskBody.model_validate(email_queue(deps).calls[-1].payload).root
    assert delivery.deliver_email(deps, task) == "not sent"
    pages.post("/auth/sign-in", data={"app": app.id, "email": TESTER, "channel": "nightly"})
    assert pages.post("/auth/verify", data={"token": emailed_token(deps)}).status_code == 303


@pytest.mark.parametrize("channel", ["Nightly", "<b>x</b>", "", "x" * 65])
def test_a_malformed_channel_in_the_form_is_a_404_page(
    pages: FlaskClient, deps: Dependencies, private_app: Application, channel: str
) -> None:
    form = {"app": private_app.id, "email": TESTER, "channel": channel}
    response = pages.post("/auth/sign-in", data=form)
    assert_html_page(response, 404)
    assert "<b>x</b>" not in text(response)
    assert email_queue(deps).calls == []


@pytest.mark.parametrize("version", ["abc", "1.5", "", "0"])
def test_a_malformed_version_in_the_form_is_a_404_page(
    pages: FlaskClient, deps: Dependencies, private_app: Application, version: str
) -> None:
    form = {"app": private_app.id, "email": TESTER, "version": version}
    assert_html_page(pages.post("/auth/sign-in", data=form), 404)
    assert email_queue(deps).calls == []


def test_an_invalid_address_is_a_400_page(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    for form in ({"app": private_app.id, "email": "nope"}, {"app": private_app.id}):
        response = pages.post("/auth/sign-in", data=form)
        assert_html_page(response, 400)
        assert "Enter a valid email address" in text(response)
    assert email_queue(deps).calls == []


@pytest.mark.parametrize("app", ["", "NoSuchApp0123456789AB", "<b>x</b>", "a" * 100])
def test_asking_for_an_unknown_app_is_a_404_page(pages: FlaskClient, app: str) -> None:
    response = pages.post("/auth/sign-in", data={"app": app, "email": TESTER})
    assert_html_page(response, 404)
    assert "<b>x</b>" not in text(response)


def test_too_many_requests_are_a_429_page(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    form = {"app": private_app.id, "email": TESTER}
    for _ in range(3):
        assert pages.post("/auth/sign-in", data=form).status_code == 200

    response = pages.post("/auth/sign-in", data=form)

    assert_html_page(response, 429)
    assert heading(response) == "Too many attempts"
    assert response.headers["Retry-After"] == "55"  # the minute's window ends at 12:01:00
    assert len(email_queue(deps).calls) == 3


def test_a_stranger_cannot_use_up_a_testers_limit(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    form = {"app": private_app.id, "email": TESTER}
    attacker, tester = {"X-Forwarded-For": "198.51.100.66"}, {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(3):
        assert pages.post("/auth/sign-in", data=form, headers=attacker).status_code == 200
    assert pages.post("/auth/sign-in", data=form, headers=attacker).status_code == 429

    assert_html_page(pages.post("/auth/sign-in", data=form, headers=tester), 200)
    assert len(email_queue(deps).calls) == 4


def test_the_client_limit_counts_the_address_the_proxy_saw(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    """Ten a minute per client; a client rotating a forged X-Forwarded-For gains nothing."""
    for n in range(10):
        forged = {"X-Forwarded-For": f"10.0.0.{n}, 198.51.100.7"}
        form = {"app": private_app.id, "email": f"p{n}@example.com"}
        assert pages.post("/auth/sign-in", data=form, headers=forged).status_code == 200
    response = pages.post(
        "/auth/sign-in",
        data={"app": private_app.id, "email": TESTER},
        headers={"X-Forwarded-For": "10.9.9.9, 198.51.100.7"},
    )
    assert response.status_code == 429
    other = pages.post(
        "/auth/sign-in",
        data={"app": private_app.id, "email": TESTER},
        headers={"X-Forwarded-For": "198.51.100.8"},
    )
    assert other.status_code == 200
    key = "sign-in-client-" + hashlib.sha256(b"198.51.100.7").hexdigest()[:32]
    assert any(window.startswith(key) for window in deps.rate_limits.counts)


# --- following the link -------------------------------------------------------------------------


def test_the_emailed_link_opens_a_confirm_page_and_spends_nothing(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    token = emailed_token(deps)

    for _ in range(2):  # a mail scanner prefetching the link, then the tester
        response = pages.get("/auth/verify", query_string={"token": token})
        assert_html_page(response, 200)
        assert heading(response) == "Sign in"
        assert '<form method="post" action="../auth/verify">' in text(response)
        assert f'<input type="hidden" name="token" value="{token}">' in text(response)
        assert "Set-Cookie" not in response.headers
    assert pages.head("/auth/verify", query_string={"token": token}).status_code == 200
    assert sign_in.redeem_link(deps, token).email == TESTER  # still valid


def test_the_confirm_page_names_who_signs_in_and_to_what(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    """Login CSRF: another site can link a visitor to its own token's page; the page must say
    whose address the button signs in as."""
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    token = emailed_token(deps)

    response = pages.get("/auth/verify", query_string={"token": token})

    assert_html_page(response, 200)
    assert f'<strong id="sign-in-email">{TESTER}</strong>' in text(response)
    assert '<strong id="sign-in-app">Secret App</strong>' in text(response)
    assert sign_in.redeem_link(deps, token).email == TESTER  # still valid


@pytest.mark.parametrize("spoil", ["redeemed", "expired", "other secret"])
def test_a_link_that_cannot_sign_in_shows_the_invalid_page_before_the_button(
    pages: FlaskClient, deps: Dependencies, private_app: Application, spoil: str
) -> None:
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    token = emailed_token(deps)
    if spoil == "redeemed":
        assert pages.post("/auth/verify", data={"token": token}).status_code == 303
    elif spoil == "expired":
        deps.clock.now += sign_in.LINK_LIFETIME
    else:
        token = token.split(".")[0] + "." + "A" * 43

    response = pages.get("/auth/verify", query_string={"token": token})

    assert_html_page(response, 400)
    assert EXPIRED in text(response)
    assert TESTER not in text(response) and 'name="token"' not in text(response)


def test_confirming_signs_in_once(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": " Tester@Example.com "})
    token = emailed_token(deps)

    response = pages.post("/auth/verify", data={"token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{SITE}/app/{private_app.id}"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("apkdrop_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    (record,) = sessions(deps).sessions.values()
    assert record["email"] == TESTER
    page = pages.get(f"/app/{private_app.id}")  # the client kept the cookie
    assert page.status_code == 200
    assert TESTER in text(page)

    again = pages.post("/auth/verify", data={"token": token})
    assert_html_page(again, 400)
    assert EXPIRED in text(again)
    assert "Set-Cookie" not in again.headers


def test_each_page_view_reads_the_session_once(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    sign_in_as(pages, deps, TESTER)
    for n in range(1, 3):
        assert pages.get(f"/app/{private_app.id}").status_code == 200
        assert sessions(deps).reads == n


@pytest.mark.parametrize(
    "settings_overrides", [{"session_signing_key": "k" * 40, "session_cookie_secure": False}]
)
def test_local_dev_cookies_are_not_secure(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    response = pages.post("/auth/verify", data={"token": emailed_token(deps)})
    assert response.status_code == 303
    assert "Secure" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize("query", ["", "?token=", "?token=abc", "?token=" + "A" * 43, "?x=1"])
def test_a_bad_token_is_a_400_page(pages: FlaskClient, query: str) -> None:
    response = pages.get("/auth/verify" + query)
    assert_html_page(response, 400)
    assert EXPIRED in text(response)
    token = urllib.parse.parse_qs(query.lstrip("?")).get("token", [""])[0]
    confirmed = pages.post("/auth/verify", data={"token": token})
    assert_html_page(confirmed, 400)
    assert EXPIRED in text(confirmed)


@pytest.mark.parametrize("settings_overrides", [{}])
def test_a_failure_to_start_a_session_does_not_spend_the_link(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    token = emailed_token(deps)
    first = pages.post("/auth/verify", data={"token": token})
    # A misconfiguration, not an outage: 500 without Retry-After, and the link stays unspent.
    assert first.status_code == 500
    assert "Retry-After" not in first.headers
    assert sign_in.redeem_link(deps, token).email == TESTER


# --- signing out --------------------------------------------------------------------------------


def test_sign_out_clears_the_cookie(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    sign_in_as(pages, deps, TESTER)
    assert pages.get(f"/app/{private_app.id}").status_code == 200

    response = pages.post("/auth/sign-out", data={"next": f"/app/{private_app.id}"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{SITE}/app/{private_app.id}"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("apkdrop_session=;") and "Max-Age=0" in cookie
    assert pages.get_cookie(session.COOKIE_NAME) is None
    assert pages.get(f"/app/{private_app.id}").status_code == 401


def test_a_cookie_replayed_after_sign_out_signs_nobody_in(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    sign_in_as(pages, deps, TESTER)
    copied = pages.get_cookie(session.COOKIE_NAME).value
    assert pages.post("/auth/sign-out").status_code == 200

    pages.set_cookie(session.COOKIE_NAME, copied)
    assert_html_page(pages.get(f"/app/{private_app.id}"), 401)
    assert pages.get(f"/app/{private_app.id}/download").status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "",
        "https://evil.example/app/x",
        "//evil.example",
        "//evil.example/app/abc",
        "/\\evil.example",
        "/app/../../evil",
        "/app/abc/../../x",
        "/app/abc?x=//evil.example",
        "/app/abc\r\nSet-Cookie: a=b",
        "https:/evil.example",
        "javascript:alert(1)",
        "/auth/sign-out",
        "//evil.com",
        f"/app/{APP_ID}?version=1.0&next=http://evil",
        f"/app/{APP_ID}?channel=nightly\r\nSet-Cookie: a=b",
        f"/app/{APP_ID}/../..",
        f"/app/{APP_ID}?version=1.0#//evil.example",
    ],
)
def test_sign_out_only_follows_app_pages(pages: FlaskClient, target: str) -> None:
    response = pages.post("/auth/sign-out", data={"next": target})
    # Anything but one of our app pages: no redirect at all, a "Signed out" page instead.
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert "Signed out" in response.get_data(as_text=True)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("apkdrop_session=;") and "a=b" not in cookie


def test_opening_sign_out_asks_for_the_button_and_ends_nothing(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    """Another site can make a browser open a URL (a link, an image): only the button's POST
    signs out, and an old bookmark of the GET still finds it."""
    sign_in_as(pages, deps, TESTER)

    response = pages.get("/auth/sign-out", query_string={"next": f"/app/{private_app.id}"})

    assert_html_page(response, 200)
    assert heading(response) == "Sign out"
    assert sign_out_form(response) == f"/app/{private_app.id}"
    assert "Set-Cookie" not in response.headers
    assert pages.get(f"/app/{private_app.id}").status_code == 200  # still signed in


@pytest.mark.parametrize("query", ["?version=2.0", "?channel=beta", "?version=2.0&channel=beta"])
def test_the_sign_out_page_carries_a_versioned_or_channel_page_on(
    pages: FlaskClient, query: str
) -> None:
    target = f"/app/{APP_ID}{query}"
    assert sign_out_form(pages.get("/auth/sign-out", query_string={"next": target})) == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/app/x",
        "/app/abc?x=//evil.example",
        f"/app/{APP_ID}?version=1.0&next=http://evil",
        f"/app/{APP_ID}?channel=<b>",
    ],
)
def test_the_sign_out_page_carries_only_an_app_page_on(pages: FlaskClient, target: str) -> None:
    assert sign_out_form(pages.get("/auth/sign-out", query_string={"next": target})) is None


# --- forms sent from other sites ----------------------------------------------------------------

# Every route that changes something: each must refuse another site's form.
STATE_CHANGING = sorted(
    rule.rule for rule in views.ROUTES.iter_rules() if rule.methods - {"GET", "HEAD", "OPTIONS"}
)
CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling host is not us
    {"Sec-Fetch-Site": "cross-site", "Origin": SITE},  # the browser's own word wins
    {"Origin": "https://evil.example"},
    {"Origin": "https://apkdrop.example.test.evil.example"},
    {"Origin": "https://apkdrop.example.test:8443"},
    {"Origin": "null"},  # an opaque origin: a sandboxed frame, a data: URL
    {"Origin": "https://apkdrop.example.test:99999"},  # no origin at all
]
OWN_PAGES = [
    {},  # neither header: curl, a very old browser
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},  # the visitor's own doing (a bookmark)
    {"Origin": SITE},  # PUBLIC_BASE_URL's origin, from a browser without Sec-Fetch-Site
    {"Origin": "HTTPS://APKDROP.example.test:443"},
    {"Origin": "http://localhost"},  # the host the request was sent to (the test client's)
]


# What a header can hold (the test client refuses a line break).
HEADER_CHARACTERS = st.characters(codec="latin-1", exclude_characters="\r\n")


def test_every_state_changing_route_is_a_form() -> None:
    assert STATE_CHANGING == ["/auth/sign-in", "/auth/sign-out", "/auth/verify"]


@pytest.mark.parametrize("path", STATE_CHANGING)
@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_form_from_another_site_is_refused(
    pages: FlaskClient, path: str, headers: dict[str, str]
) -> None:
    response = pages.post(path, headers=headers)
    assert_html_page(response, 403)
    assert heading(response) == "No access"
    assert "sent from another site" in text(response)
    assert "sign-out" not in text(response)  # no other address would help
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("headers", CROSS_SITE[:1] + CROSS_SITE[3:4])
def test_another_sites_form_does_nothing(
    pages: FlaskClient, deps: Dependencies, private_app: Application, headers: dict[str, str]
) -> None:
    """Login CSRF: another site's page posts its own token, to sign the visitor into its
    account here. Nor may it ask for links, or sign anyone out."""
    pages.post("/auth/sign-in", data={"app": private_app.id, "email": TESTER})
    token = emailed_token(deps)
    queued = len(email_queue(deps).calls)
    sign_in_as(pages, deps, TESTER)

    forms = {
        "/auth/sign-in": {"app": private_app.id, "email": STRANGER},
        "/auth/verify": {"token": token},
        "/auth/sign-out": {"next": f"/app/{private_app.id}"},
    }
    for path, form in forms.items():
        assert pages.post(path, data=form, headers=headers).status_code == 403

    assert len(email_queue(deps).calls) == queued
    assert sign_in.redeem_link(deps, token).email == TESTER  # unspent
    assert len(sessions(deps).sessions) == 1  # none started, none revoked
    assert pages.get(f"/app/{private_app.id}").status_code == 200


@pytest.mark.parametrize("headers", OWN_PAGES)
def test_a_form_from_our_own_pages_is_accepted(
    pages: FlaskClient, deps: Dependencies, private_app: Application, headers: dict[str, str]
) -> None:
    asked = pages.post(
        "/auth/sign-in", data={"app": private_app.id, "email": TESTER}, headers=headers
    )
    assert_html_page(asked, 200)
    assert heading(asked) == CHECK_EMAIL

    confirmed = pages.post("/auth/verify", data={"token": emailed_token(deps)}, headers=headers)
    assert confirmed.status_code == 303
    assert pages.get(f"/app/{private_app.id}").status_code == 200

    left = pages.post("/auth/sign-out", data={"next": f"/app/{private_app.id}"}, headers=headers)
    assert left.status_code == 303
    assert pages.get(f"/app/{private_app.id}").status_code == 401


def test_opening_a_page_from_another_site_is_no_form(
    pages: FlaskClient, public_app: Application
) -> None:
    """A link on another site opens the page and its download: only forms are refused."""
    cross_site = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    assert pages.get(f"/app/{APP_ID}", headers=cross_site).status_code == 200
    assert pages.get(f"/app/{APP_ID}/download", headers=cross_site).status_code == 302
    assert pages.get("/auth/sign-out", headers=cross_site).status_code == 200


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(STATE_CHANGING),
    fetch_site=st.none()
    | st.sampled_from(["same-origin", "cross-site", ""])
    | st.text(HEADER_CHARACTERS, max_size=20),
    origin=st.none()
    | st.sampled_from([SITE, "null", "https://", "https://[::1", "http://localhost:x"])
    | st.text(HEADER_CHARACTERS, max_size=40),
)
def test_no_origin_header_is_a_server_error(
    pages: FlaskClient, path: str, fetch_site: str | None, origin: str | None
) -> None:
    headers = {"Sec-Fetch-Site": fetch_site, "Origin": origin}
    sent = {name: value for name, value in headers.items() if value is not None}
    response = pages.post(path, headers=sent)
    event(f"status {response.status_code}")
    assert response.status_code < 500, text(response)
    assert response.mimetype == "text/html"


# --- the client's address -----------------------------------------------------------------------


def request(forwarded: str | None, remote: str = "192.0.2.1") -> flask.Request:
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    builder = EnvironBuilder(
        path="/auth/sign-in", headers=headers, environ_base={"REMOTE_ADDR": remote}
    )
    return flask.Request(builder.get_environ())


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [
        (None, 1, "192.0.2.1"),
        ("", 1, "192.0.2.1"),
        (" , ,", 1, "192.0.2.1"),
        ("203.0.113.5", 1, "203.0.113.5"),
        ("1.1.1.1, 203.0.113.5", 1, "203.0.113.5"),  # the left entry was the client's own
        ("1.1.1.1,2.2.2.2 ,203.0.113.5", 1, "203.0.113.5"),
        ("203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("6.6.6.6, 7.7.7.7, 203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("10.0.0.2", 2, "192.0.2.1"),  # fewer entries than proxies: the peer
        ("2001:db8::1", 1, "2001:db8::1"),
    ],
)
def test_client_address(forwarded: str | None, hops: int, expected: str) -> None:
    assert views.client_address(request(forwarded), hops) == expected


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxy_hops": 2}])
def test_two_trusted_hops_through_the_entry_point(
    pages: FlaskClient, deps: Dependencies, private_app: Application
) -> None:
    pages.post(
        "/auth/sign-in",
        data={"app": private_app.id, "email": TESTER},
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.5, 10.0.0.2"},
    )
    key = "sign-in-client-" + hashlib.sha256(b"203.0.113.5").hexdigest()[:32]
    assert any(window.startswith(key) for window in deps.rate_limits.counts)


# --- methods ------------------------------------------------------------------------------------


def test_a_wrong_method_is_an_html_page(pages: FlaskClient) -> None:
    response = pages.get("/auth/sign-in")
    assert response.status_code == 405
    assert response.mimetype == "text/html"


def test_a_wrong_method_is_refused(pages: FlaskClient, public_app: Application) -> None:
    for response in (
        pages.get("/auth/sign-in"),
        pages.post(f"/app/{APP_ID}"),
        pages.delete(f"/app/{APP_ID}/download"),
        pages.put("/auth/verify"),
    ):
        assert response.status_code == 405
        assert response.headers["Allow"]


def test_head_requests_are_answered(pages: FlaskClient, public_app: Application) -> None:
    response = pages.head(f"/app/{APP_ID}")
    assert response.status_code == 200
    assert response.get_data() == b""


# --- nothing a visitor sends is a server error --------------------------------------------------

SEGMENT = st.text(max_size=50).map(lambda s: urllib.parse.quote(s, safe=""))
PATHS = st.one_of(
    st.builds("/app/{}".format, SEGMENT),
    st.builds("/app/{}/download".format, SEGMENT),
    st.builds("/app/{}/{}".format, SEGMENT, SEGMENT),
    st.sampled_from([f"/app/{APP_ID}", f"/app/{APP_ID}/download", "/app/PrivateInstallPage0001"]),
    st.builds("/auth/{}".format, SEGMENT),
    st.sampled_from(["/auth/verify", "/auth/sign-out", "/auth/sign-in"]),
)
QUERY_VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["1.0", "2.0", "1", "0", "-1", "1.5", "9" * 30, "//evil.example", "/app/x"]),
)
QUERIES = st.one_of(
    st.lists(
        st.tuples(
            st.sampled_from(["version", "token", "next", "x"]) | st.text(max_size=8), QUERY_VALUES
        ),
        max_size=4,
    ).map(urllib.parse.urlencode),
    st.text(string.printable, max_size=60),
)
COOKIES = (
    st.none()
    | st.text(string.ascii_letters + string.digits + "-_.=!~*'()", max_size=120)
    | st.just("valid")
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=PATHS, query=QUERIES, cookie=COOKIES)
def test_no_request_is_a_server_error(
    pages: FlaskClient,
    deps: Dependencies,
    public_app: Application,
    private_app: Application,
    path: str,
    query: str,
    cookie: str | None,
) -> None:
    pages.delete_cookie(session.COOKIE_NAME)
    if cookie == "valid":
        sign_in_as(pages, deps, TESTER)
    elif cookie is not None:
        pages.set_cookie(session.COOKIE_NAME, cookie)
    response = pages.get(path, query_string=query)
    event(f"status {response.status_code}")
    assert response.status_code < 500, text(response)
    if response.status_code in (200, 400, 401, 403, 404):
        assert response.mimetype == "text/html"
    if response.status_code in (302, 303):
        location = response.headers["Location"]
        assert location.startswith((f"{SITE}/app/", "https://storage.example.test/")), location


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    app=st.sampled_from([APP_ID, "PrivateInstallPage0001", ""]) | st.text(max_size=50),
    email=st.sampled_from([TESTER, STRANGER, "", "x@y"]) | st.text(max_size=300),
    extra=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
)
def test_no_sign_in_form_is_a_server_error(
    pages: FlaskClient,
    public_app: Application,
    private_app: Application,
    app: str,
    email: str,
    extra: dict[str, str],
) -> None:
    response = pages.post("/auth/sign-in", data={**extra, "app": app, "email": email})
    event(f"status {response.status_code}")
    assert response.status_code in {200, 400, 404, 429}, text(response)
    assert response.mimetype == "text/html"


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    token=st.text(max_size=200)
    | st.builds("{}.{}".format, st.text("0123456789abcdef", max_size=40), st.text(max_size=50)),
    extra=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
)
def test_no_confirmation_is_a_server_error(
    pages: FlaskClient, private_app: Application, token: str, extra: dict[str, str]
) -> None:
    response = pages.post("/auth/verify", data={**extra, "token": token})
    event(f"status {response.status_code}")
    assert response.status_code == 400, text(response)
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/app//download", "//app/x", "/auth//verify"])
def test_doubled_slashes_are_not_found_not_redirected(pages: FlaskClient, path: str) -> None:
    # Found by the fuzz test above: werkzeug's merge-slashes redirect rebuilt the URL from a
    # query with a newline in it, and the Location header made the answer a 500.
    response = pages.get(path, query_string="x=a%0Ab")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_versions_page_lists_its_play_readiness_checks(
    pages: FlaskClient, deps: Dependencies
) -> None:
    old_library = elf_library(alignment=PAGE_4KB)
    content = build_apk(libraries={"lib/arm64-v8a/libold.so": old_library}, **play_ready())
    account = Caller(
        id="acct-real", email="uploader@example.com", keyPrefix="apkd_test", scope=KeyScope.UPLOAD
    )
    with UploadSession(deps, account) as upload:
        upload.file_writer().write(content)
        answer = upload.publish(read_upload_form(MultiDict({}), True, deps.settings))

    response = pages.get(urllib.parse.urlsplit(answer.data.magicLink).path)

    assert response.status_code == 200, text(response)
    section = re.search(r'<section class="card" id="checks">(.*?)</section>', text(response), re.S)
    assert section, text(response)
    items = re.findall(r"<li>(.*?)</li>", section.group(1), re.S)
    lines = [html.unescape(re.sub(r"<[^>]+>", " ", item)).split() for item in items]
    assert " ".join(" ".join(line) for line in lines) == (
        "fail 16 KB page size: lib/arm64-v8a/libold.so: LOAD segments aligned to 4 KB, not 16 KB"
        " pass Target SDK: targetSdkVersion 35 meets Play's minimum of 35"
        " pass Target SDK declared: the manifest declares targetSdkVersion"
        " pass Not debuggable: not debuggable"
        " pass APK Signature Scheme v2+: signed with v2, v3"
    )


def test_a_version_stored_before_checks_shows_none(
    pages: FlaskClient, public_app: Application
) -> None:
    response = pages.get(f"/app/{APP_ID}")

    assert response.status_code == 200
    assert b'id="checks"' not in response.data
