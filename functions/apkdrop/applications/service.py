"""Publishing an uploaded APK as a new application or a new version of one."""

import contextlib
import datetime
import secrets
from types import TracebackType

from apkdrop.accounts import Account
from apkdrop.adapters.cloud_storage import HashingWriter
from apkdrop.adapters.errors import BackendUnavailable
from apkdrop.apk_inspection import ApkError, ApkInfo, inspect_apk
from apkdrop.applications.form import UploadForm
from apkdrop.applications.models import (
    Application,
    ApplicationMetaData,
    LargeUpload,
    PackageInfo,
    UploadAnswer,
    UploadedApplication,
    Version,
    VersionAction,
)
from apkdrop.builds.models import UploadSpec
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Conflict, InvalidRequest, NotFound, PayloadTooLarge
from apkdrop.signed_uploads import upload_headers
from apkdrop.timeutil import utc_now

ID_BYTES = 16  # 128 random bits, URL-safe


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def already_exists(package: str) -> str:
    return (
        f"Application with package name '{package}' already exists. "
        "Use versionAction='create_new_version' to create a new version or "
        "'create_new_app' to create a separate app entry."
    )


class UploadSession:
    """One upload request: receives the APK, publishes it, and cleans up after a failure.

    The APK goes to its final object name as it streams in; if anything fails before the
    version is committed, the object is deleted, so a rejected upload leaves nothing behind.
    """

    def __init__(self, deps: Dependencies, account: Account) -> None:
        self._deps = deps
        self._account = account
        self.object_name = f"applications/{account.id}/{new_id()}.apk"
        self._writers: list[HashingWriter] = []
        self._claimed_upload: str | None = None
        self._published = False

    def __enter__(self) -> "UploadSession":
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: TracebackType) -> None:
        if self._published:
            return
        # Best effort: the original error is what the client must see.
        with contextlib.suppress(BackendUnavailable):
            for writer in self._writers:
                writer.abandon()
            if self._claimed_upload:
                self._deps.applications.release_large_upload(self._claimed_upload)
            self._deps.bucket.delete_object(self.object_name)

    def file_writer(self) -> HashingWriter:
        """Where the request's `file` part streams to (one file per request)."""
        if self._writers:
            raise InvalidRequest("Send exactly one file, in the field 'file'")
        limit = self._deps.settings.max_direct_upload_bytes
        return self._start_writer(limit, PayloadTooLarge(too_large_detail(limit)))

    def _start_writer(self, limit: int, too_large: Exception) -> HashingWriter:
        writer = self._deps.bucket.start_object(self.object_name, limit, too_large)
        self._writers.append(writer)
        return writer

    def publish(self, form: UploadForm) -> UploadAnswer:
        """Stores the APK named by the form as a version, per its versionAction."""
        size, sha256 = self._receive(form)
        if size == 0:
            raise InvalidRequest("The uploaded file is empty")
        info = self._inspect()
        app, version = self._add_version(form, info, size, sha256)
        self._published = True
        return UploadAnswer(data=self._answer(app, version), warnings=form.warnings)

    def _receive(self, form: UploadForm) -> tuple[int, str]:
        settings = self._deps.settings
        if form.apkUrl:
            limit = settings.max_upload_bytes
            writer = self._start_writer(
                limit, InvalidRequest(f"apkUrl is larger than {limit} bytes")
            )
            with self._deps.url_fetcher.download(form.apkUrl) as chunks:
                for chunk in chunks:
                    writer.write(chunk)
            writer.finish()
            return writer.size, writer.sha256.hexdigest()
        if form.uploadId:
            return self._adopt_large_upload(form.uploadId)
        (writer,) = self._writers
        writer.finish()
        return writer.size, writer.sha256.hexdigest()

    def _adopt_large_upload(self, upload_id: str) -> tuple[int, str]:
        record = self._deps.applications.claim_large_upload(upload_id, self._account.id)
        if record is None:
            raise NotFound(f"Upload {upload_id} not found (or already used)")
        self._claimed_upload = upload_id
        uploaded = self._deps.bucket.find_object(record["objectName"])
        if uploaded is None:
            raise InvalidRequest(f"Upload {upload_id} has no file yet: PUT it to its uploadSpec")
        if uploaded.size > self._deps.settings.max_upload_bytes:
            raise InvalidRequest("The uploaded file is larger than the limit")
        self._deps.bucket.move_object(record["objectName"], self.object_name)
        found = self._deps.bucket.find_object(self.object_name)
        return found.size, self._deps.bucket.sha256_of(self.object_name, found.generation)

    def _inspect(self) -> ApkInfo:
        found = self._deps.bucket.find_object(self.object_name)
        try:
            with self._deps.bucket.open_object(self.object_name, found.generation) as reader:
                return inspect_apk(reader).info
        except ApkError as exc:
            raise InvalidRequest(f"Invalid APK: {exc.reason}") from exc

    def _add_version(
        self, form: UploadForm, info: ApkInfo, size: int, sha256: str
    ) -> tuple[Application, Version]:
        store, account, package = self._deps.applications, self._account, info.packageName
        now = utc_now()

        def version(number: int) -> Version:
            return Version(
                versionNumber=number,
                application_meta_data=ApplicationMetaData(
                    package_info=PackageInfo(
                        version_name=info.versionName, version_code=info.versionCode
                    )
                ),
                apkInfo=info,
                size=size,
                sha256=sha256,
                uploaderEmail=account.email,
                uploadTime=now,
                accessType=form.accessType,
                allowedUsers=form.allowedUsers,
                releaseNotes=form.releaseNotes,
                sendNotification=form.sendNotification,
                notificationEmails=form.notificationEmails,
                objectName=self.object_name,
            )

        app_fields = {
            "appLabel": info.appLabel,
            "accessType": form.accessType,
            "allowedUsers": form.allowedUsers,
        }
        if form.versionAction is VersionAction.CREATE_NEW_APP:
            return self._new_app(package, now, app_fields, version(1), claim_package=False)
        app = self._target_app(package, form.appId)
        if app is None:
            created = self._new_app(package, now, app_fields, version(1), claim_package=True)
            if created is not None:
                return created
            app = store.latest_app_for_package(account.id, package)  # created concurrently
        if form.versionAction is VersionAction.DO_NOTHING:
            raise Conflict(already_exists(package))
        return store.append_version(app.id, lambda _, number: (version(number), app_fields))

    def _target_app(self, package: str, app_id: str | None) -> Application | None:
        store = self._deps.applications
        if app_id is None:
            return store.latest_app_for_package(self._account.id, package)
        app = store.get_app(app_id)
        if app is None or app.accountId != self._account.id:
            raise NotFound(f"Application {app_id} not found")
        if app.packageName != package:
            raise InvalidRequest(
                f"appId {app_id} is an app of package '{app.packageName}', "
                f"not of this APK's '{package}'"
            )
        return app

    def _new_app(
        self,
        package: str,
        now: datetime.datetime,
        fields: dict,
        first: Version,
        claim_package: bool,
    ) -> tuple[Application, Version] | None:
        app = Application(
            id=new_id(),
            accountId=self._account.id,
            packageName=package,
            dateCreated=now,
            latest_application_version=1,
            **fields,
        )
        if not self._deps.applications.create_app(app, first, claim_package):
            return None
        return app, first

    def _answer(self, app: Application, version: Version) -> UploadedApplication:
        link = magic_link(self._deps, app.id)
        return UploadedApplication(
            id=app.id,
            magicLink=link,
            versionedMagicLink=f"{link}?version={version.version}",
            accessType=version.accessType.lower(),
            version=version.version,
        )


def magic_link(deps: Dependencies, app_id: str) -> str:
    return f"{deps.settings.magic_link_base}/{app_id}"


def too_large_detail(limit: int) -> str:
    return (
        f"The file is larger than {limit} bytes, the most one request can carry: "
        "POST /v1/application/uploads for a signed upload URL, PUT the file there, "
        "then POST /v1/application with its uploadId"
    )


def create_large_upload(deps: Dependencies, account: Account) -> LargeUpload:
    """A signed URL for a file too large for one request, and the id that publishes it."""
    settings = deps.settings
    upload_id = new_id()
    object_name = f"uploads/pending/{account.id}/{upload_id}.apk"
    ttl = datetime.timedelta(seconds=settings.upload_url_ttl_seconds)
    headers = upload_headers(settings.max_upload_bytes)
    url = deps.bucket.signed_put_url(object_name, headers, ttl)
    deps.applications.create_large_upload(
        upload_id, {"accountId": account.id, "objectName": object_name, "dateCreated": utc_now()}
    )
    return LargeUpload(
        uploadId=upload_id,
        uploadSpec=UploadSpec(url=url, headers=headers),
        expiresInSeconds=settings.upload_url_ttl_seconds,
    )
