"""A build project's retention policy: upload contexts older than `maxAgeDays` are deleted,
with their builds' files, by the retention sweep (retention/sweep.py)."""

from apkdrop.accounts import Account, Caller
from apkdrop.audit.models import AuditAction
from apkdrop.audit.service import record
from apkdrop.builds.models import ProjectRetention, StoredProjectRetention
from apkdrop.dependencies import Dependencies


def project_policy(
    deps: Dependencies[object], account: Account, project_name: str
) -> ProjectRetention:
    stored = deps.builds.project_retention(account.id, project_name)
    return ProjectRetention(maxAgeDays=stored.maxAgeDays if stored else None)


def set_project_policy(
    deps: Dependencies[object], caller: Caller, project_name: str, policy: ProjectRetention
) -> ProjectRetention:
    """Replaces the project's policy (one without maxAgeDays removes it); applied by the next
    sweep. Projects are the account's own names: any name may hold a policy before its first
    context."""
    if policy.maxAgeDays is None:
        deps.builds.remove_project_retention(caller.id, project_name)
    else:
        deps.builds.set_project_retention(
            StoredProjectRetention(
                accountId=caller.id,
                projectName=project_name,
                maxAgeDays=policy.maxAgeDays,
                ownerEmail=caller.email,
            )
        )
    record(
        deps,
        caller,
        AuditAction.RETENTION_CHANGE,
        project_retention_path(project_name),
        policy.model_dump(mode="json", exclude_none=True),
    )
    return policy


def project_retention_path(project_name: str) -> str:
    """The API path of a project's policy, as the audit trail names it."""
    return f"/api/v1/projects/{project_name}/retention"
