"""cloudbuild.yaml lints, runs the README's test command, packages, plans, and applies on main."""

import re

import yaml

from tests.paths import ROOT

BUILD = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
STEPS = {step["id"]: step for step in BUILD["steps"]}


def script(step_id: str) -> str:
    step = STEPS[step_id]
    return " ".join([step.get("entrypoint", ""), *step.get("args", [])])


def readme_test_command() -> str:
    """The command the README's quick start gives for running the whole suite."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^(make test)\b.*#", readme, re.MULTILINE)
    assert match, "README.md no longer shows its test command"
    return match.group(1)


def waits_for(step_id: str) -> set[str]:
    """Every step that must finish before this one (Cloud Build's waitFor, transitively)."""
    order = [step["id"] for step in BUILD["steps"]]
    direct = STEPS[step_id].get("waitFor")
    if direct is None:  # no waitFor: after every earlier step
        direct = order[: order.index(step_id)]
    found = {before for before in direct if before != "-"}
    for before in list(found):
        found |= waits_for(before)
    return found


def test_the_pipeline_has_its_steps():
    assert {"lint", "test", "package", "plan", "apply"} <= set(STEPS)
    assert len(STEPS) == len(BUILD["steps"]), "step ids must be unique"


def test_the_test_step_runs_the_readme_test_command():
    assert readme_test_command() in script("test")


def test_apply_comes_after_every_check_and_the_plan():
    assert {"lint", "test", "package", "plan"} <= waits_for("apply")


def test_apply_applies_the_saved_plan_on_main_only():
    assert "-out=tfplan" in script("plan")
    apply = script("apply")
    assert re.search(r'if \[ "\$\{BRANCH_NAME\}" != "main" \]; then.*exit 0', apply, re.DOTALL)
    assert re.search(r"terraform apply .*tfplan", apply)
    assert "terraform apply" not in script("plan")


def test_project_region_and_state_bucket_are_substitutions():
    substitutions = BUILD["substitutions"]
    assert {"_PROJECT_ID", "_REGION", "_STATE_BUCKET"} <= set(substitutions)
    plan = STEPS["plan"]
    assert "TF_VAR_project_id=${_PROJECT_ID}" in plan["env"]
    assert "TF_VAR_region=${_REGION}" in plan["env"]
    assert "bucket=${_STATE_BUCKET}" in script("plan")
