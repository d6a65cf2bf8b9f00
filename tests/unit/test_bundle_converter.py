"""The bundle converter (main.convert_bundle): an uploaded App Bundle's universal APK, built once
by pybundletool's native bundletool, checked by apkdrop's own inspection and stored beside it.

Real bundles (aab_builder) and a real PKCS#12 keystore; the worker is called as Cloud Tasks
calls it, with the payload the upload queued and the queue account's (patched) token.
"""

import base64
import functools
import hashlib
import io
import json
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pydantic import SecretStr

from apkdrop.apk_inspection import inspect_apk
from apkdrop.applications import deletion, queries
from apkdrop.applications.models import UploadAnswer
from apkdrop.conversions import bundletool, service
from apkdrop.conversions.models import Conversion, ConversionState
from apkdrop.conversions.queueing import NOT_QUEUED
from apkdrop.conversions.service import NO_KEYSTORE
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from tests.fakes import CONVERTER_URL, FakeScheduler, fake_bucket, fake_dependencies
from tests.fixtures.aab_builder import build_bundle, keystore, universal_apk
from tests.fixtures.apk_builder import Signer, build_apk
from tests.unit.test_application_service import ALICE, upload
from tests.unit.test_hash_attempts import Killed

PASSWORD = "distribution-pass"


@functools.cache
def distribution() -> tuple[str, Signer]:
    """The keystore secret's JSON, and its signer (key generation is slow: once a run)."""
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "distribution.p12"
        signer = keystore(path, PASSWORD)
        secret = {"keystore": base64.b64encode(path.read_bytes()).decode(), "password": PASSWORD}
    return json.dumps(secret), signer


@functools.cache
def bundle(code: int = 7) -> bytes:
    return build_bundle("com.example.convert", code, f"{code}.0", abis=["arm64-v8a", "x86_64"])


@pytest.fixture
def settings() -> dict:
    """The settings a test changes (it parametrizes `settings` to change them)."""
    return {}


@pytest.fixture
def deps(settings: dict) -> Dependencies:
    defaults = {"distribution_keystore": keystore_secret(), "session_signing_key": "k" * 40}
    return fake_dependencies(**defaults | settings)


def keystore_secret(**changes: str) -> SecretStr:
    return SecretStr(json.dumps(json.loads(distribution()[0]) | changes))


@pytest.fixture
def worker(load_task) -> FlaskClient:
    return load_task("convert_bundle")


def queue(deps: Dependencies) -> FakeScheduler:
    assert isinstance(deps.conversion_queue, FakeScheduler)
    return deps.conversion_queue


def built(deps: Dependencies) -> list[str]:
    """The universal APKs the converter started to store."""
    started = [upload.object_name for upload in fake_bucket(deps).started]
    return [name for name in started if name.endswith("-universal.apk")]


def conversion(deps: Dependencies, answer: UploadAnswer) -> dict:
    """The version's conversion as recorded, but the marks of its attempts and of the sweep;
    the API shows it without them and the object's name."""
    (view,) = queries.get_application(deps, ALICE, answer.data.id).data.versions
    (version,) = deps.applications.versions(answer.data.id)
    assert view.conversion is not None and version.conversion is not None
    recorded = version.conversion.model_dump(mode="json", exclude={"unfinishedAttempt", "requeued"})
    expected = dict(recorded)
    if recorded["universalApk"]:
        expected["universalApk"] = {
            key: value for key, value in recorded["universalApk"].items() if key != "objectName"
        }
    assert view.conversion.model_dump(mode="json") == expected
    return recorded


def convert(deps: Dependencies, worker: FlaskClient, answer: UploadAnswer) -> str:
    (task,) = queue(deps).calls
    response = worker.post("/", json=task.payload)
    assert response.status_code == 200, response.json
    return response.json["outcome"]


def test_a_bundle_is_converted_once_to_a_universal_apk_signed_by_the_distribution_key(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    assert conversion(deps, answer) == {"state": "PENDING", "reason": None, "universalApk": None}
    (task,) = queue(deps).calls
    (version,) = deps.applications.versions(answer.data.id)
    assert task.url == CONVERTER_URL
    assert task.task_id == f"universal-apk-{answer.data.id}-1"
    assert task.payload == {
        "appId": answer.data.id,
        "versionNumber": 1,
        "generation": version.objectGeneration,
        "objectName": version.objectName,
    }

    assert convert(deps, worker, answer) == "done"

    universal = conversion(deps, answer)["universalApk"]
    name = version.objectName.removesuffix(".apk") + "-universal.apk"
    data = fake_bucket(deps).data(name)
    info = inspect_apk(io.BytesIO(data)).info
    assert (info.fileType, info.packageName, info.versionCode) == ("APK", "com.example.convert", 7)
    assert info.nativeAbis == ["arm64-v8a", "x86_64"]
    assert info.signer == distribution()[1].sha256 != version.apkInfo.signer
    assert universal == {
        "objectName": name,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "signerSha256": distribution()[1].sha256,
    }
    assert worker.post("/", json=task.payload).json["outcome"] == "known"  # redelivered
    assert built(deps) == [name]  # nothing built or stored twice


def test_an_apk_upload_queues_no_conversion(deps: Dependencies) -> None:
    answer = upload(deps, ALICE, build_apk("com.example.plain", "1.0", 1))
    assert queue(deps).calls == []
    (view,) = queries.get_application(deps, ALICE, answer.data.id).data.versions
    assert view.conversion is None


@pytest.mark.parametrize("settings", [{"distribution_keystore": None}])
def test_without_a_keystore_nothing_is_converted(deps: Dependencies, worker: FlaskClient) -> None:
    answer = upload(deps, ALICE, bundle())
    assert convert(deps, worker, answer) == "skipped"
    assert conversion(deps, answer) == {
        "state": "SKIPPED",
        "reason": NO_KEYSTORE,
        "universalApk": None,
    }
    assert built(deps) == []


@pytest.mark.parametrize("settings", [{"max_conversion_bundle_bytes": 1024}])
def test_a_bundle_over_the_conversion_limit_is_skipped_with_its_reason(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    assert convert(deps, worker, answer) == "skipped"
    reason = conversion(deps, answer)["reason"]
    assert reason.startswith("the bundle (") and reason.endswith("over the 1 KB apkdrop converts")
    assert built(deps) == []


# The bundle fits; its universal APK (signed, with both ABIs' libraries) does not.
@pytest.mark.parametrize("settings", [{"max_upload_bytes": len(bundle()) + 1}])
def test_a_universal_apk_over_the_upload_limit_is_not_stored(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    assert convert(deps, worker, answer) == "skipped"
    assert "is over the upload limit" in conversion(deps, answer)["reason"]
    assert built(deps) == []


@functools.cache
def inflating_bundle() -> bytes:
    """bundle() with 4 MiB of zeros in its assets, deflated to a few KiB."""
    data = io.BytesIO(bundle())
    with zipfile.ZipFile(data, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("base/assets/zeros.bin", bytes(4 * 1024**2))
    return data.getvalue()


# Its compressed size fits; the files bundletool would write out do not.
@pytest.mark.parametrize("settings", [{"max_conversion_bundle_bytes": 1024**2}])
def test_a_bundle_whose_files_inflate_past_the_limit_is_skipped_before_bundletool(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(inflating_bundle()) < 1024**2
    monkeypatch.setattr(bundletool.subprocess, "run", pytest.fail)  # never reached
    answer = upload(deps, ALICE, inflating_bundle())
    assert convert(deps, worker, answer) == "skipped"
    assert "uncompressed) are over the" in conversion(deps, answer)["reason"]


def test_the_keystore_password_is_on_no_command_line(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []
    run = bundletool.subprocess.run

    def watched(command: list[str], **options):
        commands.append(command)
        return run(command, **options)

    monkeypatch.setattr(bundletool.subprocess, "run", watched)
    answer = upload(deps, ALICE, bundle())
    assert convert(deps, worker, answer) == "done"
    (command,) = commands
    assert not any(PASSWORD in argument for argument in command)


@pytest.mark.parametrize(
    "settings", [{"distribution_keystore": keystore_secret(password="not-the-password")}]
)
def test_a_bundletool_failure_is_recorded_with_its_reason(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    assert convert(deps, worker, answer) == "failed"
    recorded = conversion(deps, answer)
    assert recorded["state"] == "FAILED"
    assert recorded["reason"].startswith("bundletool could not build an APK: ")
    assert "not-the-password" not in recorded["reason"]
    assert "/tmp/" not in recorded["reason"]  # where it ran is nobody's business
    assert len(recorded["reason"]) <= len("bundletool could not build an APK: ") + 500
    assert built(deps) == []


def test_a_conversion_over_the_time_limit_fails_with_its_reason(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_slow(command: list[str], **options: object) -> None:
        raise subprocess.TimeoutExpired(command, options["timeout"])  # type: ignore[arg-type]

    monkeypatch.setattr(bundletool.subprocess, "run", too_slow)
    answer = upload(deps, ALICE, bundle())
    assert convert(deps, worker, answer) == "failed"
    assert conversion(deps, answer)["reason"] == "bundletool took longer than 300 s"


@pytest.mark.parametrize("settings", [{"distribution_keystore": SecretStr("hunter2")}])
def test_an_unreadable_keystore_secret_fails_without_naming_it(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    assert convert(deps, worker, answer) == "failed"
    assert "hunter2" not in conversion(deps, answer)["reason"]
    assert "DISTRIBUTION_KEYSTORE must be JSON" in conversion(deps, answer)["reason"]


def test_a_queue_outage_records_the_failure_and_warns(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object) -> None:
        raise BackendUnavailable("Cloud Tasks is unavailable, retry later")

    monkeypatch.setattr(queue(deps), "schedule", down)
    answer = upload(deps, ALICE, bundle())
    assert conversion(deps, answer) == {
        "state": "FAILED",
        "reason": NOT_QUEUED,
        "universalApk": None,
    }
    assert "The universal APK could not be queued: testers get the bundle only" in answer.warnings


def test_deleting_a_version_deletes_its_universal_apk(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    convert(deps, worker, answer)
    universal = conversion(deps, answer)["universalApk"]["objectName"]
    assert universal in fake_bucket(deps).objects

    deletion.delete_version(deps, ALICE, answer.data.id, "1.0")

    assert universal in fake_bucket(deps).deleted
    assert not any(name.startswith("applications/") for name in fake_bucket(deps).objects)


def test_an_apk_built_for_a_version_deleted_meanwhile_is_deleted_again(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    store = deps.applications
    record = store.record_conversion

    def deleted_first(app_id: str, number: int, generation: int, outcome: Conversion) -> bool:
        if outcome.state is not ConversionState.PENDING:  # not the attempt's mark: its outcome
            deletion.delete_version(deps, ALICE, answer.data.id, "1.0")
        return record(app_id, number, generation, outcome)

    monkeypatch.setattr(store, "record_conversion", deleted_first)
    assert convert(deps, worker, answer) == "changed"
    assert not any(name.startswith("applications/") for name in fake_bucket(deps).objects)


def test_an_apk_stored_but_not_recorded_goes_with_its_version(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    record = deps.applications.record_conversion

    def firestore_down(app_id: str, number: int, generation: int, outcome: Conversion) -> bool:
        if outcome.state is ConversionState.PENDING:  # the attempt's mark, before it converts
            return record(app_id, number, generation, outcome)
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(deps.applications, "record_conversion", firestore_down)
    (task,) = queue(deps).calls
    assert worker.post("/", json=task.payload).status_code == 503  # stored, not recorded
    assert len(built(deps)) == 1 and built(deps)[0] in fake_bucket(deps).objects

    deletion.delete_version(deps, ALICE, answer.data.id, "1.0")  # before the retry

    assert not any(name.startswith("applications/") for name in fake_bucket(deps).objects)
    monkeypatch.setattr(deps.applications, "record_conversion", record)
    again = worker.post("/", json=task.payload)
    assert again.status_code == 200, again.json
    assert again.json["outcome"] == "gone"


def deleted_while_building(
    deps: Dependencies, answer: UploadAnswer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is deleted while bundletool runs: its tombstone's objects go before the
    universal APK exists."""
    build = bundletool.build_universal_apk

    def deleted_first(*args, **kwargs) -> Path:
        deletion.delete_version(deps, ALICE, answer.data.id, "1.0")
        return build(*args, **kwargs)

    monkeypatch.setattr(service, "build_universal_apk", deleted_first)


def outcome_fails(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> Callable[..., bool]:
    """record_conversion raises `error` for the outcome (the attempt's marks are recorded);
    returns the real one."""
    record = deps.applications.record_conversion

    def failing(app_id: str, number: int, generation: int, outcome: Conversion) -> bool:
        if outcome.state is ConversionState.PENDING:
            return record(app_id, number, generation, outcome)
        raise error

    monkeypatch.setattr(deps.applications, "record_conversion", failing)
    return record


def test_an_apk_stored_for_a_version_deleted_meanwhile_goes_though_its_outcome_is_not_recorded(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    deleted_while_building(deps, answer, monkeypatch)
    outcome_fails(deps, monkeypatch, BackendUnavailable("Firestore is unavailable, retry later"))
    (task,) = queue(deps).calls

    assert worker.post("/", json=task.payload).status_code == 503  # Cloud Tasks retries

    assert len(built(deps)) == 1
    assert not any(name.startswith("applications/") for name in fake_bucket(deps).objects)


def test_an_apk_a_killed_attempt_stored_for_a_version_deleted_meanwhile_goes_with_the_retry(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    deleted_while_building(deps, answer, monkeypatch)
    record = outcome_fails(deps, monkeypatch, Killed())
    (task,) = queue(deps).calls
    with pytest.raises(Killed):
        worker.post("/", json=task.payload)
    (universal,) = built(deps)
    assert universal in fake_bucket(deps).objects  # no record names it

    monkeypatch.setattr(deps.applications, "record_conversion", record)
    again = worker.post("/", json=task.payload)

    assert again.json["outcome"] == "gone"  # acknowledged: no task will come again
    assert not any(name.startswith("applications/") for name in fake_bucket(deps).objects)


def test_an_apk_whose_record_landed_though_its_answer_was_lost_is_kept(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    record = deps.applications.record_conversion

    def answer_lost(app_id: str, number: int, generation: int, outcome: Conversion) -> bool:
        record(app_id, number, generation, outcome)
        if outcome.state is ConversionState.PENDING:
            return True
        raise BackendUnavailable("Firestore is unavailable, retry later")

    monkeypatch.setattr(deps.applications, "record_conversion", answer_lost)
    (task,) = queue(deps).calls
    assert worker.post("/", json=task.payload).status_code == 503

    monkeypatch.setattr(deps.applications, "record_conversion", record)
    assert convert(deps, worker, answer) == "known"
    assert conversion(deps, answer)["universalApk"]["objectName"] in fake_bucket(deps).objects


def test_a_task_queued_before_tasks_named_their_object_is_still_converted(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    (task,) = queue(deps).calls
    earlier = {key: value for key, value in task.payload.items() if key != "objectName"}

    assert worker.post("/", json=earlier).json["outcome"] == "done"
    deletion.delete_version(deps, ALICE, answer.data.id, "1.0")
    assert worker.post("/", json=earlier).json["outcome"] == "gone"


def test_a_redelivery_after_an_interrupted_attempt_records_its_stored_apk(
    deps: Dependencies, worker: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle())
    (version,) = deps.applications.versions(answer.data.id)
    name = version.objectName.removesuffix(".apk") + "-universal.apk"
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "distribution.p12"
        path.write_bytes(base64.b64decode(json.loads(distribution()[0])["keystore"]))
        earlier = universal_apk(bundle(), path, PASSWORD)
    fake_bucket(deps).put(name, earlier)  # stored, then the instance died before recording it

    assert convert(deps, worker, answer) == "done"

    assert built(deps) == []  # checked and recorded, not built again
    assert conversion(deps, answer)["universalApk"]["sha256"] == hashlib.sha256(earlier).hexdigest()


def test_an_apk_a_concurrent_delivery_recorded_is_kept(
    deps: Dependencies, worker: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = upload(deps, ALICE, bundle())
    store = deps.applications
    record = store.record_conversion

    def recorded_first(app_id: str, number: int, generation: int, outcome) -> bool:
        assert record(app_id, number, generation, outcome)  # the other delivery's, same APK
        return record(app_id, number, generation, outcome)

    monkeypatch.setattr(store, "record_conversion", recorded_first)
    assert convert(deps, worker, answer) == "changed"
    universal = conversion(deps, answer)["universalApk"]["objectName"]
    assert universal in fake_bucket(deps).objects


# --- the install page ---------------------------------------------------------------------------


@pytest.fixture
def pages(load) -> FlaskClient:
    return load("install_pages")


def page_of(pages: FlaskClient, answer: UploadAnswer) -> str:
    response = pages.get(f"/app/{answer.data.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_serves_the_universal_apk_and_keeps_the_bundle_as_a_link(
    deps: Dependencies, worker: FlaskClient, pages: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle(), accessType="PUBLIC")
    convert(deps, worker, answer)
    page = page_of(pages, answer)
    universal = conversion(deps, answer)["universalApk"]["objectName"]
    (version,) = deps.applications.versions(answer.data.id)

    assert ">Download APK</a>" in page
    assert f'id="distribution-signer">{distribution()[1].sha256}</code>' in page
    assert "uninstall this build before installing one from Google Play" in page
    assert 'id="bundle-download"' in page

    pages.get(f"/app/{answer.data.id}/download?version=1.0")
    pages.get(f"/app/{answer.data.id}/download?version=1.0&file=aab")
    served = [(name, file) for name, _, file in fake_bucket(deps).signed_gets[-2:]]
    assert served == [
        (universal, "Bundle_Demo-7.0.apk"),
        (version.objectName, "Bundle_Demo-7.0.aab"),
    ]
    (version,) = deps.applications.versions(answer.data.id)
    assert version.downloadCount == 2  # both recorded


def test_the_page_says_an_apk_is_being_built_while_pending(
    deps: Dependencies, pages: FlaskClient
) -> None:
    page = page_of(pages, upload(deps, ALICE, bundle(), accessType="PUBLIC"))
    assert "Download App Bundle (.aab)</a>" in page
    assert "apkdrop is building an installable APK from it&hellip;" in page


@pytest.mark.parametrize("settings", [{"distribution_keystore": None}])
def test_the_page_says_why_no_apk_was_built(
    deps: Dependencies, worker: FlaskClient, pages: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle(), accessType="PUBLIC")
    convert(deps, worker, answer)
    page = page_of(pages, answer)
    assert "Download App Bundle (.aab)</a>" in page
    assert (
        f'did not build an installable APK from it: <span id="conversion-reason">{NO_KEYSTORE}'
        in page
    )


@pytest.mark.parametrize(
    "settings", [{"distribution_keystore": keystore_secret(password="not-the-password")}]
)
def test_the_page_shows_a_failures_reason(
    deps: Dependencies, worker: FlaskClient, pages: FlaskClient
) -> None:
    answer = upload(deps, ALICE, bundle(), accessType="PUBLIC")
    convert(deps, worker, answer)
    page = page_of(pages, answer)
    assert "could not build an installable APK from it: " in page
    assert "bundletool could not build an APK: " in page
