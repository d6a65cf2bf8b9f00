"""Owners read and set an app's retention policy (admin keys for setting it)."""

from apkdrop.accounts import Caller
from apkdrop.applications.queries import app_not_found, owned_app
from apkdrop.audit.models import AuditAction
from apkdrop.audit.service import record
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest
from apkdrop.links import application_path
from apkdrop.retention.models import RETENTION_DELETES, RetentionPolicy
from apkdrop.settings import RetentionPolicySettings


def retention_path(app_id: str) -> str:
    """The API path of an app's policy, as the audit trail names it."""
    return f"{application_path(app_id)}/retention"


def app_policy(deps: Dependencies[object], caller: Caller, app_id: str) -> RetentionPolicy:
    return owned_app(deps, caller, app_id).retention


def set_app_policy(
    deps: Dependencies[RetentionPolicySettings],
    caller: Caller,
    app_id: str,
    policy: RetentionPolicy,
) -> RetentionPolicy:
    """Replaces the policy, in a commit on the app document that a concurrent upload's version
    commit retries after; it is applied by the next upload of each channel and the next sweep."""
    app = owned_app(deps, caller, app_id)
    cap = deps.settings.max_retention_channel_rules
    if len(policy.channels) > cap:
        raise InvalidRequest(f"channels may hold at most {cap} rules")
    changes = {"retention": policy.model_dump(), RETENTION_DELETES: policy.deletes}
    if deps.applications.change_access(app.id, None, None, changes) is None:
        raise app_not_found(app_id)  # deleted meanwhile
    record(
        deps,
        caller,
        AuditAction.RETENTION_CHANGE,
        retention_path(app.id),
        policy.model_dump(mode="json", exclude_none=True),
    )
    return policy
