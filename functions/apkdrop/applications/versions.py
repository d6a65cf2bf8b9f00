"""Which app an upload becomes a version of (per versionAction), and the app it creates."""

from apkdrop.accounts import Account
from apkdrop.applications.document_size import ensure_fits
from apkdrop.applications.idempotency import UploadKey
from apkdrop.applications.models import (
    Access,
    AccessType,
    Application,
    NewVersion,
    Version,
    VersionAction,
)
from apkdrop.applications.queries import owned_app
from apkdrop.applications.signer_policy import effective_policy, enforce, version_insights
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, Conflict, InvalidRequest
from apkdrop.ids import new_opaque_id

# An app's first version, when the upload names no access, is public (the API's contract).
FIRST_VERSION_ACCESS: Access = (AccessType.PUBLIC, [])


def already_exists(package: str) -> str:
    """The answer to DO_NOTHING when an app of the package exists (clients match these words)."""
    return (
        f"Application with package name '{package}' already exists. "
        "Use versionAction='create_new_version' to create a new version or "
        "'create_new_app' to create a separate app entry."
    )


def publish_version(
    deps: Dependencies[object], account: Account, new: NewVersion, key: UploadKey | None
) -> tuple[Application, Version]:
    """Stores `new` as version N of the right app; N comes from one atomic commit, which creates
    `key`'s record too (KeyUsed if another upload's commit created it first).

    CREATE_NEW_APP always starts a new app at 1. Otherwise the app named by `appId`, else the
    package's newest app, gets N+1; with no app yet, one is created at 1 (concurrent first
    uploads create one app: the package is claimed by a create-only write).
    """
    store = deps.applications
    first = _fitting(new.as_version(1, new.access_or(FIRST_VERSION_ACCESS)))
    if new.versionAction is VersionAction.CREATE_NEW_APP:
        created = _new_app(deps, account, new, first, key, claim_package=False)
        if created is None:  # never: create_app declines only a package claim
            raise BackendUnavailable("Firestore is unavailable, retry later")
        return created
    app = _target_app(deps, account, new.packageName, new.appId)
    if app is None:
        created = _new_app(deps, account, new, first, key, claim_package=True)
        if created is not None:
            return created
        app = store.latest_app_for_package(account.id, new.packageName)  # created concurrently
        if app is None:  # the claim and its app are one commit: only a stale read misses it
            raise BackendUnavailable("Firestore is unavailable, retry later")
    if new.versionAction is VersionAction.DO_NOTHING:
        raise Conflict(already_exists(new.packageName))
    app_id, policy = app.id, effective_policy(app.signerPolicy, new.signerPolicy)

    # Access inherited from, and insights and the signer guard against, the channel's newest
    # version as the commit follows it, so a concurrent upload is never skipped. A channel's
    # first version follows the app's latest: a new channel name never opens access wider, nor
    # slips past signerPolicy=reject.
    def make_version(previous: Version | None, number: int) -> Version:
        insights = version_insights(previous, new)
        enforce(policy, insights, app_id)
        access = new.access_or(inherited_access(previous))
        return _fitting(new.as_version(number, access, insights))

    return store.append_version(app_id, new.channel, make_version, new.app_changes(), key)


def inherited_access(latest: Version | None) -> Access:
    """An existing app's latest version's access; without that document, the uploader only."""
    if latest is None:
        return AccessType.PRIVATE, []
    return latest.accessType, list(latest.allowedUsers)


def _fitting(version: Version) -> Version:
    """`version`, refused (400) if too large for its Firestore document."""
    ensure_fits("The version", version.model_dump())
    return version


def _target_app(
    deps: Dependencies[object], account: Account, package: str, app_id: str | None
) -> Application | None:
    """The app named by `appId` (the account's, of this package), else the package's newest."""
    if app_id is None:
        return deps.applications.latest_app_for_package(account.id, package)
    app = owned_app(deps, account, app_id)
    if app.packageName != package:
        raise InvalidRequest(
            f"appId {app_id} is an app of package '{app.packageName}', "
            f"not of this APK's '{package}'"
        )
    return app


def _new_app(
    deps: Dependencies[object],
    account: Account,
    new: NewVersion,
    first: Version,
    key: UploadKey | None,
    claim_package: bool,
) -> tuple[Application, Version] | None:
    """None when `claim_package` lost to a concurrent upload that created the app first."""
    app = Application(
        id=new_opaque_id(),
        accountId=account.id,
        ownerEmail=account.email,
        packageName=new.packageName,
        dateCreated=new.uploadTime,
        latest_application_version=1,
        channels=[new.channel],
        **new.app_changes(),
    )
    ensure_fits("The application", app.model_dump())
    if not deps.applications.create_app(app, first, claim_package, key):
        return None
    return app, first
