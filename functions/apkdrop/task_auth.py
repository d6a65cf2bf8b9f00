"""Task handlers accept only Cloud Tasks' OIDC token of the queue's account, for their own URL;
the retention sweeper only Cloud Scheduler's token of its job's account."""

from collections.abc import Mapping

import google.auth.transport.requests
from google.auth import exceptions as auth_exceptions
from google.oauth2 import id_token
from werkzeug.datastructures import Headers
from werkzeug.routing import Rule

from apkdrop.errors import BackendUnavailable, Forbidden, Unauthenticated
from apkdrop.http import route_map
from apkdrop.settings import SchedulerAuthSettings, TaskAuthSettings

# A task handler's one route: Cloud Tasks POSTs the task to the function's URL.
TASK_ROUTES = route_map(Rule("/", methods=["POST"], endpoint="task"))

# Tests replace this; production verifies against Google's published certificates.
verify_token = id_token.verify_oauth2_token


def verify_task_caller(
    headers: Headers | Mapping[str, str], settings: TaskAuthSettings, audience: str
) -> None:
    """Raises unless the request carries a valid token of TASKS_INVOKER_SERVICE_ACCOUNT."""
    verify_oidc_caller(
        headers,
        settings.tasks_invoker_service_account,
        audience,
        settings.dev_allow_unauthenticated_tasks,
    )


def verify_scheduler_caller(
    headers: Headers | Mapping[str, str], settings: SchedulerAuthSettings
) -> None:
    """Raises unless the request carries a valid token of RETENTION_SCHEDULER_SERVICE_ACCOUNT
    for RETENTION_SWEEPER_URL: Cloud Scheduler's job, as Terraform configures it."""
    verify_oidc_caller(
        headers,
        settings.retention_scheduler_service_account,
        str(settings.retention_sweeper_url),
        settings.dev_allow_unauthenticated_tasks,
    )


def verify_oidc_caller(
    headers: Headers | Mapping[str, str],
    invoker: str | None,
    audience: str,
    allow_unauthenticated: bool,
) -> None:
    """A Google OIDC token of the `invoker` account, issued for `audience` (the handler's URL).
    `allow_unauthenticated`: the local stack, whose emulators cannot mint tokens."""
    if allow_unauthenticated:
        return
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Missing task token")
    try:
        claims = verify_token(
            token.strip(), google.auth.transport.requests.Request(), audience=audience
        )
    except auth_exceptions.TransportError as exc:
        raise BackendUnavailable("Google's token certificates are unreachable") from exc
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise Unauthenticated("Invalid task token") from exc
    if not invoker or not claims.get("email_verified") or claims.get("email") != invoker:
        raise Forbidden("This task token is not the queue's")
