"""A build's insights: against the same build type in the project's previous context."""

from apkdrop.builds import service
from apkdrop.builds.models import Build
from apkdrop.dependencies import Dependencies
from tests.unit.test_build_pairing import OTHER_SIGNER, apk, instrumented, new_context, settle
from tests.unit.test_build_service import new_account, registration


def build(deps: Dependencies, account, build_id: int) -> Build:
    return service.get_build(deps, account, "demo", build_id)


def test_a_build_compares_with_the_same_type_in_the_previous_context(deps) -> None:
    account = new_account(deps)
    first, (plain_1, instr_1) = new_context(deps, account, "APK", "INSTRUMENTED_APK")
    settle(deps, plain_1, apk(version_code=20))
    settle(deps, instr_1, instrumented(version_code=20))
    second, (plain_2, instr_2) = new_context(deps, account, "APK", "INSTRUMENTED_APK")

    settle(deps, plain_2, apk(version_code=21, permissions=["android.permission.CAMERA"]))
    settle(deps, instr_2, instrumented(version_code=21))

    assert build(deps, account, plain_1).insights is None  # nothing before it
    insights = build(deps, account, plain_2).insights
    assert insights is not None
    assert insights.comparedTo.model_dump() == {"contextId": first, "buildId": plain_1}
    assert [p.name for p in insights.permissions.added] == ["android.permission.CAMERA"]
    assert insights.versionCode.increased is True and insights.warnings == []
    instrumented_insights = build(deps, account, instr_2).insights
    assert instrumented_insights is not None
    assert instrumented_insights.comparedTo.model_dump() == {
        "contextId": first,
        "buildId": instr_1,
    }
    size = instrumented_insights.size
    assert size is not None and size.native.compressed.delta == 0  # like with like
    # The context answer carries each build's insights too.
    context = service.get_context(deps, account, "demo", second)
    assert [b.insights for b in context.builds] == [insights, instrumented_insights]


def test_contexts_without_a_finished_build_of_the_type_are_skipped(deps) -> None:
    account = new_account(deps)
    first, (plain_1,) = new_context(deps, account, "APK")
    settle(deps, plain_1, apk(version_code=20))
    _, (failed,) = new_context(deps, account, "APK")
    settle(deps, failed, b"not an apk")
    _, (instrumented_only,) = new_context(deps, account, "INSTRUMENTED_APK")
    settle(deps, instrumented_only, instrumented(version_code=21))
    _, (plain_4,) = new_context(deps, account, "APK")

    settle(deps, plain_4, apk(version_code=20, signer=OTHER_SIGNER))

    insights = build(deps, account, plain_4).insights
    assert insights is not None
    assert insights.comparedTo.model_dump() == {"contextId": first, "buildId": plain_1}
    assert insights.signer.changed is True
    assert len(insights.warnings) == 2  # the signer, and a versionCode that did not increase
    assert build(deps, account, instrumented_only).insights is None  # no earlier one of its type


def test_another_project_is_not_compared_with(deps) -> None:
    account = new_account(deps)
    _, (plain_1,) = new_context(deps, account, "APK")
    settle(deps, plain_1, apk())
    other = service.create_context(deps, account, "other-project")
    registered = service.register_build(
        deps, account, "other-project", registration(other.id, buildType="APK")
    )
    settle(deps, registered.build.id, apk())
    assert service.get_build(deps, account, "other-project", registered.build.id).insights is None
