"""What the download record needs from the database."""

from typing import Protocol

from apkdrop.downloads.models import DownloadEvent
from apkdrop.paging import TimeCursor


class DownloadLog(Protocol):
    def record(self, event: DownloadEvent) -> None:
        """Stores the event and adds one to its version's `downloadCount`, in one commit (so
        the count and the list agree); fails, storing nothing, if the version is missing."""

    def newest(
        self, app_id: str, version: int | None, limit: int, after: TimeCursor | None
    ) -> list[DownloadEvent]:
        """At most `limit` of the app's downloads (of one version, if given), newest first,
        starting after `after`."""
        ...
