"""Who may open a version: the one rule every install page and download is authorised by.

Access belongs to each version, as it was uploaded; the app's own fields never grant anything.
"""

from apkdrop.applications.models import AccessType, Application, Version


def may_open(app: Application, version: Version, email: str | None) -> bool:
    """A public version: anyone. A private one: the app's uploader and the version's testers."""
    if version.accessType is AccessType.PUBLIC:
        return True
    return email is not None and (email == app.ownerEmail or email in version.allowedUsers)


def openable(app: Application, versions: list[Version], email: str | None) -> list[Version]:
    """The versions `email` may open, in their order; the others are not even named."""
    return [version for version in versions if may_open(app, version, email)]
