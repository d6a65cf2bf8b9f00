"""Owners change who may open a version, or every version of an app at once, pin versions
(retention keeps them), and name apps and set their signer policy.

The upload form's rules decide what access is valid (form.read_allowed_users, checked_access),
and install_pages/access.py reads the stored fields on every request, so a change holds from
the next request on, signed-in sessions included.
"""

from collections.abc import Callable

from pydantic import JsonValue

from apkdrop.accounts import Caller
from apkdrop.applications.form import checked_access, read_allowed_users
from apkdrop.applications.models import (
    Access,
    AccessChange,
    AccessType,
    Application,
    ApplicationChange,
    ApplicationDetail,
    Version,
    VersionChange,
    VersionView,
)
from apkdrop.applications.queries import application_detail, owned_app, version_view
from apkdrop.audit.models import AuditAction
from apkdrop.audit.service import record
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest, NotFound
from apkdrop.links import application_path, version_path
from apkdrop.settings import ApplicationApiSettings, ApplicationUploadSettings
from apkdrop.version_labels import parse_label

NOTHING_TO_CHANGE = "Give accessType or allowedUsers"
NOTHING_TO_CHANGE_IN_VERSION = "Give accessType, allowedUsers or pinned"


def change_version(
    deps: Dependencies[ApplicationApiSettings],
    caller: Caller,
    app_id: str,
    version: str,
    change: VersionChange,
) -> VersionView:
    """Access in one commit, then the pin in another (each audited on its own)."""
    app = owned_app(deps, caller, app_id)
    number = version_number(app_id, version)
    rule, details = _access_rule(deps, change)
    if rule is None and change.pinned is None:
        raise InvalidRequest(NOTHING_TO_CHANGE_IN_VERSION)
    changed: tuple[Application, Version] | None = None
    if rule is not None:
        access_changed = deps.applications.change_access(
            app.id, number, rule, {"accessChangedAt": deps.clock()}
        )
        if access_changed is not None:
            changed = access_changed[0], access_changed[1][0]
            record(deps, caller, AuditAction.ACCESS_CHANGE, version_path(app.id, number), details)
    if change.pinned is not None and (rule is None or changed is not None):
        changed = deps.applications.set_pinned(app.id, number, change.pinned)
        if changed is not None:
            record(
                deps,
                caller,
                AuditAction.PIN_CHANGE,
                version_path(app.id, number),
                {"pinned": change.pinned},
            )
    if changed is None:
        raise NotFound(f"Application {app_id} has no version {version}")
    return version_view(deps, *changed)


def change_application(
    deps: Dependencies[ApplicationApiSettings],
    caller: Caller,
    app_id: str,
    change: ApplicationChange,
) -> ApplicationDetail:
    """In one commit: the name, the signer policy, and the access of every remaining
    version."""
    app = owned_app(deps, caller, app_id)
    rule, details = _access_rule(deps, change)
    if rule is None and change.name is None and change.signerPolicy is None:
        raise InvalidRequest(f"{NOTHING_TO_CHANGE}, name or signerPolicy")
    app_changes: dict = {"accessChangedAt": deps.clock()}
    if change.name is not None:
        app_changes["name"] = details["name"] = change.name
    if change.signerPolicy is not None:
        app_changes["signerPolicy"] = details["signerPolicy"] = change.signerPolicy.value
    changed = deps.applications.change_access(app.id, None, rule, app_changes)
    if changed is None:
        raise NotFound(f"Application {app_id} not found")  # deleted meanwhile
    record(deps, caller, AuditAction.ACCESS_CHANGE, application_path(app.id), details)
    stored, versions = changed
    if rule is None:  # no version changed, so none came back
        versions = deps.applications.versions(app.id)
    return application_detail(deps, stored, versions)


def version_number(app_id: str, version: str) -> int:
    """`3.0` or `3`; anything else names no version."""
    number = parse_label(version)
    if number is None:
        raise NotFound(f"Application {app_id} has no version {version}")
    return number


def _access_rule(
    deps: Dependencies[ApplicationUploadSettings], change: AccessChange
) -> tuple[Callable[[Version], Access] | None, dict[str, JsonValue]]:
    """What each version's access becomes (None: the request leaves access alone), and the
    change as the audit trail records it."""
    if change.accessType is None and change.allowedUsers is None:
        return None, {}
    users = (
        None
        if change.allowedUsers is None
        else read_allowed_users(change.allowedUsers, deps.settings.max_allowed_users)
    )
    details: dict[str, JsonValue] = {}
    if change.accessType is not None:
        details["accessType"] = change.accessType.value
    if users is not None:
        details["allowedUsers"] = list(users)

    def new_access(version: Version) -> Access:
        allowed = version.allowedUsers if users is None else users
        # Naming testers never leaves a version open to everyone (the upload's rule).
        access = change.accessType or (AccessType.PRIVATE if users else version.accessType)
        return checked_access(access, allowed)

    return new_access, details
