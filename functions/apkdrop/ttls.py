"""How long each signed URL apkdrop hands out stays valid (uploads: UPLOAD_URL_TTL_SECONDS), and
how long an upload's Idempotency-Key is remembered."""

import datetime

# A download starts at once: the install page redirects to it.
DOWNLOAD_URL_TTL = datetime.timedelta(minutes=5)
# The icon on an install page: the page itself is never cached (no-store).
PAGE_ICON_URL_TTL = datetime.timedelta(hours=1)
# The icon in what is read long after it is sent (an upload email, a Slack message, a CI job's
# summary or pull request comment): the longest a V4 signed URL may live.
MESSAGE_ICON_URL_TTL = datetime.timedelta(days=7)
# An Idempotency-Key's record: a client's retries of one upload, however long their backoff,
# come well within a day (as long as Stripe keeps its keys).
IDEMPOTENCY_KEY_TTL = datetime.timedelta(hours=24)
