"""Who may open a version: the one rule every install page and download is authorised by.

Access belongs to each version, as it was uploaded; the app's own fields never grant anything.
"""

from collections.abc import Iterable

from apkdrop.apk.insights import ComparedToVersion, Insights
from apkdrop.applications.models import AccessType, Application, Version
from apkdrop.version_labels import parse_label


def may_open(app: Application, version: Version, email: str | None) -> bool:
    """A public version: anyone. A private one: the app's uploader and the version's testers."""
    if version.accessType is AccessType.PUBLIC:
        return True
    return email is not None and (email == app.ownerEmail or email in version.allowedUsers)


def openable(app: Application, versions: list[Version], email: str | None) -> list[Version]:
    """The versions `email` may open, in their order; the others are not even named."""
    return [version for version in versions if may_open(app, version, email)]


def compared_number(version: Version) -> int | None:
    """The number of the version `version`'s insights compare it with; None without insights."""
    compared = version.insights.comparedTo if version.insights else None
    return parse_label(compared.version) if isinstance(compared, ComparedToVersion) else None


def insights_shown(
    app: Application,
    version: Version,
    compared: Version | None,
    visitors: Iterable[str | None],
) -> Insights | None:
    """`version`'s insights, when every visitor may open the version they describe (`compared`,
    number `compared_number(version)`; None once deleted): they name it and tell its size,
    permissions and signer."""
    if version.insights is None or compared is None:
        return None
    if not all(may_open(app, compared, visitor) for visitor in visitors):
        return None
    return version.insights
