"""Every successful upload through either API leaves an `upload` event; a refused one none."""

import datetime
import hashlib

import pytest
from werkzeug.datastructures import MultiDict

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications.form import read_upload_form
from apkdrop.applications.service import UploadSession
from apkdrop.audit.models import AuditAction
from apkdrop.builds import service as builds
from apkdrop.builds.models import BuildRegistration
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Conflict, NotFound
from tests.fixtures.apk_builder import build_apk

NOW = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
CI = Caller(id="acct-ci", email="ci@example.com", keyPrefix="apkd_ci01", scope=KeyScope.UPLOAD)


@pytest.fixture(autouse=True)
def frozen(deps: Dependencies) -> None:
    deps.clock.now = NOW


def upload(deps: Dependencies, content: bytes, **fields: str):
    with UploadSession(deps, CI) as session:
        session.file_writer().write(content)
        return session.publish(read_upload_form(MultiDict(fields), True, deps.settings))


def test_a_published_version_records_its_upload(deps: Dependencies) -> None:
    upload(deps, build_apk("com.example.audited", "1.0", 1))
    content = build_apk("com.example.audited", "2.5.1", 7)

    answer = upload(deps, content)

    first, second = deps.audit.events
    assert first.target == f"/v1/application/{answer.data.id}/versions/1.0"
    assert (second.accountId, second.at, second.action) == (CI.id, NOW, AuditAction.UPLOAD)
    assert second.actor.model_dump() == {
        "keyPrefix": "apkd_ci01",
        "email": "ci@example.com",
        "scope": KeyScope.UPLOAD,
    }
    assert second.target == f"/v1/application/{answer.data.id}/versions/2.0"
    assert second.details == {
        "package": "com.example.audited",
        "versionName": "2.5.1",
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_a_refused_upload_records_nothing(deps: Dependencies) -> None:
    upload(deps, build_apk("com.example.once"))
    with pytest.raises(Conflict):
        upload(deps, build_apk("com.example.once"), versionAction="DO_NOTHING")
    assert len(deps.audit.events) == 1


def registration(context_id: int) -> BuildRegistration:
    return BuildRegistration.model_validate(
        {"contextId": context_id, "buildType": "INSTRUMENTED_APK", "buildFileName": "t.apk"}
    )


def test_a_registered_build_records_its_upload(deps: Dependencies) -> None:
    context = builds.create_context(deps, CI, "nightly")

    registered = builds.register_build(deps, CI, "nightly", registration(context.id))

    (event,) = deps.audit.events
    assert (event.accountId, event.action, event.actor.keyPrefix) == (
        CI.id,
        AuditAction.UPLOAD,
        "apkd_ci01",
    )
    assert event.target == f"/api/v1/projects/nightly/builds/{registered.build.id}"
    assert event.details == {
        "contextId": context.id,
        "buildType": "INSTRUMENTED_APK",
        "buildFileName": "t.apk",
    }


def test_a_refused_registration_records_nothing(deps: Dependencies) -> None:
    with pytest.raises(NotFound):
        builds.register_build(deps, CI, "nightly", registration(404))
    assert deps.audit.events == []
