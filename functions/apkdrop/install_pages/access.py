"""Who may open a version of an app: the one access decision of the install pages."""

from apkdrop.applications.models import AccessType, Application, Version


def may_open(app: Application, version: Version, email: str | None) -> bool:
    """Public: anyone. Private: the uploader and the allowed users (still the app's, for now)."""
    if app.accessType is AccessType.PUBLIC:
        return True
    return email is not None and (email == app.ownerEmail or email in app.allowedUsers)
