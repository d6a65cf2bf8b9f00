"""A context's pairing of its APK with its INSTRUMENTED_APK, recorded when the second finishes."""

import pytest

from apkdrop.accounts import Account
from apkdrop.apk.components import COMPONENTS
from apkdrop.builds import pairing, service, settlement
from apkdrop.builds.models import Pairing, UploadState
from apkdrop.dependencies import Dependencies
from apkdrop.errors import BackendUnavailable
from tests.fakes import fake_dependencies
from tests.fixtures.apk_builder import build_apk, generated_signer
from tests.unit.test_build_service import finalized, new_account, registration, store, upload

SIGNER = generated_signer("Release")
OTHER_SIGNER = generated_signer("Someone Else")
APP = {"package": "com.example.app", "version_name": "2.0", "version_code": 20}


def apk(**changes: object) -> bytes:
    return build_apk(**{**APP, "signer": SIGNER, **changes})


# The instrumented build: the same app with an instrumentation agent's code and native library.
INSTRUMENTED_FILES = {"classes2.dex": b"dex\n" + bytes(300), "assets/agent.cfg": b"{}" * 20}


def instrumented(**changes: object) -> bytes:
    return apk(files=INSTRUMENTED_FILES, native_abis=["arm64-v8a"], **changes)


def new_context(deps: Dependencies, account: Account, *build_types: str) -> tuple[int, list[int]]:
    context = service.create_context(deps, account, "demo")
    ids = [
        service.register_build(
            deps, account, "demo", registration(context.id, buildType=build_type)
        ).build.id
        for build_type in build_types
    ]
    return context.id, ids


def settle(deps: Dependencies, build_id: int, data: bytes) -> None:
    settlement.handle_finalized(deps, finalized(upload(deps, build_id, data)))


def paired(deps: Dependencies, account: Account, context_id: int) -> Pairing | None:
    return service.get_context(deps, account, "demo", context_id).pairing


def test_the_second_build_to_finish_records_the_pairing(deps: Dependencies) -> None:
    account = new_account(deps)
    context_id, (plain, instr) = new_context(deps, account, "APK", "INSTRUMENTED_APK")

    settle(deps, instr, instrumented())
    assert paired(deps, account, context_id) is None
    settle(deps, plain, apk())

    result = paired(deps, account, context_id)
    assert result is not None
    assert (result.apkBuildId, result.instrumentedBuildId) == (plain, instr)
    assert (result.samePackageName, result.sameVersion, result.sameSigner) == (True, True, True)
    assert result.warnings == []
    size = result.size
    assert size is not None
    assert size.dex.uncompressed.delta == len(INSTRUMENTED_FILES["classes2.dex"])
    assert size.assets.uncompressed.delta == len(INSTRUMENTED_FILES["assets/agent.cfg"])
    assert size.native.compressed.before == 0
    assert size.abis["arm64-v8a"].compressed == size.native.compressed
    assert size.resources.compressed.delta == 0
    parts = sum(getattr(size, name).uncompressed.delta for name in COMPONENTS)
    assert parts == size.total.uncompressed.delta


MISMATCHES = [
    pytest.param(
        {"package": "com.example.other"},
        "samePackageName",
        "package names differ: APK com.example.app, INSTRUMENTED_APK com.example.other",
        id="package",
    ),
    pytest.param(
        {"version_code": 21},
        "sameVersion",
        "versions differ: APK 2.0 (20), INSTRUMENTED_APK 2.0 (21)",
        id="versionCode",
    ),
    pytest.param(
        {"version_name": "2.0-perf"},
        "sameVersion",
        "versions differ: APK 2.0 (20), INSTRUMENTED_APK 2.0-perf (20)",
        id="versionName",
    ),
    pytest.param(
        {"signer": OTHER_SIGNER},
        "sameSigner",
        f"signers differ: APK {SIGNER.sha256}, INSTRUMENTED_APK {OTHER_SIGNER.sha256}",
        id="signer",
    ),
    pytest.param(
        {"signer": None},
        "sameSigner",
        f"signers differ: APK {SIGNER.sha256}, INSTRUMENTED_APK unsigned",
        id="unsigned",
    ),
]


@pytest.mark.parametrize(("changes", "flag", "warning"), MISMATCHES)
def test_each_mismatch_is_a_warning_not_a_failure(
    deps: Dependencies, changes: dict, flag: str, warning: str
) -> None:
    account = new_account(deps)
    context_id, (plain, instr) = new_context(deps, account, "APK", "INSTRUMENTED_APK")

    settle(deps, plain, apk())
    settle(deps, instr, instrumented(**changes))

    result = paired(deps, account, context_id)
    assert result is not None
    assert result.warnings == [warning]
    flags = {"samePackageName", "sameVersion", "sameSigner"}
    assert {name: getattr(result, name) for name in flags} == {name: name != flag for name in flags}
    states = {store(deps).builds[build_id]["uploadState"] for build_id in (plain, instr)}
    assert states == {UploadState.FINISHED}


def test_two_unsigned_builds_are_not_the_same_signer(deps: Dependencies) -> None:
    account = new_account(deps)
    context_id, (plain, instr) = new_context(deps, account, "APK", "INSTRUMENTED_APK")
    settle(deps, plain, apk(signer=None))
    settle(deps, instr, instrumented(signer=None))

    result = paired(deps, account, context_id)
    assert result is not None
    assert (result.sameSigner, result.warnings) == (False, ["neither build is signed"])


def test_a_failed_build_is_not_paired(deps: Dependencies) -> None:
    account = new_account(deps)
    context_id, (plain, instr) = new_context(deps, account, "APK", "INSTRUMENTED_APK")
    settle(deps, plain, apk())
    settle(deps, instr, b"not an apk" * 50)

    assert deps.builds.get_build(instr).uploadState is UploadState.FAILED
    assert paired(deps, account, context_id) is None


def test_two_builds_of_one_type_are_not_a_pair(deps: Dependencies) -> None:
    account = new_account(deps)
    context_id, builds = new_context(deps, account, "APK", "APK")
    for build_id in builds:
        settle(deps, build_id, apk())

    assert paired(deps, account, context_id) is None


def test_a_retried_event_records_a_pairing_whose_write_failed(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = new_account(deps)
    context_id, (plain, instr) = new_context(deps, account, "APK", "INSTRUMENTED_APK")
    settle(deps, plain, apk())
    event = finalized(upload(deps, instr, instrumented()))

    def unavailable(*args: object) -> None:
        raise BackendUnavailable("Firestore is unavailable, retry later")

    with monkeypatch.context() as patched:
        patched.setattr(store(deps), "update_context", unavailable)
        with pytest.raises(BackendUnavailable):  # the event is retried
            settlement.handle_finalized(deps, event)
    assert deps.builds.get_build(instr).uploadState is UploadState.FINISHED
    assert paired(deps, account, context_id) is None

    settlement.handle_finalized(deps, event)

    result = paired(deps, account, context_id)
    assert result is not None and result.instrumentedBuildId == instr


def test_either_order_of_finishing_records_the_same_pairing() -> None:
    results = []
    for order in ((0, 1), (1, 0)):
        deps = fake_dependencies()
        account = new_account(deps)
        context_id, ids = new_context(deps, account, "APK", "INSTRUMENTED_APK")
        files = [apk(), instrumented(version_code=21)]
        for index in order:
            settle(deps, ids[index], files[index])
        results.append(paired(deps, account, context_id))

    assert results[0] is not None
    assert results[0] == results[1]


def test_a_stale_reading_never_replaces_a_newer_pairing(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = new_account(deps)
    context_id, (first, instr, second) = new_context(
        deps, account, "APK", "INSTRUMENTED_APK", "APK"
    )
    settle(deps, first, apk(version_code=19))
    settle(deps, instr, instrumented())
    settle(deps, second, apk())
    newest = paired(deps, account, context_id)
    assert newest is not None
    assert (newest.apkBuildId, newest.warnings) == (second, [])

    # A settlement that read the builds before `second` finished writes after it.
    stale = [b for b in deps.builds.builds_of_context(context_id) if b.id != second]
    monkeypatch.setattr(store(deps), "builds_of_context", lambda context: stale)
    pairing.record_pairing(deps, stale[-1])

    assert paired(deps, account, context_id) == newest


def test_builds_stored_before_sizes_were_kept_pair_without_sizes(deps: Dependencies) -> None:
    account = new_account(deps)
    context_id, (plain, instr) = new_context(deps, account, "APK", "INSTRUMENTED_APK")
    settle(deps, plain, apk())
    store(deps).builds[plain].pop("componentSizes")
    settle(deps, instr, instrumented())

    result = paired(deps, account, context_id)
    assert result is not None
    assert (result.size, result.warnings) == (None, [])
