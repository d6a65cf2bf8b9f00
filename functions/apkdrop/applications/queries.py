"""Reading an account's applications and their versions."""

from apkdrop import links
from apkdrop.accounts import Account
from apkdrop.applications.models import (
    AccessType,
    Application,
    ApplicationDetail,
    ApplicationView,
    Version,
    VersionView,
)
from apkdrop.dependencies import Dependencies
from apkdrop.errors import NotFound
from apkdrop.ids import OPAQUE_ID
from apkdrop.settings import PublicLinkSettings
from apkdrop.version_labels import label


def app_not_found(app_id: str) -> NotFound:
    """For an app that does not exist, or is another account's (the same to the caller)."""
    return NotFound(f"Application {app_id} not found")


def checked_app_id(app_id: str) -> str:
    """The endpoints' one check of an app id in a path: one no app can have is not found."""
    if not OPAQUE_ID.match(app_id):
        raise app_not_found(app_id)
    return app_id


def list_applications(
    deps: Dependencies[PublicLinkSettings], account: Account
) -> list[ApplicationView]:
    """The account's apps, newest first."""
    apps = deps.applications.apps_of_account(account.id)
    latest = deps.applications.latest_versions(apps)
    return [_view(deps, app, latest.get(app.id)) for app in apps]


def get_application(
    deps: Dependencies[PublicLinkSettings], account: Account, app_id: str
) -> ApplicationDetail:
    """One app with its remaining versions, newest first (deleted ones are not listed)."""
    app = owned_app(deps, account, app_id)
    return application_detail(deps, app, deps.applications.versions(app.id))


def application_detail(
    deps: Dependencies[PublicLinkSettings], app: Application, versions: list[Version]
) -> ApplicationDetail:
    """`app` with `versions`, its remaining ones newest first."""
    return ApplicationDetail(
        **_view(deps, app, versions[0] if versions else None).model_dump(),
        versions=[version_view(deps, app, version) for version in versions],
    )


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
            }
        ),
        version=version.version,
        sha256State=version.sha256State,
        versionedMagicLink=links.versioned_link(
            deps.settings.public_base_url, app.id, version.versionNumber
        ),
        accessType=version.accessType.lower(),
    )
