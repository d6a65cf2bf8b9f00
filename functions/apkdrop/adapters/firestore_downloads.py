"""Firestore: the download record, one document per download, counted on its version."""

from google.cloud import firestore

from apkdrop.adapters.errors import backend_call
from apkdrop.adapters.firestore_applications import version_ref
from apkdrop.downloads.models import DownloadEvent
from apkdrop.paging import TimeCursor


class DownloadJournal:
    """`downloads/{id}` with its app's id and version number (the composite indexes in
    terraform/firestore.tf serve the queries); each version's document counts its downloads in
    `downloadCount`."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._downloads = client.collection("downloads")

    @backend_call("Firestore")
    def record(self, event: DownloadEvent) -> None:
        version = version_ref(self._db, event.appId, event.versionNumber)
        batch = self._db.batch()
        batch.create(self._downloads.document(event.id), event.model_dump())
        # An update fails (NotFound) on a missing version, and the batch with it.
        batch.update(version, {"downloadCount": firestore.Increment(1)})
        batch.commit()

    @backend_call("Firestore")
    def newest(
        self, app_id: str, version: int | None, limit: int, after: TimeCursor | None
    ) -> list[DownloadEvent]:
        query = self._downloads.where(filter=firestore.FieldFilter("appId", "==", app_id))
        if version is not None:
            query = query.where(filter=firestore.FieldFilter("versionNumber", "==", version))
        # The id breaks ties between downloads of the same microsecond.
        query = query.order_by("at", direction=firestore.Query.DESCENDING).order_by(
            "__name__", direction=firestore.Query.DESCENDING
        )
        if after is not None:
            query = query.start_after({"at": after.at, "__name__": after.id})
        return [DownloadEvent.model_validate(doc.to_dict()) for doc in query.limit(limit).stream()]
