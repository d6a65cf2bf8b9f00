"""What a link to a deleted app or version answers: 410, saying so plainly, with the newest
remaining version when the visitor may open one (the others are never named)."""

from apkdrop import links
from apkdrop.applications.models import Application, Version
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Gone
from apkdrop.install_pages.access import openable
from apkdrop.version_labels import label


class VersionGone(Gone):
    """A deleted version; `latest_link` is the newest remaining one the visitor may open."""

    def __init__(self, detail: str, latest_link: str | None) -> None:
        super().__init__(detail)
        self.latest_link = latest_link


def app_gone(deps: Dependencies[object], app_id: str) -> Gone | None:
    if deps.applications.deleted_app(app_id) is None:
        return None
    return Gone("This app was deleted by its owner.")


def version_gone(
    deps: Dependencies[object],
    app: Application,
    versions: list[Version],
    number: int | None,
    email: str | None,
) -> VersionGone | None:
    """The answer for version `number` (None: the latest) of `app` if it was deleted;
    `versions` are the remaining ones of the page's history window, newest first (none older
    is looked for), and `email` the signed-in visitor."""
    if number is None:
        # Only deletions leave an app without versions; an upload brings the link back.
        return VersionGone("Every version of this app was deleted.", None) if not versions else None
    if deps.applications.deleted_version(app.id, number) is None:
        return None
    newest = next(iter(openable(app, versions, email)), None)
    link = None
    if newest is not None:
        latest = newest.versionNumber == app.latest_application_version
        link = links.app_page(app.id, None if latest else newest.versionNumber)
    return VersionGone(f"Version {label(number)} of this app was deleted.", link)
