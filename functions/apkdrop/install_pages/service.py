"""What the install pages serve: the version a visitor asked for, if they may open it."""

from dataclasses import dataclass

from apkdrop.apk.insights import Insights
from apkdrop.applications.models import Application, Version
from apkdrop.dependencies import Dependencies
from apkdrop.downloads import service as downloads
from apkdrop.downloads.models import Via
from apkdrop.errors import Forbidden, NotFound, Unauthenticated
from apkdrop.install_pages import gone, sign_in
from apkdrop.install_pages.access import compared_number, insights_shown, may_open, openable
from apkdrop.settings import InstallPageHistorySettings, InstallPagesSettings
from apkdrop.ttls import PAGE_ICON_URL_TTL
from apkdrop.version_labels import parse_label

NO_SUCH_APP = "This app does not exist, or its link is mistyped."


@dataclass(frozen=True)
class VisibleVersion:
    """A version the visitor may open, and the versions of its app they may open among the
    newest (history_window), the one shown included."""

    app: Application
    version: Version
    versions: list[Version]  # newest first; the others are not even named
    latest: int  # the number the page's link without ?version= opens (the channel's, if asked)
    insights: Insights | None  # the version's, if the visitor may open what they compare with


@dataclass(frozen=True)
class AppPage(VisibleVersion):
    icon_url: str | None


def visible_version(
    deps: Dependencies[InstallPageHistorySettings],
    app_id: str,
    requested: str | None,
    email: str | None,
    channel: str | None = None,
) -> VisibleVersion:
    """Version `requested` (its label as asked, None: the latest) of the app, if `email` may
    open it. With `channel`, among that channel's versions only (404 when it has none)."""
    app = _app(deps, app_id)
    window = history_window(deps, app, channel)
    latest = app.latest_application_version
    if channel is not None:
        if not window:
            raise NotFound(f"This app has no channel {channel}.")
        latest = window[0].versionNumber
    version = _openable_version(deps, app, requested, latest, email, window, channel)
    number = compared_number(version)
    compared = None if number is None else _version(deps, app, window, number)
    insights = insights_shown(app, version, compared, [email])
    history = openable(app, window, email)
    if version not in history:  # older than the window: the ones between are not looked for
        history.append(version)
    return VisibleVersion(app, version, history, latest, insights)


def history_window(
    deps: Dependencies[InstallPageHistorySettings], app: Application, channel: str | None
) -> list[Version]:
    """The remaining versions among the newest INSTALL_PAGE_HISTORY_VERSIONS version documents
    (of `channel` when given), newest first: all a page reads of its app's versions but the one
    it shows and the one its insights compare with, each by number."""
    limit = deps.settings.install_page_history_versions
    return deps.applications.newest_versions(app.id, limit, channel)[0]


def _openable_version(
    deps: Dependencies[InstallPageHistorySettings],
    app: Application,
    requested: str | None,
    latest: int,
    email: str | None,
    window: list[Version] | None,
    channel: str | None = None,
) -> Version:
    """Version `requested` (None: `latest`), of `channel` when given, if `email` may open it.
    `window` is the page's history_window; None (a download) reads it only for the 410 of a
    deleted version."""
    number = _requested_version(requested)
    if number is None:
        number = latest
    version = _version(deps, app, window or [], number)
    if version is not None and channel is not None and version.channel != channel:
        version = None
    if version is None:
        if window is None:
            window = history_window(deps, app, channel)
        deleted = gone.version_gone(deps, app, window, number if requested else None, email)
        raise deleted or NotFound(f"This app has no version {requested}.")
    if not may_open(app, version, email):
        if email is None:
            raise Unauthenticated("This app is private: sign in to see it.")
        raise Forbidden(f"{email} is not on this app's list of testers.")
    return version


def _version(
    deps: Dependencies[object], app: Application, window: list[Version], number: int
) -> Version | None:
    """Remaining version `number`, from `window` when it is there (no second read)."""
    found = next((v for v in window if v.versionNumber == number), None)
    if found is not None:
        return found
    stored = deps.applications.get_version(app.id, number)
    return None if stored is None else stored[1]


def app_page(
    deps: Dependencies[InstallPageHistorySettings],
    app_id: str,
    requested: str | None,
    email: str | None,
    channel: str | None = None,
) -> AppPage:
    visible = visible_version(deps, app_id, requested, email, channel)
    icon = visible.version.iconObject
    icon_url = deps.bucket.signed_get_url(icon, PAGE_ICON_URL_TTL) if icon else None
    return AppPage(**vars(visible), icon_url=icon_url)


def download_url(
    deps: Dependencies[InstallPageHistorySettings],
    app_id: str,
    requested: str | None,
    email: str | None,
    bundle: bool = False,
    probe: bool = False,
) -> str | None:
    """A short-lived signed URL, so the bytes come straight from the bucket (recorded): of a
    bundle's universal APK once built, unless `bundle` asks for the .aab itself (a `probe`,
    authorised the same: None)."""
    app = _app(deps, app_id)
    latest = app.latest_application_version
    version = _openable_version(deps, app, requested, latest, email, None)
    return downloads.signed_download(
        deps, app, version, email, Via.PAGE, universal=not bundle, probe=probe
    )


def request_sign_in(
    deps: Dependencies[InstallPagesSettings],
    app_id: str,
    requested: str | None,
    address: str,
    client: str,
    channel: str | None = None,
) -> Application:
    """Queues a sign-in link for `requested` (None: the latest, of `channel` when given) of an
    app that exists."""
    app = _app(deps, app_id)
    sign_in.request_link(deps, app, address, client, _requested_version(requested), channel)
    return app


def _app(deps: Dependencies[object], app_id: str) -> Application:
    app = deps.applications.get_app(app_id)
    if app is None:
        raise gone.app_gone(deps, app_id) or NotFound(NO_SUCH_APP)
    return app


def _requested_version(text: str | None) -> int | None:
    """The version number asked for; None when none is. A label that names none is not found."""
    if text is None:
        return None
    number = parse_label(text)
    if number is None:
        raise NotFound(f"This app has no version {text}.")
    return number
