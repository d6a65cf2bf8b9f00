"""The sweep's part for large uploads nobody published: a record never claimed (or released by
a failed finalize) a day after its PUT URL expired is deleted with its file, which lives where
a version would have kept it (applications/), so no bucket lifecycle rule may touch it."""

import datetime

from apkdrop.dependencies import Dependencies

# A PUT begun just before its URL expired may still be streaming (Cloud Storage checks the
# signature when the request starts): its file must not land after the sweep has gone by.
ABANDONED_UPLOAD_GRACE = datetime.timedelta(days=1)


def delete_abandoned_uploads(deps: Dependencies[object], budget: int) -> int:
    """Deletes at most `budget` abandoned large uploads, oldest first; how many it deleted.

    The record is marked abandoned first, in a transaction that requires it unclaimed, so a
    finalize that claimed it first keeps its file, and one that comes later answers 404. Then
    the file goes, then the record: a run that fails between them is finished by the next.
    """
    expired_before = deps.clock() - ABANDONED_UPLOAD_GRACE
    deleted = 0
    for upload_id in deps.applications.abandoned_large_uploads(expired_before, budget):
        object_name = deps.applications.abandon_large_upload(upload_id)
        if object_name is None:
            continue  # claimed meanwhile by a finalize: it is a version's file now
        deps.bucket.delete_object(object_name)
        deps.applications.delete_large_upload(upload_id)
        deleted += 1
    return deleted
