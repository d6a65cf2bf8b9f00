"""`Idempotency-Key` on `POST /v1/application`, through the real app over the fakes: a retried
upload answers the version its first request committed instead of making another one."""

import datetime
import io

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import EnvironHeaders

from apkdrop.accounts import issue_api_key
from apkdrop.applications.idempotency import (
    KEY_REUSED,
    KEY_RULE,
    MAX_KEY_CHARS,
    KeyedVersion,
    read_key,
)
from apkdrop.applications.large_uploads import create_large_upload
from apkdrop.audit.models import AuditAction
from apkdrop.dependencies import Dependencies
from apkdrop.errors import InvalidRequest
from apkdrop.ids import new_opaque_id
from apkdrop.notifications.models import NotificationState
from apkdrop.ttls import IDEMPOTENCY_KEY_TTL
from apkdrop.webhooks.models import Hook, HookKind
from tests.fakes import (
    FakeWeb,
    fake_bucket,
    fake_dependencies,
    fake_store,
)
from tests.unit.test_application_service import ALICE, apk, commits_unconfirmed
from tests.unit.test_notification_delivery import apk_with_icon

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
APK_TYPE = "application/vnd.android.package-archive"
KEY = "ci-run-4711/upload-1"


@pytest.fixture
def deps() -> Dependencies:
    made = fake_dependencies(upload_rate_limit_per_minute=1000)
    made.url_fetcher.resolver.names["files.example.com"] = ["93.184.216.34"]
    made.clock.now, made.clock.step = NOW, datetime.timedelta(milliseconds=1)
    return made


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> FakeWeb:
    served = FakeWeb()
    served.install(monkeypatch)
    return served


@pytest.fixture
def api(deps: Dependencies, load, web: FakeWeb) -> FlaskClient:
    client = load("application_api")
    client.environ_base["wsgi.input_terminated"] = True
    return client


@pytest.fixture
def api_key(deps: Dependencies) -> str:
    return issue_api_key(deps.accounts, ALICE.email)


@pytest.fixture
def account_id(deps: Dependencies, api_key: str) -> str:
    (account,) = deps.accounts.accounts.values()
    return account.id


def post(
    api: FlaskClient, api_key: str, content: bytes | None, key: str | None = KEY, **fields: str
):
    data: dict = dict(fields)
    if content is not None:
        data["file"] = (io.BytesIO(content), "app.apk", APK_TYPE)
    headers = {"X-Api-Key": api_key} | ({} if key is None else {"Idempotency-Key": key})
    return api.post(
        "/v1/application", headers=headers, data=data, content_type="multipart/form-data"
    )


def app_files(deps: Dependencies) -> set[str]:
    return {name for name in fake_bucket(deps).objects if name.startswith("applications/")}


def versions(deps: Dependencies, app_id: str) -> list[str]:
    return [version.version for version in deps.applications.versions(app_id)]


def hook_for(deps: Dependencies, account_id: str) -> None:
    hook = Hook(
        id=new_opaque_id(),
        accountId=account_id,
        url="https://hooks.example.com/in",
        kind=HookKind.JSON,
        createdAt=NOW,
        events=["version.created"],
        appId=None,
        channel=None,
    )
    assert deps.webhooks.add_hook(hook, 10)


# --- a retry never makes a second version -------------------------------------------------------


def test_a_retry_after_a_lost_answer_replays_the_first(
    api: FlaskClient, api_key: str, deps: Dependencies
) -> None:
    first = post(api, api_key, apk(), releaseNotes="Fixes login")
    files = app_files(deps)

    again = post(api, api_key, apk(), releaseNotes="Fixes login")

    assert (first.status_code, again.status_code) == (200, 200), again.json
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert versions(deps, first.json["data"]["id"]) == ["1.0"]
    # The retry's own file is deleted: nothing is orphaned.
    assert app_files(deps) == files
    assert len(fake_bucket(deps).deleted) == 1


def test_a_retry_after_an_applied_commit_that_answered_503_answers_its_version(
    api: FlaskClient, api_key: str, deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the key the retry became 2.0 as well as the 1.0 the 503 had published."""
    app_id = post(api, api_key, apk(), key=None).json["data"]["id"]
    commits_unconfirmed(deps, monkeypatch, "append_version", applied=True)

    lost = post(api, api_key, apk(code=2))
    retried = post(api, api_key, apk(code=2))

    assert lost.status_code == 503
    assert retried.status_code == 200, retried.json
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json["data"]["version"] == "2.0"
    assert versions(deps, app_id) == ["2.0", "1.0"]
    newest = deps.applications.versions(app_id)[0]
    assert app_files(deps) == {version.objectName for version in deps.applications.versions(app_id)}
    assert newest.objectName in fake_bucket(deps).objects


@pytest.mark.parametrize("action", ["create_new_version", "create_new_app"])
def test_a_first_version_committed_under_a_503_is_answered_on_retry(
    api: FlaskClient,
    api_key: str,
    deps: Dependencies,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    commits_unconfirmed(deps, monkeypatch, "create_app", applied=True)

    assert post(api, api_key, apk(), versionAction=action).status_code == 503
    retried = post(api, api_key, apk(), versionAction=action)

    assert retried.status_code == 200, retried.json
    (app_id,) = fake_store(deps).apps
    assert retried.json["data"]["id"] == app_id
    assert versions(deps, app_id) == ["1.0"]


def test_a_key_s_record_is_committed_with_its_version_and_expires_in_a_day(
    api: FlaskClient, api_key: str, account_id: str, deps: Dependencies
) -> None:
    data = post(api, api_key, apk()).json["data"]

    used = deps.applications.keyed_version(account_id, KEY)
    assert isinstance(used, KeyedVersion)
    assert (used.appId, used.versionNumber) == (data["id"], 1)
    (version,) = deps.applications.versions(data["id"])
    expire_at = fake_store(deps).keys[account_id, KEY]["expireAt"]
    assert expire_at == version.uploadTime + IDEMPOTENCY_KEY_TTL + datetime.timedelta(
        milliseconds=1
    )


def test_a_commit_that_fails_leaves_no_key(
    api: FlaskClient,
    api_key: str,
    account_id: str,
    deps: Dependencies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both or neither: a 503 not applied lets the retry publish."""
    commits_unconfirmed(deps, monkeypatch, "create_app", applied=False)

    assert post(api, api_key, apk()).status_code == 503
    assert deps.applications.keyed_version(account_id, KEY) is None
    retried = post(api, api_key, apk())
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers


# --- the same key for another request ---------------------------------------------------------


@pytest.mark.parametrize(
    "second",
    [
        {"content": apk(code=2)},
        {"content": apk(), "releaseNotes": "Other notes"},
        {"content": apk(), "channel": "nightly"},
        {"content": None, "apkUrl": "https://files.example.com/app.apk"},
    ],
    ids=["another file", "other notes", "another channel", "an apkUrl"],
)
def test_the_same_key_for_another_upload_is_refused(
    api: FlaskClient, api_key: str, deps: Dependencies, second: dict
) -> None:
    app_id = post(api, api_key, apk()).json["data"]["id"]
    files = app_files(deps)

    fields = dict(second)
    refused = post(api, api_key, fields.pop("content"), **fields)

    assert refused.status_code == 422
    assert refused.json == {"detail": KEY_REUSED}
    assert versions(deps, app_id) == ["1.0"]
    assert app_files(deps) == files


def test_a_key_is_the_account_s_own(api: FlaskClient, api_key: str, deps: Dependencies) -> None:
    alices = post(api, api_key, apk()).json["data"]
    bobs_key = issue_api_key(deps.accounts, "bob@example.com")

    bobs = post(api, bobs_key, apk())

    assert bobs.status_code == 200
    assert "Idempotent-Replayed" not in bobs.headers
    assert bobs.json["data"]["id"] != alices["id"]


def test_a_key_whose_version_was_deleted_answers_410(
    api: FlaskClient, api_key: str, deps: Dependencies
) -> None:
    app_id = post(api, api_key, apk()).json["data"]["id"]
    assert deps.applications.delete_app(app_id, ALICE.email, NOW) is not None

    gone = post(api, api_key, apk())

    assert gone.status_code == 410
    assert "Idempotency-Key" in gone.json["detail"]
    assert fake_store(deps).apps[app_id]  # nothing new: the tombstone only


@pytest.mark.parametrize(
    "key", ["", " ", " a", "a ", "x" * (MAX_KEY_CHARS + 1), "caf\u00e9", "a\tb"], ids=repr
)
def test_a_malformed_key_is_refused(
    api: FlaskClient, api_key: str, deps: Dependencies, key: str
) -> None:
    response = post(api, api_key, apk(), key=key)
    assert response.status_code == 400
    assert response.json == {"detail": KEY_RULE}
    assert fake_store(deps).apps == {}
    assert app_files(deps) == set()


def test_the_longest_key_is_taken(api: FlaskClient, api_key: str) -> None:
    assert post(api, api_key, apk(), key="~" * MAX_KEY_CHARS).status_code == 200
    assert post(api, api_key, apk(code=2), key="a b").status_code == 200
    assert post(api, api_key, apk(code=3), key="!").status_code == 200


# --- files named by the request: no second fetch, no second claim ------------------------------


def test_an_apk_url_upload_s_retry_fetches_nothing(
    api: FlaskClient, api_key: str, deps: Dependencies, web: FakeWeb
) -> None:
    url = web.serve("https://files.example.com/app.apk", apk())
    first = post(api, api_key, None, apkUrl=url)
    fetches = len(web.requests)

    again = post(api, api_key, None, apkUrl=url)

    assert again.status_code == 200, again.json
    assert again.json == first.json
    assert len(web.requests) == fetches
    assert versions(deps, first.json["data"]["id"]) == ["1.0"]


def test_a_large_upload_s_retry_answers_its_version_not_404(
    api: FlaskClient, api_key: str, deps: Dependencies
) -> None:
    """Its uploadId publishes once: without the key a retry answered 404 (already used)."""
    (account,) = deps.accounts.accounts.values()
    large = create_large_upload(deps, account)
    object_name = fake_store(deps).uploads[large.uploadId]["objectName"]
    fake_bucket(deps).put(object_name, apk())
    first = post(api, api_key, None, uploadId=large.uploadId)

    again = post(api, api_key, None, uploadId=large.uploadId)

    assert again.status_code == 200, again.json
    assert again.json == first.json
    assert fake_store(deps).claims == [large.uploadId]
    assert object_name in fake_bucket(deps).objects


def test_a_large_upload_committed_after_its_retry_read_the_key_is_answered(
    api: FlaskClient, api_key: str, deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request's commit answered 503 and landed after the retry's first read of the
    key: the retry's claim of the uploadId (still the first's) failed, and it answered 404."""
    (account,) = deps.accounts.accounts.values()
    large = create_large_upload(deps, account)
    fake_bucket(deps).put(fake_store(deps).uploads[large.uploadId]["objectName"], apk())
    commits_unconfirmed(deps, monkeypatch, "create_app", applied=True)
    assert post(api, api_key, None, uploadId=large.uploadId).status_code == 503
    real, reads = fake_store(deps).keyed_version, []

    def read_before_the_commit_landed(account_id: str, key: str) -> KeyedVersion | None:
        reads.append(key)
        return None if len(reads) == 1 else real(account_id, key)

    monkeypatch.setattr(fake_store(deps), "keyed_version", read_before_the_commit_landed)

    retried = post(api, api_key, None, uploadId=large.uploadId)

    assert retried.status_code == 200, retried.json
    assert retried.headers["Idempotent-Replayed"] == "true"
    (app_id,) = fake_store(deps).apps
    assert versions(deps, app_id) == ["1.0"]


# --- a concurrent duplicate ---------------------------------------------------------------------


def test_a_concurrent_duplicate_that_commits_first_is_answered(
    api: FlaskClient, api_key: str, deps: Dependencies
) -> None:
    """Both read no key; the one that commits second finds it in its commit, and answers the
    other's version (deleting its own file) instead of making a second one."""
    app_id = post(api, api_key, apk(), key=None).json["data"]["id"]
    concurrent: list = []
    fake_store(deps).before_commit = lambda: concurrent.append(post(api, api_key, apk(code=2)))

    answer = post(api, api_key, apk(code=2))

    (other,) = concurrent
    assert (other.status_code, answer.status_code) == (200, 200), answer.json
    assert answer.headers["Idempotent-Replayed"] == "true"
    assert answer.json["data"] == other.json["data"]
    assert versions(deps, app_id) == ["2.0", "1.0"]
    assert app_files(deps) == {version.objectName for version in deps.applications.versions(app_id)}


# --- follow-ups ---------------------------------------------------------------------------------


def test_a_version_published_under_a_503_gets_its_follow_ups_once_on_replay(
    api: FlaskClient,
    api_key: str,
    account_id: str,
    deps: Dependencies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its email, webhook and audit event come with the replay, and never twice."""
    hook_for(deps, account_id)
    commits_unconfirmed(deps, monkeypatch, "create_app", applied=True)
    fields = {"sendNotification": "true", "notificationEmails": "qa@example.com"}

    assert post(api, api_key, apk_with_icon(), **fields).status_code == 503
    assert deps.email_queue.tasks == deps.webhook_queue.tasks == {}
    assert deps.audit.events == []

    for _ in range(3):
        assert post(api, api_key, apk_with_icon(), **fields).status_code == 200

    (app_id,) = fake_store(deps).apps
    assert len(deps.email_queue.tasks) == 1
    assert len(deps.webhook_queue.tasks) == 1
    (event,) = deps.audit.events
    assert (event.action, event.target) == (
        AuditAction.UPLOAD,
        f"/v1/application/{app_id}/versions/1.0",
    )


def test_a_replay_queues_nothing_a_worker_has_done(
    api: FlaskClient, api_key: str, deps: Dependencies
) -> None:
    """The email sent, the hash computed: the replay's follow-ups leave them be."""
    fields = {"sendNotification": "true", "notificationEmails": "qa@example.com"}
    data = post(api, api_key, apk(), **fields).json["data"]
    (version,) = deps.applications.versions(data["id"])
    assert version.notification is not None
    sent = version.notification.model_copy(update={"status": NotificationState.SENT, "sentAt": NOW})
    deps.applications.set_notification(data["id"], 1, sent)
    queued = list(deps.email_queue.calls)

    assert post(api, api_key, apk(), **fields).status_code == 200

    assert deps.email_queue.calls == queued
    assert deps.hash_queue.calls == []


@pytest.mark.parametrize("key", ["ab\n", "a\nb", "\n"], ids=repr)
def test_a_key_with_a_line_break_is_refused(key: str) -> None:
    """As a server might pass it in the WSGI environ: `$` once matched before a final one."""
    with pytest.raises(InvalidRequest) as refused:
        read_key(EnvironHeaders({"HTTP_IDEMPOTENCY_KEY": key}))
    assert refused.value.detail == KEY_RULE
