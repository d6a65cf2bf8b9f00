"""The sweep's part for large uploads: a day after a record's PUT URL expired (no PUT can come
any more), its file is deleted unless a live version keeps it, and the record with it. The
file lives where a version would keep it (applications/), so no bucket lifecycle rule may.

Whatever happened to the upload: never published, released by a failed finalize, claimed by
one whose instance was killed, published (the record alone goes), or published and its version
deleted since (a PUT to the still-valid URL may have stored it again).
"""

import datetime

from apkdrop.dependencies import Dependencies

# A PUT begun just before its URL expired may still be streaming (Cloud Storage checks the
# signature when the request starts): its file must not land after the sweep has gone by.
ABANDONED_UPLOAD_GRACE = datetime.timedelta(days=1)
# A finalize holds its claim for one request at most (the function's timeout is 9 minutes): a
# claim older than this is one whose instance was killed before it published or released.
STALE_CLAIM = datetime.timedelta(hours=1)


def delete_abandoned_uploads(deps: Dependencies[object], budget: int) -> int:
    """Deletes at most `budget` expired large-upload records, oldest first, with their files
    when no live version keeps them; how many it deleted.

    The record is marked abandoned first, in a transaction that skips one claimed lately, so a
    finalize publishing it keeps its file, and one that comes later answers 404. Then the file
    goes (if no version keeps it), then the record: a run that fails between them is finished
    by the next.
    """
    now = deps.clock()
    deleted = 0
    for upload_id in deps.applications.abandoned_large_uploads(
        now - ABANDONED_UPLOAD_GRACE, budget
    ):
        files = deps.applications.abandon_large_upload(upload_id, now - STALE_CLAIM)
        if files is None:
            continue  # a finalize claimed it lately: it may be publishing it
        apk, *icon = files
        if not deps.applications.object_in_use(apk):
            for name in (apk, *icon):
                deps.bucket.delete_object(name)
        deps.applications.delete_large_upload(upload_id)
        deleted += 1
    return deleted
