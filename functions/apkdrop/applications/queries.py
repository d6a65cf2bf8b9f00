"""Reading an account's applications and their versions."""

from apkdrop import links
from apkdrop.accounts import Account
from apkdrop.applications.models import (
    CHANNEL_SUMMARY_VERSIONS,
    AccessType,
    Application,
    ApplicationDetail,
    ApplicationDetailPage,
    ApplicationPage,
    ApplicationView,
    ChannelView,
    Version,
    VersionView,
)
from apkdrop.dependencies import Dependencies
from apkdrop.errors import NotFound
from apkdrop.ids import OPAQUE_ID
from apkdrop.paging import (
    DEFAULT_PAGE_SIZE,
    TIME_CURSOR,
    VERSION_CURSOR,
    PageRequest,
    TimeCursor,
    page_token,
)
from apkdrop.settings import PublicLinkSettings
from apkdrop.version_labels import label

FIRST_PAGE: PageRequest[int] = PageRequest(limit=DEFAULT_PAGE_SIZE, after=None)


def app_not_found(app_id: str) -> NotFound:
    """For an app that does not exist, or is another account's (the same to the caller)."""
    return NotFound(f"Application {app_id} not found")


def checked_app_id(app_id: str) -> str:
    """The endpoints' one check of an app id in a path: one no app can have is not found."""
    if not OPAQUE_ID.fullmatch(app_id):
        raise app_not_found(app_id)
    return app_id


def list_applications(
    deps: Dependencies[PublicLinkSettings], account: Account, page: PageRequest[TimeCursor]
) -> ApplicationPage:
    """A page of the account's apps, newest first, each with its latest version's access."""
    apps, last = deps.applications.apps_of_account(account.id, page.limit, page.after)
    latest = deps.applications.latest_versions(apps)
    return ApplicationPage(
        data=[_view(deps, app, latest.get(app.id)) for app in apps],
        nextPageToken=None if last is None else page_token(last, TIME_CURSOR),
    )


def get_application(
    deps: Dependencies[PublicLinkSettings],
    account: Account,
    app_id: str,
    channel: str | None = None,
    page: PageRequest[int] = FIRST_PAGE,
) -> ApplicationDetailPage:
    """One app with a page of its remaining versions, newest first (deleted ones are not
    listed), or only of those of `channel` (404 when it has none)."""
    app = owned_app(deps, account, app_id)
    newest = _newest_of_each_channel(deps, app)
    listed, older = deps.applications.newest_versions(app.id, page.limit, channel, page.after)
    if channel is not None and page.after is None and not listed:
        raise NotFound(f"Application {app_id} has no channel {channel}")
    return ApplicationDetailPage(
        data=application_detail(deps, app, newest, listed=listed),
        nextPageToken=None if older is None else page_token(older, VERSION_CURSOR),
    )


def _newest_of_each_channel(deps: Dependencies[object], app: Application) -> list[Version]:
    """Each listed channel's newest remaining version, newest first. The first is the app's
    latest, whose access the answer shows, but when the latest's channel dropped off
    `channels` (each one uploaded to since then having lost every version)."""
    if app.channels is None:  # stored before apps kept their channels
        window, _ = deps.applications.newest_versions(app.id, CHANNEL_SUMMARY_VERSIONS)
        return window
    return deps.applications.newest_of_channels(app.id, app.channels)


def application_detail(
    deps: Dependencies[PublicLinkSettings],
    app: Application,
    versions: list[Version],
    listed: list[Version] | None = None,
) -> ApplicationDetail:
    """`app` with the channels of `versions` (its newest remaining ones, newest first) and
    `listed` (default: `versions`)."""
    return ApplicationDetail(
        **_view(deps, app, versions[0] if versions else None).model_dump(),
        channels=_channels(deps, app, versions),
        versions=[
            version_view(deps, app, version) for version in (versions if listed is None else listed)
        ],
    )


def _channels(
    deps: Dependencies[PublicLinkSettings], app: Application, versions: list[Version]
) -> list[ChannelView]:
    """Each channel's newest remaining version, from `versions` (newest first)."""
    newest: dict[str, Version] = {}
    for version in versions:
        newest.setdefault(version.channel, version)
    base_url = deps.settings.public_base_url
    return [
        ChannelView(
            channel=channel,
            latestVersion=version.version,
            channelMagicLink=links.channel_link(base_url, app.id, channel),
        )
        for channel, version in newest.items()
    ]


def owned_app(deps: Dependencies[object], account: Account, app_id: str) -> Application:
    """The account's app; another account's (or a deleted) app does not exist (404,
    never 403). `app_id` is one `checked_app_id` let through."""
    app = deps.applications.get_app(app_id)
    if app is None or app.accountId != account.id:
        raise app_not_found(app_id)
    return app


def _view(
    deps: Dependencies[PublicLinkSettings], app: Application, latest: Version | None
) -> ApplicationView:
    """`accessType` is the latest version's (private without it, as a version without one)."""
    return ApplicationView(
        id=app.id,
        packageName=app.packageName,
        appLabel=app.appLabel,
        name=app.display_name,
        magicLink=links.magic_link(deps.settings.public_base_url, app.id),
        latestVersion=label(app.latest_application_version)
        if app.latest_application_version
        else None,
        accessType=(latest.accessType if latest else AccessType.PRIVATE).lower(),
        signerPolicy=app.signerPolicy,
        dateCreated=app.dateCreated,
    )


def version_view(
    deps: Dependencies[PublicLinkSettings], app: Application, version: Version
) -> VersionView:
    return VersionView(
        **version.model_dump(
            exclude={
                "versionNumber",
                "objectName",
                "objectGeneration",
                "iconObject",
                "accessType",
                "componentSizes",
                "hashing",
                "hashWaitingSince",
                "conversionWaitingSince",
            }
        ),
        version=version.version,
        sha256State=version.sha256State,
        versionedMagicLink=links.versioned_link(
            deps.settings.public_base_url, app.id, version.versionNumber
        ),
        accessType=version.accessType.lower(),
    )
