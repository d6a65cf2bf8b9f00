"""A version's insights against the app's previous remaining version, and the signer policy."""

import datetime
import functools

import pytest

from apkdrop.accounts import Caller, KeyScope
from apkdrop.applications import access_changes, deletion, queries
from apkdrop.applications.models import ApplicationChange, SignerPolicy
from apkdrop.dependencies import Dependencies
from apkdrop.errors import Conflict, InvalidRequest
from tests.fakes import fake_store
from tests.fixtures.apk_builder import build_apk, generated_signer
from tests.unit.test_application_service import app_objects, refused, upload

OWNER = Caller(
    id="acct-owner", email="owner@example.com", keyPrefix="apkd_abcd", scope=KeyScope.ADMIN
)
RELEASE, OTHER = generated_signer("Release"), generated_signer("Someone Else")
CAMERA, INTERNET = "android.permission.CAMERA", "android.permission.INTERNET"


@pytest.fixture(autouse=True)
def clock(deps: Dependencies) -> None:
    deps.clock.now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    deps.clock.step = datetime.timedelta(seconds=1)


@functools.cache
def apk(code: int, signer=RELEASE, permissions: tuple[str, ...] = (INTERNET,)) -> bytes:
    """Play-ready (target SDK, v2 and v3 signatures), so the only warnings are the insights'."""
    return build_apk(
        "com.example.guarded",
        f"{code}.0",
        code,
        signer=signer,
        permissions=permissions,
        target_sdk=35,
        schemes=["v2", "v3"],
    )


def versions(deps: Dependencies, app_id: str) -> list[str]:
    return [v.version for v in deps.applications.versions(app_id)]


def test_the_first_version_has_no_insights_and_the_next_compares_with_it(deps) -> None:
    first = upload(deps, OWNER, apk(1))
    second = upload(deps, OWNER, apk(2, permissions=(INTERNET, CAMERA)))

    assert first.warnings == [] and second.warnings == []
    newest, oldest = deps.applications.versions(first.data.id)
    assert oldest.insights is None
    insights = newest.insights
    assert insights is not None
    assert insights.comparedTo.model_dump() == {"version": "1.0", "channel": "default"}
    assert insights.permissions.model_dump() == {
        "added": [{"name": CAMERA, "dangerous": True}],
        "removed": [],
    }
    assert insights.versionCode.increased is True
    assert insights.signer.changed is False
    assert insights.size is not None and insights.size.file.after == newest.size
    # GET /v1/application/{id} shows each version's insights.
    detail = queries.get_application(deps, OWNER, first.data.id).data
    assert [v.insights for v in detail.versions] == [insights, None]


def test_a_version_compares_with_the_previous_remaining_one(deps) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id
    upload(deps, OWNER, apk(2))
    deletion.delete_version(deps, OWNER, app_id, "2.0")

    upload(deps, OWNER, apk(3))

    newest = deps.applications.versions(app_id)[0]
    assert newest.version == "3.0"
    assert newest.insights is not None
    assert newest.insights.comparedTo.model_dump() == {"version": "1.0", "channel": "default"}


def test_a_version_code_that_did_not_increase_is_an_upload_warning(deps) -> None:
    upload(deps, OWNER, apk(5))
    answer = upload(deps, OWNER, apk(4))
    assert answer.warnings == [
        "versionCode 4 is not higher than 5 of 1.0: testers cannot install it as an update"
    ]


def test_a_changed_signer_under_warn_is_stored_with_a_warning(deps) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id

    answer = upload(deps, OWNER, apk(2, signer=OTHER))

    assert answer.warnings == [
        f"The signer changed since 1.0 ({RELEASE.sha256} -> {OTHER.sha256}): testers must "
        "uninstall it before installing this one"
    ]
    assert versions(deps, app_id) == ["2.0", "1.0"]


def test_a_changed_signer_under_reject_is_refused_and_nothing_is_stored(deps) -> None:
    app_id = upload(deps, OWNER, apk(1), signerPolicy="REJECT").data.id
    assert fake_store(deps).get_app(app_id).signerPolicy is SignerPolicy.REJECT
    kept = app_objects(deps)

    error = refused(deps, OWNER, apk(2, signer=OTHER))

    assert isinstance(error, Conflict)
    assert RELEASE.sha256 in error.detail and OTHER.sha256 in error.detail
    assert "signerPolicy is reject" in error.detail
    assert versions(deps, app_id) == ["1.0"]
    assert app_objects(deps) == kept  # the APK streamed in (and its icon) are gone
    # The same key passes, as an update of 1.0.
    assert upload(deps, OWNER, apk(2)).data.version == "2.0"


def test_an_upload_may_tighten_the_policy_but_never_loosen_it(deps) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id
    upload(deps, OWNER, apk(2), signerPolicy="reject")
    assert fake_store(deps).get_app(app_id).signerPolicy is SignerPolicy.REJECT

    error = refused(deps, OWNER, apk(3, signer=OTHER), signerPolicy="warn")
    assert isinstance(error, Conflict)

    answer = upload(deps, OWNER, apk(3), signerPolicy="warn")
    assert answer.warnings == [
        "signerPolicy=warn was ignored: this app's policy is reject, which only "
        f"PATCH /v1/application/{app_id} changes"
    ]
    assert fake_store(deps).get_app(app_id).signerPolicy is SignerPolicy.REJECT


def test_reject_in_the_upload_itself_guards_that_upload(deps) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id
    error = refused(deps, OWNER, apk(2, signer=OTHER), signerPolicy="reject")
    assert isinstance(error, Conflict)
    # Refused: the policy it asked for was not stored either.
    assert fake_store(deps).get_app(app_id).signerPolicy is SignerPolicy.WARN


def test_an_owner_sets_the_policy_with_patch(deps) -> None:
    app_id = upload(deps, OWNER, apk(1)).data.id

    detail = access_changes.change_application(
        deps, OWNER, app_id, ApplicationChange(signerPolicy="Reject")
    )
    assert detail.signerPolicy is SignerPolicy.REJECT
    assert isinstance(refused(deps, OWNER, apk(2, signer=OTHER)), Conflict)

    access_changes.change_application(deps, OWNER, app_id, ApplicationChange(signerPolicy="warn"))
    assert upload(deps, OWNER, apk(2, signer=OTHER)).data.version == "2.0"


def test_an_unknown_policy_is_refused(deps) -> None:
    error = refused(deps, OWNER, apk(1), signerPolicy="sometimes")
    assert isinstance(error, InvalidRequest)
    assert error.detail == "signerPolicy must be one of warn, reject"
    with pytest.raises(ValueError, match="signerPolicy"):
        ApplicationChange(signerPolicy="sometimes")
