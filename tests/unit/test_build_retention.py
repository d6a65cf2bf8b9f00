"""Build projects' retention: the policy's API, and the sweep deleting old upload contexts
through the context deletion, never one with a build still uploading."""

import datetime

import pytest
from flask.testing import FlaskClient

from apkdrop.accounts import KeyScope, issue_api_key
from apkdrop.audit.models import AuditAction
from apkdrop.builds import deletion, service, settlement
from apkdrop.builds.models import (
    ProjectRetention,
    StoredBuild,
    StoredContext,
    StoredProjectRetention,
    UploadState,
)
from apkdrop.builds.retention import set_project_policy
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable, Conflict
from apkdrop.retention.sweep import sweep
from tests.fakes import FakeBuildStore, fake_bucket, fake_dependencies
from tests.unit.test_build_deletion import (
    PROJECT,
    audit_events,
    caller,
    register,
    stored,
    upload,
)

PROJECT_URL = f"/api/v1/projects/{PROJECT}"
START = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def clock(deps: Dependencies) -> None:
    deps.clock.now = START
    deps.clock.step = datetime.timedelta(seconds=1)


@pytest.fixture
def api(load) -> FlaskClient:
    return load("build_api", "http")


def builds(deps: Dependencies) -> FakeBuildStore:
    assert isinstance(deps.builds, FakeBuildStore)
    return deps.builds


def admin_key(deps: Dependencies, email: str = "dev@example.com") -> dict[str, str]:
    return {"X-Api-Key": issue_api_key(deps.accounts, email, scope=KeyScope.ADMIN)}


def settled_context(deps: Dependencies, owner, count: int = 1) -> list[StoredBuild]:
    """A new context with `count` FINISHED builds."""
    first = register(deps, owner)
    found = [first] + [register(deps, owner, first.contextId) for _ in range(count - 1)]
    for build in found:
        settlement.settle_upload(deps, build.id, upload(deps, build))
    return [stored(deps, build.id) for build in found]


def set_policy(deps: Dependencies, owner, max_age_days: int | None) -> None:
    set_project_policy(deps, owner, PROJECT, ProjectRetention(maxAgeDays=max_age_days))


def expired_context(
    deps: Dependencies, owner
) -> tuple[StoredBuild, StoredContext, StoredProjectRetention]:
    """A context with one FINISHED build, a month old under a 7-day policy: the build, the
    context and the policy, as the sweep reads them."""
    (done,) = settled_context(deps, owner)
    deps.clock.now += 30 * DAY
    set_policy(deps, owner, 7)
    policy = builds(deps).project_retention(owner.id, PROJECT)
    context = builds(deps).get_context(done.contextId)
    assert context is not None and policy is not None
    return done, context, policy


def live(deps: Dependencies) -> list[int]:
    return sorted(
        context["id"] for context in builds(deps).contexts.values() if not context["dateDeleted"]
    )


# --- the API ---------------------------------------------------------------------------------


def test_put_answers_the_policy_and_get_reads_it_back(api: FlaskClient, deps: Dependencies) -> None:
    auth = admin_key(deps)
    url = f"{PROJECT_URL}/retention"
    assert api.get(url, headers=auth).json == {"maxAgeDays": None}
    put = api.put(url, headers=auth, json={"maxAgeDays": 30})
    assert (put.status_code, put.json) == (200, {"maxAgeDays": 30})
    assert api.get(url, headers=auth).json == {"maxAgeDays": 30}
    other_account = admin_key(deps, "other@example.com")
    assert api.get(url, headers=other_account).json == {"maxAgeDays": None}
    changes = [e for e in deps.audit.events if e.action is AuditAction.RETENTION_CHANGE]
    assert [(e.target, e.details) for e in changes] == [(url, {"maxAgeDays": 30})]


@pytest.mark.parametrize("body", [{}, {"maxAgeDays": None}])
def test_an_empty_policy_removes_it(api: FlaskClient, deps: Dependencies, body: dict) -> None:
    auth = admin_key(deps)
    url = f"{PROJECT_URL}/retention"
    api.put(url, headers=auth, json={"maxAgeDays": 30})
    assert api.put(url, headers=auth, json=body).json == {"maxAgeDays": None}
    assert api.get(url, headers=auth).json == {"maxAgeDays": None}
    assert builds(deps).projects_with_retention() == []


@pytest.mark.parametrize(
    "body", [{"maxAgeDays": 0}, {"maxAgeDays": 3651}, {"maxAgeDays": "7"}, {"keepLatest": 3}]
)
def test_a_policy_out_of_range_is_a_400(api: FlaskClient, deps: Dependencies, body: dict) -> None:
    response = api.put(f"{PROJECT_URL}/retention", headers=admin_key(deps), json=body)
    assert response.status_code == 400
    assert "detail" in response.json
    assert builds(deps).projects_with_retention() == []


def test_setting_a_policy_needs_an_admin_key(api: FlaskClient, deps: Dependencies) -> None:
    ci = {"X-Api-Key": issue_api_key(deps.accounts, "ci@example.com", scope=KeyScope.UPLOAD)}
    url = f"{PROJECT_URL}/retention"
    refused = api.put(url, headers=ci, json={"maxAgeDays": 3})
    assert refused.status_code == 403
    assert api.get(url, headers=ci).json == {"maxAgeDays": None}


def test_a_malformed_project_name_is_a_400(api: FlaskClient, deps: Dependencies) -> None:
    response = api.get("/api/v1/projects/-bad/retention", headers=admin_key(deps))
    assert response.status_code == 400


# --- the sweep ----------------------------------------------------------------------------------


def test_contexts_older_than_max_age_days_go_with_their_files(deps: Dependencies) -> None:
    owner = caller(deps)
    old = settled_context(deps, owner, count=2)
    deps.clock.now += 10 * DAY
    recent = settled_context(deps, owner)
    set_policy(deps, owner, 7)
    assert sweep(deps).model_dump() == {"deleted": 1, "staleWork": 0, "finished": True}
    assert live(deps) == [recent[0].contextId]
    for build in old:
        gone = stored(deps, build.id)
        assert (gone.uploadState, gone.pendingObjects) == (UploadState.DELETED, [])
        assert build.objectName not in fake_bucket(deps).objects
    assert recent[0].objectName in fake_bucket(deps).objects
    (event,) = audit_events(deps)
    assert event.target == f"{PROJECT_URL}/build-uploads/{old[0].contextId}"
    assert event.details == {
        "buildIds": [old[0].id, old[1].id],
        "deletedBy": "retention",
        "rule": "maxAgeDays",
    }
    assert (event.actor.keyPrefix, event.actor.email, event.accountId) == (
        "retention",
        owner.email,
        owner.id,
    )
    assert sweep(deps).model_dump() == {"deleted": 0, "staleWork": 0, "finished": True}


def test_other_projects_and_accounts_are_untouched(deps: Dependencies) -> None:
    owner, other = caller(deps), caller(deps, "other@example.com")
    mine = settled_context(deps, owner)
    theirs = settled_context(deps, other)
    elsewhere = service.create_context(deps, owner, "other-project")
    deps.clock.now += 30 * DAY
    set_policy(deps, owner, 7)
    assert sweep(deps).deleted == 1
    assert live(deps) == sorted([theirs[0].contextId, elsewhere.id])
    assert mine[0].contextId not in live(deps)


def test_removing_the_policy_keeps_everything(deps: Dependencies) -> None:
    owner = caller(deps)
    settled_context(deps, owner)
    set_policy(deps, owner, 7)
    set_policy(deps, owner, None)
    deps.clock.now += 30 * DAY
    assert sweep(deps).deleted == 0
    assert len(live(deps)) == 1


@pytest.mark.parametrize("deps", [fake_dependencies(retention_max_deletions_per_run=2)])
def test_each_context_counts_once_toward_the_runs_cap(deps: Dependencies) -> None:
    owner = caller(deps)
    for _ in range(3):
        settled_context(deps, owner, count=2)  # 6 builds in 3 contexts
    deps.clock.now += 30 * DAY
    set_policy(deps, owner, 7)
    runs = [sweep(deps).model_dump() for _ in range(3)]
    assert runs == [
        {"deleted": 2, "staleWork": 0, "finished": False},
        {"deleted": 1, "staleWork": 0, "finished": True},
        {"deleted": 0, "staleWork": 0, "finished": True},
    ]
    assert live(deps) == []


def test_a_context_with_a_build_still_uploading_is_spared_until_it_settles(
    deps: Dependencies,
) -> None:
    owner = caller(deps)
    (done,) = settled_context(deps, owner)
    uploading = register(deps, owner, done.contextId)
    deps.clock.now += 30 * DAY
    set_policy(deps, owner, 7)
    assert sweep(deps).deleted == 0
    assert stored(deps, done.id).uploadState is UploadState.FINISHED
    settlement.settle_upload(deps, uploading.id, upload(deps, uploading))
    assert sweep(deps).deleted == 1
    assert stored(deps, uploading.id).uploadState is UploadState.DELETED


def test_a_build_registered_while_the_sweep_marks_its_context_is_spared(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registration lands between the sweep's first look and its mark: the sweep sees it
    UPLOADING after the mark, takes the mark back, and the upload goes on."""
    owner = caller(deps)
    (done,) = settled_context(deps, owner)
    deps.clock.now += 30 * DAY
    set_policy(deps, owner, 7)
    store = builds(deps)
    first_look = store.builds_of_context
    racing: list[StoredBuild] = []

    def look_then_register(context_id: int) -> list[StoredBuild]:
        found = first_look(context_id)
        if not racing:
            racing.append(register(deps, owner, context_id))
        return found

    monkeypatch.setattr(store, "builds_of_context", look_then_register)
    assert sweep(deps).deleted == 0
    monkeypatch.undo()
    (registered,) = racing
    assert stored(deps, registered.id).uploadState is UploadState.UPLOADING
    context = store.get_context(done.contextId)
    assert context is not None
    assert (context.dateDeleted, context.retentionPending) == (None, False)
    settled = settlement.settle_upload(deps, registered.id, upload(deps, registered))
    assert settled is not None and settled.uploadState is UploadState.FINISHED


def test_a_registration_after_the_mark_is_refused_before_its_url_is_handed_out(
    deps: Dependencies,
) -> None:
    owner = caller(deps)
    done, context, policy = expired_context(deps, owner)
    assert deletion.delete_context_by_retention(deps, context, policy)
    with pytest.raises(Conflict):
        register(deps, owner, done.contextId)


def test_a_sweep_that_stops_halfway_is_finished_by_the_next(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = caller(deps)
    first, second = settled_context(deps, owner, count=2)
    deps.clock.now += 30 * DAY
    set_policy(deps, owner, 7)
    delete_object = fake_bucket(deps).delete_object

    def fail_on_second(name: str) -> None:
        if name == second.objectName:
            raise BackendUnavailable("Cloud Storage is unavailable, retry later")
        delete_object(name)

    monkeypatch.setattr(fake_bucket(deps), "delete_object", fail_on_second)
    with pytest.raises(BackendUnavailable):
        sweep(deps)
    monkeypatch.undo()
    assert stored(deps, second.id).pendingObjects == [second.objectName]  # listed, not lost
    assert sweep(deps).deleted == 1
    for build in (first, second):
        assert stored(deps, build.id).pendingObjects == []
        assert build.objectName not in fake_bucket(deps).objects
    context = builds(deps).get_context(first.contextId)
    assert context is not None and not context.retentionPending
    assert sweep(deps).model_dump() == {"deleted": 0, "staleWork": 0, "finished": True}


def test_an_owners_deletion_meanwhile_is_not_deleted_again(deps: Dependencies) -> None:
    owner = caller(deps)
    done, context, policy = expired_context(deps, owner)
    deletion.delete_context(deps, owner, PROJECT, done.contextId)
    assert not deletion.delete_context_by_retention(deps, context, policy)
    assert [event.details.get("deletedBy") for event in audit_events(deps)] == [None]


def test_an_owners_deletion_after_the_sweep_deleted_the_builds_is_recorded_once(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep has deleted every build but not yet cleared its mark when the owner DELETEs:
    the owner's deletion takes it over, answers as done, and records it; the sweep does not."""
    owner = caller(deps)
    done, context, policy = expired_context(deps, owner)
    finish = deletion._finish_retention

    def owner_first(deps_: Dependencies, context_id: int) -> bool:
        deletion.delete_context(deps, owner, PROJECT, context_id)
        return finish(deps_, context_id)

    monkeypatch.setattr(deletion, "_finish_retention", owner_first)
    assert not deletion.delete_context_by_retention(deps, context, policy)
    events = audit_events(deps)
    assert [(event.action, event.details.get("deletedBy")) for event in events] == [
        (AuditAction.DELETE, None)
    ]
    assert events[0].details["buildIds"] == [done.id]  # deleted by the sweep, recorded here


def test_a_halfway_deletion_that_fails_again_holds_no_other_sweeping_back(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = caller(deps)
    (stuck,) = settled_context(deps, owner)
    deps.clock.now += 30 * DAY
    (fresh,) = settled_context(deps, owner)
    set_policy(deps, owner, 7)
    context = builds(deps).get_context(stuck.contextId)
    assert context is not None
    delete_object = fake_bucket(deps).delete_object

    def fail_on_stuck(name: str) -> None:
        if name == stuck.objectName:
            raise BackendUnavailable("Cloud Storage is unavailable, retry later")
        delete_object(name)

    monkeypatch.setattr(fake_bucket(deps), "delete_object", fail_on_stuck)
    with pytest.raises(BackendUnavailable):
        deletion.delete_context_by_retention(deps, context, None)
    deps.clock.now += 30 * DAY  # now the fresh one is old too
    with pytest.raises(BackendUnavailable, match="could not be swept"):
        sweep(deps)
    assert fresh.contextId not in live(deps)  # swept all the same
    assert fresh.objectName not in fake_bucket(deps).objects


def test_an_owners_deletion_while_the_sweep_backs_off_stays_deleted(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep marks, sees a build UPLOADING and takes its mark back; an owner's DELETE in
    between is not undone."""
    owner = caller(deps)
    (done,) = settled_context(deps, owner)
    deps.clock.now += 30 * DAY
    set_policy(deps, owner, 7)
    store = builds(deps)
    listed = store.builds_of_context
    calls: list[int] = []

    def racing(context_id: int) -> list[StoredBuild]:
        calls.append(context_id)
        if len(calls) == 1:  # the sweep's first look, then a build is registered
            found = listed(context_id)
            register(deps, owner, context_id)
            return found
        if len(calls) == 2:  # after the sweep's mark: the owner deletes the context
            deletion.delete_context(deps, owner, PROJECT, context_id)
        return listed(context_id)

    monkeypatch.setattr(store, "builds_of_context", racing)
    assert sweep(deps).deleted == 0
    monkeypatch.undo()
    context = store.get_context(done.contextId)
    assert context is not None and context.dateDeleted is not None
    assert not context.retentionPending
    assert all(b.uploadState is UploadState.DELETED for b in store.builds_of_context(context.id))
