"""BuildRepository: `FakeBuildStore` and `firestore.BuildStore` keep the same contract."""

import datetime

import pytest

from apkdrop.adapters import firestore
from apkdrop.builds.models import (
    BuildType,
    StoredBuild,
    StoredContext,
    StoredProjectRetention,
    UploadState,
    tombstone,
)
from apkdrop.builds.ports import BuildRepository
from apkdrop.errors import BackendUnavailable
from tests.fakes import FakeBuildStore
from tests.integration.contract.conftest import (
    IMPLEMENTATIONS,
    fake_or_firestore,
    unique,
    unique_number,
)

pytestmark = pytest.mark.integration
CREATED = datetime.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)


@pytest.fixture(params=IMPLEMENTATIONS)
def builds(request: pytest.FixtureRequest) -> BuildRepository:
    return fake_or_firestore(request, FakeBuildStore, firestore.BuildStore)


def new_context() -> StoredContext:
    return StoredContext(
        id=unique_number(), dateCreated=CREATED, accountId=unique("acct"), projectName="demo"
    )


def new_build(context: StoredContext, build_id: int | None = None) -> StoredBuild:
    build_id = build_id or unique_number()
    return StoredBuild(
        id=build_id,
        contextId=context.id,
        buildType=BuildType.APK,
        buildFileName="app.apk",
        name="nightly",
        sourceControlIsoTimestamp=CREATED,
        uploadState=UploadState.UPLOADING,
        dateCreated=CREATED,
        accountId=context.accountId,
        projectName=context.projectName,
        objectName=f"builds/{context.id}/{build_id}/app.apk",
    )


def test_ids_of_a_sequence_count_up_from_one_and_sequences_are_separate(
    builds: BuildRepository,
) -> None:
    sequence, other = unique("sequence"), unique("sequence")
    assert [builds.next_id(sequence) for _ in range(3)] == [1, 2, 3]
    assert builds.next_id(other) == 1


def test_ensuring_a_project_twice_is_no_error(builds: BuildRepository) -> None:
    account_id = unique("acct")
    builds.ensure_project(account_id, "demo")
    builds.ensure_project(account_id, "demo")


def test_a_context_reads_back_as_written(builds: BuildRepository) -> None:
    context = new_context()
    builds.create_context(context)
    assert builds.get_context(context.id) == context


def test_an_unknown_context_is_none(builds: BuildRepository) -> None:
    assert builds.get_context(unique_number()) is None


def test_a_context_is_created_once(builds: BuildRepository) -> None:
    context = new_context()
    builds.create_context(context)
    with pytest.raises(BackendUnavailable):
        builds.create_context(context.model_copy(update={"projectName": "other"}))
    assert builds.get_context(context.id) == context


def test_a_build_reads_back_as_written(builds: BuildRepository) -> None:
    build = new_build(new_context())
    builds.create_build(build)
    assert builds.get_build(build.id) == build


def test_an_unknown_build_is_none(builds: BuildRepository) -> None:
    assert builds.get_build(unique_number()) is None


def test_a_build_is_created_once(builds: BuildRepository) -> None:
    build = new_build(new_context())
    builds.create_build(build)
    with pytest.raises(BackendUnavailable):
        builds.create_build(build.model_copy(update={"name": "other"}))
    assert builds.get_build(build.id) == build


def test_the_builds_of_a_context_are_its_own_in_id_order(builds: BuildRepository) -> None:
    context, other = new_context(), new_context()
    first = unique_number()
    mine = [new_build(context, first + 2), new_build(context, first), new_build(context, first + 1)]
    for build in [*mine, new_build(other)]:
        builds.create_build(build)
    assert builds.builds_of_context(context.id) == sorted(mine, key=lambda build: build.id)
    assert builds.builds_of_context(unique_number()) == []


def test_an_update_writes_what_decide_returns(builds: BuildRepository) -> None:
    build = new_build(new_context())
    builds.create_build(build)
    seen: list[StoredBuild] = []

    def finish(current: StoredBuild) -> dict:
        seen.append(current)
        return {"uploadState": UploadState.FINISHED.value, "fileSize": 42, "dateSettled": CREATED}

    expected = build.model_copy(
        update={"uploadState": UploadState.FINISHED, "fileSize": 42, "dateSettled": CREATED}
    )
    assert builds.update_build(build.id, finish) == expected
    assert seen[-1] == build
    assert builds.get_build(build.id) == expected


@pytest.mark.parametrize("no_change", [None, {}])
def test_an_update_that_decides_nothing_changes_nothing(
    builds: BuildRepository, no_change: dict | None
) -> None:
    build = new_build(new_context())
    builds.create_build(build)
    assert builds.update_build(build.id, lambda current: no_change) == build
    assert builds.get_build(build.id) == build


def test_an_update_of_an_unknown_build_is_none_and_decides_nothing(
    builds: BuildRepository,
) -> None:
    decided: list[StoredBuild] = []
    assert builds.update_build(unique_number(), lambda current: decided.append(current)) is None
    assert decided == []


def test_a_context_update_writes_what_decide_returns(builds: BuildRepository) -> None:
    context = new_context()
    builds.create_context(context)
    deleted = CREATED + datetime.timedelta(hours=1)
    expected = context.model_copy(update={"dateDeleted": deleted})
    assert builds.update_context(context.id, lambda current: {"dateDeleted": deleted}) == expected
    assert builds.get_context(context.id) == expected
    # None leaves it as it is.
    assert builds.update_context(context.id, lambda current: None) == expected


def test_a_context_update_of_an_unknown_context_is_none_and_decides_nothing(
    builds: BuildRepository,
) -> None:
    decided: list[StoredContext] = []
    assert builds.update_context(unique_number(), lambda c: decided.append(c)) is None
    assert decided == []


def test_a_tombstone_reads_back_with_its_pending_objects(builds: BuildRepository) -> None:
    context = new_context()
    build = new_build(context)
    builds.create_build(build)
    deleted = CREATED + datetime.timedelta(minutes=5)
    builds.update_build(build.id, lambda current: tombstone(deleted, [current.objectName]))
    half = builds.get_build(build.id)
    assert half is not None
    assert (half.uploadState, half.dateDeleted, half.pendingObjects) == (
        UploadState.DELETED,
        deleted,
        [build.objectName],
    )
    builds.update_build(build.id, lambda current: {"pendingObjects": []})
    assert builds.get_build(build.id) == half.model_copy(update={"pendingObjects": []})
    assert [b.uploadState for b in builds.builds_of_context(context.id)] == [UploadState.DELETED]


def test_the_previous_finished_build_is_the_newest_earlier_context_s_of_the_type(
    builds: BuildRepository,
) -> None:
    account = unique("acct")
    contexts = sorted(unique_number() for _ in range(4))

    def stored(context_id: int, state: UploadState, kind=BuildType.APK, **fields) -> StoredBuild:
        context = StoredContext(
            id=context_id, dateCreated=CREATED, accountId=account, projectName="demo"
        )
        build = new_build(context).model_copy(
            update={"uploadState": state, "buildType": kind, **fields}
        )
        builds.create_build(build)
        return build

    oldest = stored(contexts[0], UploadState.FINISHED)
    older_in_context = stored(contexts[1], UploadState.FINISHED)
    wanted = stored(contexts[1], UploadState.FINISHED, id=older_in_context.id + 1)
    stored(contexts[1], UploadState.FAILED, id=wanted.id + 1)
    stored(contexts[2], UploadState.FINISHED, BuildType.INSTRUMENTED_APK)
    stored(contexts[2], UploadState.DELETED)
    stored(contexts[2], UploadState.FINISHED, projectName="elsewhere")
    stored(contexts[2], UploadState.FINISHED, accountId=unique("acct"))
    later = stored(contexts[3], UploadState.UPLOADING)

    assert builds.previous_finished_build(later) == wanted
    assert builds.previous_finished_build(wanted) == oldest
    assert builds.previous_finished_build(oldest) is None


# --- build projects' retention --------------------------------------------------------------


def test_a_project_policy_round_trips_and_is_removed(builds: BuildRepository) -> None:
    account_id = unique("acct")
    policy = StoredProjectRetention(
        accountId=account_id, projectName="demo.app", maxAgeDays=7, ownerEmail="o@example.com"
    )
    assert builds.project_retention(account_id, "demo.app") is None
    builds.set_project_retention(policy)
    builds.set_project_retention(policy.model_copy(update={"maxAgeDays": 9}))
    assert builds.project_retention(account_id, "demo.app") == policy.model_copy(
        update={"maxAgeDays": 9}
    )
    assert builds.project_retention(account_id, "demo") is None
    assert policy.model_copy(update={"maxAgeDays": 9}) in builds.projects_with_retention()
    builds.remove_project_retention(account_id, "demo.app")
    builds.remove_project_retention(account_id, "demo.app")  # gone already: no error
    assert builds.project_retention(account_id, "demo.app") is None
    assert all(found.accountId != account_id for found in builds.projects_with_retention())


def test_live_contexts_before_are_the_projects_oldest_first_not_deleted(
    builds: BuildRepository,
) -> None:
    account_id = unique("acct")
    hour = datetime.timedelta(hours=1)

    def context(offset: int, project: str = "demo", deleted: bool = False) -> StoredContext:
        made = StoredContext(
            id=unique_number(),
            dateCreated=CREATED + offset * hour,
            accountId=account_id,
            projectName=project,
            dateDeleted=CREATED if deleted else None,
        )
        builds.create_context(made)
        return made

    newer, older, _ = context(2), context(1), context(0, deleted=True)
    context(0, project="other")
    context(5)  # not before the cut-off
    cut_off = CREATED + 3 * hour
    assert builds.live_contexts_before(account_id, "demo", cut_off, 10) == [older, newer]
    assert builds.live_contexts_before(account_id, "demo", cut_off, 1) == [older]


def test_contexts_pending_retention_are_those_marked(builds: BuildRepository) -> None:
    marked, plain = new_context(), new_context()
    builds.create_context(marked)
    builds.create_context(plain)
    builds.update_context(marked.id, lambda current: {"retentionPending": True})
    pending = {context.id for context in builds.contexts_pending_retention(1000)}
    assert marked.id in pending and plain.id not in pending
    builds.update_context(marked.id, lambda current: {"retentionPending": False})
    assert marked.id not in {context.id for context in builds.contexts_pending_retention(1000)}
    assert len(builds.contexts_pending_retention(1)) <= 1
