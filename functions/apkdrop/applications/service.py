"""Publishing an uploaded APK as a new application or a new version of one."""

import contextlib
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from apkdrop import links
from apkdrop.accounts import Caller
from apkdrop.apk_inspection import ApkError, ApkInspection, failure_lines, inspect_apk
from apkdrop.applications.form import UploadForm
from apkdrop.applications.hashing import queue_hash
from apkdrop.applications.idempotency import (
    HEADER,
    KEY_REUSED,
    KeyedVersion,
    KeyUsed,
    UploadKey,
    fingerprint,
)
from apkdrop.applications.large_uploads import leave_to_sweep, too_large_detail
from apkdrop.applications.models import (
    Application,
    HashState,
    NewVersion,
    UploadAnswer,
    UploadedApplication,
    Version,
)
from apkdrop.applications.object_names import apk_object_name
from apkdrop.applications.signer_policy import ignored_warn
from apkdrop.applications.versions import publish_version
from apkdrop.audit import uploads
from apkdrop.builds.ports import ObjectWriter
from apkdrop.conversions.models import ConversionState
from apkdrop.conversions.queueing import queue_conversion
from apkdrop.dependencies import Dependencies
from apkdrop.errors import (
    BackendUnavailable,
    CommitOutcomeUnknown,
    Gone,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
)
from apkdrop.ids import new_opaque_id
from apkdrop.notifications.delivery import queue_upload_email
from apkdrop.notifications.models import Notification, NotificationState
from apkdrop.retention import enforcement as retention
from apkdrop.settings import ApplicationApiSettings
from apkdrop.shared_models import StorageObject
from apkdrop.ttls import IDEMPOTENCY_KEY_TTL, MESSAGE_ICON_URL_TTL
from apkdrop.webhooks import events

# How an upload that cannot be read is named in the refusal.
FILE_KINDS = {"APK": "APK", "AAB": "App Bundle"}

log = logging.getLogger(__name__)


class UploadSession:
    """One upload request: receives the APK, publishes it, and cleans up after a failure.

    The APK goes to its final object name as it streams in; if anything fails before the
    version is committed, the object is deleted, so a rejected upload leaves nothing behind.
    After a commit that may have been applied (CommitOutcomeUnknown) nothing is deleted, since
    its version would point at the files; the sweep deletes the APK if no version does.

    With an Idempotency-Key another request already published under (idempotency.py), the
    answer is that version's (`replayed`), and this request's file is deleted like a rejected
    one's.
    """

    def __init__(
        self,
        deps: Dependencies[ApplicationApiSettings],
        account: Caller,
        idempotency_key: str | None = None,
    ) -> None:
        self._deps = deps
        self._account = account
        self._idempotency_key = idempotency_key
        self.replayed = False
        upload_key = new_opaque_id()
        # A large upload's APK is the object it was PUT to instead (_adopt_large_upload).
        self.object_name = apk_object_name(account.id, upload_key)
        self._icon_name = f"icons/{account.id}/{upload_key}"
        self._icon_stored = False
        self._writers: list[ObjectWriter] = []
        # What to take back, in reverse order, if the upload is not published.
        self._undo: list[Callable[[], None]] = []
        self._published = False

    def __enter__(self) -> "UploadSession":
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: TracebackType) -> None:
        if self._published:
            return
        if isinstance(error, CommitOutcomeUnknown):
            self._leave_to_sweep()  # the version may be committed: it would point at the files
            return
        for step in reversed(self._undo):
            # Each step on its own, best effort: the original error is what the client sees.
            with contextlib.suppress(BackendUnavailable):
                step()

    def file_writer(self) -> ObjectWriter:
        """Where the request's `file` part streams to (one file per request)."""
        if self._writers:
            raise InvalidRequest("Send exactly one file, in the field 'file'")
        limit = self._deps.settings.max_direct_upload_bytes
        return self._start_writer(limit, PayloadTooLarge(too_large_detail(limit)))

    def _start_writer(self, limit: int, too_large: Exception) -> ObjectWriter:
        bucket = self._deps.bucket
        object_name = self.object_name
        writer = bucket.start_object(object_name, limit, too_large)
        self._writers.append(writer)
        self._undo += [lambda: bucket.delete_object(object_name), writer.abandon]
        return writer

    def _leave_to_sweep(self) -> None:
        icon = self._icon_name if self._icon_stored else None
        try:
            leave_to_sweep(self._deps, self._account.id, self.object_name, icon)
        except BackendUnavailable as exc:
            log.error(
                "kept %s, which a version may point at; no sweep knows it: %s",
                self.object_name,
                exc,
            )

    def publish(self, form: UploadForm) -> UploadAnswer:
        """Stores the APK named by the form as a version, per its versionAction."""
        used = self._used_key()
        names_its_file = bool(form.apkUrl or form.uploadId)
        if used is not None and names_its_file:  # answered without fetching or claiming it
            return self._replay(used, form, fingerprint(form, None))
        try:
            stored, sha256 = self._receive(form)
        except NotFound:
            # An uploadId still claimed by the first request with this key, whose commit (it
            # answered 503) may have landed since the read above.
            if (used := self._used_key()) is None:
                raise
            return self._replay(used, form, fingerprint(form, None))
        request_fingerprint = fingerprint(form, None if names_its_file else sha256)
        if used is not None:
            return self._replay(used, form, request_fingerprint)
        if stored.size == 0:
            raise InvalidRequest("The uploaded file is empty")
        inspection = self._inspect(stored)
        recipients, _ = self._recipients(form)
        new_version = self._new_version(
            form, inspection, stored, sha256, self._store_icon(inspection), recipients
        )
        key = self._upload_key(request_fingerprint)
        try:
            app, version = publish_version(self._deps, self._account, new_version, key)
        except KeyUsed as exc:  # a concurrent request with the key committed first
            return self._replay(exc.used, form, request_fingerprint)
        self._published = True
        return self._published_answer(form, app, version)

    def _used_key(self) -> KeyedVersion | None:
        """The version this request's Idempotency-Key published, if one did (one read)."""
        if self._idempotency_key is None:
            return None
        return self._deps.applications.keyed_version(self._account.id, self._idempotency_key)

    def _upload_key(self, request_fingerprint: str) -> UploadKey | None:
        if self._idempotency_key is None:
            return None
        return UploadKey(
            accountId=self._account.id,
            key=self._idempotency_key,
            fingerprint=request_fingerprint,
            expireAt=self._deps.clock() + IDEMPOTENCY_KEY_TTL,
        )

    def _replay(
        self, used: KeyedVersion, form: UploadForm, request_fingerprint: str
    ) -> UploadAnswer:
        """What the request that published `used` answered, built from the stored version; it
        sets off the version's follow-ups again (each is a no-op once done), so a version
        whose commit answered 503 gets them once."""
        if used.fingerprint != request_fingerprint:
            raise Unprocessable(KEY_REUSED)
        found = self._deps.applications.get_version(used.appId, used.versionNumber)
        if found is None:
            raise Gone(f"The version this {HEADER} published has been deleted")
        self.replayed = True
        return self._published_answer(form, *found)

    def _published_answer(
        self, form: UploadForm, app: Application, version: Version
    ) -> UploadAnswer:
        _, warnings = self._recipients(form)
        warnings += self._follow_up(app, version)
        if version.insights is not None:
            warnings += version.insights.warnings
        warnings += ignored_warn(app.signerPolicy, form.signerPolicy, app.id)
        return UploadAnswer(
            data=self._answer(app, version),
            warnings=form.warnings + warnings + failure_lines(version.checks),
        )

    def _follow_up(self, app: Application, version: Version) -> list[str]:
        """What a published version sets off, all at once, since none waits for another: the
        upload's answer waits for the slowest instead of their sum. A queue that cannot be
        reached now is a warning, not an upload failure.

        Each is idempotent per version, as a replay runs them again: the tasks are named by
        the version, the audit event's id too, retention never deletes the version itself, and
        what a worker has done (a hash, a conversion, an email) is not queued again."""
        deps = self._deps

        def warn_unless(queued: Callable[[], bool], warning: str) -> Callable[[], str | None]:
            return lambda: None if queued() else warning

        steps: list[Callable[[], str | None]] = []
        if version.sha256State is HashState.COMPUTING:
            steps.append(
                warn_unless(
                    lambda: queue_hash(deps, app, version),
                    "The SHA-256 could not be computed: it shows as computing",
                )
            )
        if version.conversion is not None and version.conversion.state is ConversionState.PENDING:
            steps.append(
                warn_unless(
                    lambda: queue_conversion(deps, app, version),
                    "The universal APK could not be queued: testers get the bundle only",
                )
            )
        steps.append(lambda: uploads.record_version(deps, self._account, app, version))
        steps.append(lambda: retention.after_upload(deps, app, version))
        if (
            version.notification is not None
            and version.notification.status is NotificationState.QUEUED
        ):
            steps.append(
                warn_unless(
                    lambda: queue_upload_email(deps, app, version),
                    "The notification email could not be queued",
                )
            )
        steps.append(
            warn_unless(
                lambda: events.version_created(deps, app, version),
                "Webhook deliveries could not be queued",
            )
        )
        with ThreadPoolExecutor(len(steps), thread_name_prefix="upload-follow-up") as pool:
            # Each in a copy of this context, so its logs carry the request's id.
            done = [pool.submit(contextvars.copy_context().run, step) for step in steps]
        return [warning for step in done if (warning := step.result()) is not None]

    def _recipients(self, form: UploadForm) -> tuple[list[str], list[str]]:
        """Who the email goes to, and a warning when nobody valid was named."""
        if not form.sendNotification:
            return [], []
        if form.notificationEmails:
            return form.notificationEmails, []
        if form.noValidNotificationEmail:
            return [], ["No valid notification email was given: no notification was sent"]
        return [self._account.email], []

    def _store_icon(self, inspection: ApkInspection) -> str | None:
        """Keeps the launcher icon beside the APK, for emails and install pages."""
        icon = inspection.info.icon
        if inspection.icon is None or icon is None:
            return None
        self._icon_name += "." + icon.mediaType.split("/")[1]
        self._deps.bucket.put_object(self._icon_name, inspection.icon, icon.mediaType)
        self._icon_stored = True
        self._undo.append(lambda: self._deps.bucket.delete_object(self._icon_name))
        return self._icon_name

    def _receive(self, form: UploadForm) -> tuple[StorageObject, str | None]:
        """The stored APK and its SHA-256 (None: computed after the answer)."""
        settings = self._deps.settings
        if form.apkUrl:
            limit = settings.max_upload_bytes
            writer = self._start_writer(
                limit, InvalidRequest(f"apkUrl is larger than {limit} bytes")
            )
            with self._deps.url_fetcher.download(form.apkUrl) as chunks:
                for chunk in chunks:
                    writer.write(chunk)
        elif form.uploadId:
            return self._adopt_large_upload(form.uploadId)
        else:
            (writer,) = self._writers
        return writer.finish(), writer.sha256.hexdigest()

    def _adopt_large_upload(self, upload_id: str) -> tuple[StorageObject, str | None]:
        """Publishes the PUT object where it is (no copy); a file larger than
        max_inline_hash_bytes is hashed after the answer (hashing.py), not read again here."""
        record = self._deps.applications.claim_large_upload(
            upload_id, self._account.id, self._deps.clock()
        )
        if record is None:
            raise NotFound(f"Upload {upload_id} not found (or already used)")
        self.object_name = record["objectName"]
        # Released, a retry can publish the file; the sweep deletes it if none comes, and a
        # claim left behind (this instance killed, a commit that may have published it) once it
        # is stale, unless a version keeps it.
        self._undo.append(lambda: self._deps.applications.release_large_upload(upload_id))
        uploaded = self._deps.bucket.find_object(self.object_name)
        if uploaded is None:
            raise InvalidRequest(f"Upload {upload_id} has no file yet: PUT it to its uploadSpec")
        if uploaded.size > self._deps.settings.max_upload_bytes:
            raise InvalidRequest("The uploaded file is larger than the limit")
        if uploaded.size > self._deps.settings.max_inline_hash_bytes:
            return uploaded, None
        return uploaded, self._deps.bucket.sha256_of(self.object_name, uploaded.generation)

    def _inspect(self, stored: StorageObject) -> ApkInspection:
        try:
            with self._deps.bucket.open_object(stored) as reader:
                return inspect_apk(reader, min_target_sdk=self._deps.settings.play_min_target_sdk)
        except ApkError as exc:
            raise InvalidRequest(f"Invalid {FILE_KINDS[exc.file_type]}: {exc.reason}") from exc

    def _new_version(
        self,
        form: UploadForm,
        inspection: ApkInspection,
        stored: StorageObject,
        sha256: str | None,
        icon_object: str | None,
        recipients: list[str],
    ) -> NewVersion:
        now = self._deps.clock()
        return NewVersion(
            appId=form.appId,
            versionAction=form.versionAction,
            access=None if form.accessType is None else (form.accessType, form.allowedUsers),
            apkInfo=inspection.info,
            checks=inspection.checks,
            componentSizes=inspection.components,
            size=stored.size,
            sha256=sha256,
            objectName=self.object_name,
            objectGeneration=stored.generation,
            iconObject=icon_object,
            signerPolicy=form.signerPolicy,
            channel=form.channel,
            uploaderEmail=self._account.email,
            uploadTime=now,
            releaseNotes=form.releaseNotes,
            sendNotification=form.sendNotification,
            notificationEmails=form.notificationEmails,
            # Stored with the version, before its task exists, so the worker always finds it.
            notification=(
                Notification(status=NotificationState.QUEUED, recipients=recipients, queuedAt=now)
                if recipients
                else None
            ),
        )

    def _answer(self, app: Application, version: Version) -> UploadedApplication:
        base_url = self._deps.settings.public_base_url
        return UploadedApplication(
            id=app.id,
            magicLink=links.magic_link(base_url, app.id),
            versionedMagicLink=links.versioned_link(base_url, app.id, version.versionNumber),
            accessType=version.accessType.lower(),
            version=version.version,
            channel=version.channel,
            channelMagicLink=links.channel_link(base_url, app.id, version.channel),
            checks=version.checks,
            insights=version.insights,
            iconUrl=(
                self._deps.bucket.signed_get_url(version.iconObject, MESSAGE_ICON_URL_TTL)
                if version.iconObject
                else None
            ),
        )
