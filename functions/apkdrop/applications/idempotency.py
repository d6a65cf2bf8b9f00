"""`Idempotency-Key` on `POST /v1/application`: a retried upload answers the version its first
request committed, instead of making another one.

The key's record is created in the commit that stores the version (the repository's create_app
and append_version), so both exist or neither: a commit whose outcome is unknown (503) leaves
either the version with its key, which the retry finds and answers, or neither, and the retry
publishes. The upload reads the key once before it fetches or claims the file, and the commit
checks it again, so a concurrent duplicate loses to whichever committed first (KeyUsed).
A first request still in flight holds no record: a duplicate then simply proceeds too, and the
commit decides. Keys are per account.
"""

import hashlib
import json
import re

from pydantic import BaseModel, ConfigDict, PositiveInt
from werkzeug.datastructures import Headers

from apkdrop.applications.form import UploadForm
from apkdrop.errors import InvalidRequest
from apkdrop.shared_models import Timestamp

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_CHARS = 255
# Printable ASCII, but never a space at either end: a proxy may trim it, and the key would change.
KEY = re.compile(r"[!-~]([ -~]*[!-~])?")
KEY_RULE = (
    f"{HEADER} must be 1 to {MAX_KEY_CHARS} printable ASCII characters, with no space at either end"
)
KEY_REUSED = (
    f"This {HEADER} was used for a different upload (another file or other fields): "
    "send each upload with a key of its own"
)


class UploadKey(BaseModel):
    """What a keyed upload commits beside its version."""

    model_config = ConfigDict(frozen=True)

    accountId: str
    key: str
    fingerprint: str
    expireAt: Timestamp

    def for_version(self, app_id: str, number: int) -> "KeyedVersion":
        return KeyedVersion(
            accountId=self.accountId,
            fingerprint=self.fingerprint,
            appId=app_id,
            versionNumber=number,
        )


class KeyedVersion(BaseModel):
    """The stored record of a key: the version its upload committed. (Stored with the key's
    expireAt, after which Firestore's TTL policy deletes it.)"""

    model_config = ConfigDict(frozen=True)

    accountId: str
    fingerprint: str
    appId: str
    versionNumber: PositiveInt


class KeyUsed(Exception):
    """Raised by a commit that found its key already committed with another version."""

    def __init__(self, used: KeyedVersion) -> None:
        super().__init__(f"the key already published version {used.versionNumber} of {used.appId}")
        self.used = used


def read_key(headers: Headers) -> str | None:
    """The request's key (None without the header); 400 if malformed. (WSGI joins a repeated
    header into one value, which is read as one key.)"""
    key = headers.get(HEADER)
    if key is None:
        return None
    if len(key) > MAX_KEY_CHARS or not KEY.fullmatch(key):
        raise InvalidRequest(KEY_RULE)
    return key


def fingerprint(form: UploadForm, file_sha256: str | None) -> str:
    """What makes two requests the same upload: every field that shapes the version, and the
    file: `file_sha256` for a multipart file, its apkUrl or uploadId otherwise (known before it
    is fetched or claimed, so a replay needs neither)."""
    shape = {**form.model_dump(mode="json"), "fileSha256": file_sha256}
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()
