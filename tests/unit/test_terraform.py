"""The Terraform deployment agrees with the code, read with python-hcl2 (no provider, no cloud).

The google provider cannot be downloaded here, so `terraform validate` cannot run; these tests
check what can be checked from the text: every function, route and setting is wired, no
primitive role is granted, and the configuration follows its own conventions.
"""

import ast
import re
from pathlib import Path

import pytest

from apkdrop.settings import FUNCTION_SETTINGS, CoreSettings, SettingsGroup
from tests.terraform_hcl import (
    FUNCTIONS,
    ROUTES,
    TERRAFORM,
    blocks,
    deployed_functions,
    dynamic,
    local,
    nested,
    parsed,
    resource,
    tf_files,
)

# Settings only the local stack and the tests set. A deployment never sets them; the ones that
# would weaken production (unauthenticated tasks, loopback fetches) must never be set there.
LOCAL_ONLY_SETTINGS = {
    "CLOUD_TASKS_EMULATOR_HOST",
    "DEV_ALLOW_UNAUTHENTICATED_TASKS",
    "FIRESTORE_EMULATOR_HOST",
    "SIGNING_CREDENTIALS_FILE",
    "STORAGE_EMULATOR_HOST",
    "URL_FETCH_LOOPBACK_PORT",
    "WEBHOOK_DEV_RECEIVER_URL",
}
SETTINGS = {
    name.upper(): field
    for settings in FUNCTION_SETTINGS.values()
    for name, field in settings.model_fields.items()
}
PRIMITIVE_ROLE = re.compile(r"roles/(owner|editor|viewer)\b")
SERVICE_ACCOUNT_PREFIX = "apkdrop-"
FRAMEWORK_DECORATORS = {"http", "cloud_event"}


def main_entry_points() -> set[str]:
    """Functions in functions/main.py decorated with @functions_framework.http/cloud_event."""
    tree = ast.parse((FUNCTIONS / "main.py").read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(
            isinstance(decorator, ast.Attribute)
            and isinstance(decorator.value, ast.Name)
            and decorator.value.id == "functions_framework"
            and decorator.attr in FRAMEWORK_DECORATORS
            for decorator in node.decorator_list
        )
    }


def function_resource() -> dict:
    return resource("google_cloudfunctions2_function", "function")


def per_function_env_names() -> set[str]:
    """Variables a signing function gets beside its local.function_env (its own account)."""
    expression = nested(function_resource(), "service_config")["environment_variables"]
    assert "local.function_env[each.key]" in expression, "a function's env is its function_env"
    assert 'contains(each.value.settings, "signing") ?' in expression, "only for signing ones"
    return set(re.findall(r"\b([A-Z][A-Z0-9_]*)\s*=", expression))


def secret_env_names() -> set[str]:
    return {
        variable for function in deployed_functions().values() for variable in function["secrets"]
    }


def settings_env_names() -> set[str]:
    return {variable for group in local("settings_env").values() for variable in group}


def environment_names() -> set[str]:
    """Every variable a deployed function is given, plain or from Secret Manager."""
    return settings_env_names() | per_function_env_names() | secret_env_names()


def function_env_names(name: str) -> set[str]:
    """The variables Terraform gives one function: those of its settings groups, its own
    signing account if it signs, and its secrets."""
    assert re.fullmatch(
        r"\$\{\{for name, needs in local\.function_needs : name => merge\("
        r"\[for group in needs\.settings : local\.settings_env\[group\]\] ?\.\.\.\)\}\}",
        local("function_env"),
    ), f"function_env must merge each function's settings groups: {local('function_env')}"
    needs = local("function_needs")[name]
    plain = {variable for group in needs["settings"] for variable in local("settings_env")[group]}
    own = per_function_env_names() if "signing" in needs["settings"] else set()
    return plain | own | set(needs["secrets"])


def group_name(group: type[SettingsGroup]) -> str:
    """A group's name in Terraform: SignedUploadSettings is signed_upload."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", group.__name__.removesuffix("Settings")).lower()


def groups_of(settings: type[CoreSettings]) -> list[type[SettingsGroup]]:
    return [cls for cls in settings.__mro__ if SettingsGroup in cls.__bases__]


def production_variables(settings: type[SettingsGroup]) -> set[str]:
    return {name.upper() for name in settings.model_fields} - LOCAL_ONLY_SETTINGS


# -- functions and routes ----------------------------------------------------------------------


def test_every_entry_point_in_main_is_a_function_of_the_routes_table():
    entry_points = {spec["entryPoint"] for spec in ROUTES["functions"].values()}
    assert main_entry_points(), "no entry point found in functions/main.py"
    assert main_entry_points() - entry_points == set(), "entry points routes.json does not deploy"
    assert entry_points - main_entry_points() == set(), "routes.json names missing entry points"


def test_the_routes_table_is_read_from_routes_json():
    expression = local("routes_table")
    match = re.fullmatch(r'\$\{jsondecode\(file\("\$\{path\.module\}/([^"]+)"\)\)\}', expression)
    assert match, f"routes_table must be jsondecode(file(...routes.json)): {expression}"
    assert (TERRAFORM / match.group(1)).resolve() == (FUNCTIONS / "routes.json").resolve()


def test_every_function_of_the_routes_table_has_its_function_resource():
    assert set(ROUTES["functions"]) - set(local("function_needs")) == set(), (
        "add an entry to function_needs in terraform/locals.tf for each new function"
    )
    assert "local.routes_table.functions" in local("functions")
    function = function_resource()
    assert function["for_each"] == "${local.functions}"
    assert function["name"] == "${each.key}"
    assert nested(function, "build_config")["entry_point"] == "${each.value.entryPoint}"


def test_every_invoker_kind_has_a_member_and_an_ingress():
    kinds = {spec["invokers"] for spec in ROUTES["functions"].values()}
    assert kinds <= set(local("invoker_members"))
    assert kinds <= set(local("ingress_settings"))
    assert resource("google_cloud_run_v2_service_iam_member", "invoker")["member"] == (
        "${local.invoker_members[each.value.invokers]}"
    )


def test_event_functions_get_a_retried_trigger_of_their_event_type():
    trigger = dynamic(function_resource(), "event_trigger")
    assert '"eventarc"' in trigger["for_each"] and "each.value.eventType" in trigger["for_each"]
    content = nested(trigger, "content")
    assert content["retry_policy"] == "RETRY_POLICY_RETRY"
    assert content["service_account_email"] == "${google_service_account.eventarc.email}"
    for name, spec in ROUTES["functions"].items():
        assert (spec["invokers"] == "eventarc") == ("eventType" in spec), name


def test_every_route_is_served_by_the_url_map_from_the_routes_table():
    needs = local("function_needs")
    for route in ROUTES["routes"]:
        assert route["function"] in needs, route
        assert ROUTES["functions"][route["function"]]["invokers"] == "public", route
    assert "local.routes_table.routes" in local("lb_paths")
    assert local("lb_default_function") == "${local.routes_table.routes[0].function}"
    url_map = resource("google_compute_url_map", "lb")
    path_rule = dynamic(nested(url_map, "path_matcher"), "path_rule")
    assert path_rule["for_each"] == "${local.lb_paths}"
    assert "path_rule.key" in nested(path_rule, "content")["service"]


def test_function_names_fit_in_service_account_ids():
    for name in local("function_needs"):
        account_id = SERVICE_ACCOUNT_PREFIX + name
        assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account_id), account_id


# Workers told their queue's max_attempts, to record its last attempt's failure for good.
QUEUE_ATTEMPTS = {
    "webhooks": "webhook_max_attempts",
    "bundle-conversions": "conversion_max_attempts",
    "hashes": "hash_max_attempts",
}


@pytest.mark.parametrize(("queue", "setting"), sorted(QUEUE_ATTEMPTS.items()))
def test_a_worker_knows_its_queues_max_attempts_from_the_same_variable(queue: str, setting: str):
    """Both from one variable, so they cannot drift, and its validation is the setting's range."""
    variable = re.fullmatch(r"\$\{var\.([a-z_]+)\}", local("queues")[queue])
    assert variable, local("queues")[queue]
    name = variable.group(1)
    env = {key: value for group in local("settings_env").values() for key, value in group.items()}
    assert env[setting.upper()] == f"${{tostring(var.{name}.max_attempts)}}"
    (retry,) = resource("google_cloud_tasks_queue", "queue")["retry_config"]
    assert retry["max_attempts"] == "${each.value.max_attempts}"
    (declared,) = [block[name] for _, block in blocks("variable") if name in block]
    conditions = " ".join(check["condition"] for check in declared["validation"])
    bounds = {type(rule).__name__: rule for rule in SETTINGS[setting.upper()].metadata}
    low = bounds["Ge"].ge if "Ge" in bounds else 1  # PositiveInt
    attempts = f"var.{name}.max_attempts"
    assert f"{attempts} >= {low} && {attempts} <= {bounds['Le'].le}" in conditions


@pytest.mark.parametrize("queue", sorted(local("queues")))
def test_no_queue_may_retry_a_task_forever(queue: str):
    """Cloud Tasks reads max_attempts -1 as unlimited: a task its handler refuses (a 400 for a
    malformed body, a 503 that never clears) would then be dispatched for ever."""
    variable = re.fullmatch(r"\$\{var\.([a-z_]+)\}", local("queues")[queue])
    assert variable, local("queues")[queue]
    name = variable.group(1)
    (declared,) = [block[name] for _, block in blocks("variable") if name in block]
    conditions = " ".join(check["condition"] for check in declared.get("validation", []))
    assert re.search(
        rf"var\.{name}\.max_attempts >= [1-9]\d* && var\.{name}\.max_attempts <= \d+", conditions
    ), conditions


def test_queues_and_secrets_that_functions_name_exist():
    queues, secrets = set(local("queues")), set(local("secrets"))
    for name, needs in local("function_needs").items():
        assert set(needs["enqueues"]) <= queues, name
        assert set(needs["secrets"].values()) <= secrets, name


# -- settings and environment ------------------------------------------------------------------


def test_every_setting_is_set_and_nothing_else():
    expected = set(SETTINGS) - LOCAL_ONLY_SETTINGS
    assert expected - environment_names() == set(), (
        "settings Terraform does not set: add them to function_env (terraform/locals.tf), or "
        "as a secret, or to LOCAL_ONLY_SETTINGS here if production must never set them"
    )
    assert environment_names() - expected == set(), "variables set that Settings does not read"


def test_local_only_settings_exist_and_are_never_set():
    assert set(SETTINGS) >= LOCAL_ONLY_SETTINGS, "LOCAL_ONLY_SETTINGS names unknown settings"
    assert environment_names() & LOCAL_ONLY_SETTINGS == set()


def test_every_function_gets_every_required_setting():
    """Each function builds its settings class at cold start, so it needs each required field."""
    for name, settings in FUNCTION_SETTINGS.items():
        required = {
            field.upper() for field, info in settings.model_fields.items() if info.is_required()
        }
        assert required - function_env_names(name) == set(), name


@pytest.mark.parametrize("name", sorted(FUNCTION_SETTINGS))
def test_each_function_is_given_exactly_the_settings_of_its_class(name: str):
    """A variable it does not read is one it need not have (build-finalized signs nothing); one
    it reads but is not given fails its cold start."""
    given, read = function_env_names(name), production_variables(FUNCTION_SETTINGS[name])
    assert read - given == set(), f"{name} reads these, but Terraform does not set them"
    assert given - read == set(), f"Terraform sets these, but {name}'s settings do not read them"


@pytest.mark.parametrize("name", sorted(FUNCTION_SETTINGS))
def test_function_needs_names_the_groups_of_each_functions_settings(name: str):
    groups = [group_name(group) for group in groups_of(FUNCTION_SETTINGS[name])]
    assert local("function_needs")[name]["settings"] == groups


def test_each_settings_group_sets_its_own_variables():
    """A variable in settings_env sits under the group that reads it."""
    groups = {
        group_name(group): group
        for settings in FUNCTION_SETTINGS.values()
        for group in groups_of(settings)
    }
    assert set(local("settings_env")) == set(groups)
    for name, variables in local("settings_env").items():
        assert set(variables) <= production_variables(groups[name]), name


def test_the_settings_classes_are_the_functions_of_the_routes_table():
    assert set(FUNCTION_SETTINGS) == set(ROUTES["functions"])
    assert set(local("function_needs")) == set(FUNCTION_SETTINGS)


def test_secrets_come_from_secret_manager_only():
    assert secret_env_names() & settings_env_names() == set()
    block = dynamic(nested(function_resource(), "service_config"), "secret_environment_variables")
    assert block["for_each"] == "${each.value.secrets}"
    for name in secret_env_names() & set(SETTINGS):
        assert "SecretStr" in str(SETTINGS[name].annotation), f"{name} should be a SecretStr"


def test_the_load_balancer_decides_the_public_base_url():
    assert local("settings_env")["public_link"]["PUBLIC_BASE_URL"] == "${local.public_base_url}"
    expression = local("public_base_url")
    assert "local.load_balancer_url" in expression
    assert 'local.function_urls["install-pages"]' in expression


def test_each_function_signs_as_itself():
    service = nested(function_resource(), "service_config")
    own_account = "google_service_account.function[each.key].email"
    assert re.search(
        rf"SIGNING_SERVICE_ACCOUNT_EMAIL = {re.escape(own_account)}",
        service["environment_variables"],
    )
    assert service["service_account_email"] == f"${{{own_account}}}"
    signer = resource("google_service_account_iam_member", "url_signer")
    assert signer["role"] == "roles/iam.serviceAccountTokenCreator"
    assert signer["service_account_id"] == "${google_service_account.function[each.key].name}"


def test_collections_with_expiring_documents_have_a_ttl_policy():
    """Adapter classes that write an `expireAt` field name the collections TTL policies cover."""
    expiring = set()
    for adapter in (FUNCTIONS / "apkdrop" / "adapters").glob("*.py"):
        source = adapter.read_text()
        for node in ast.parse(source).body:
            code = ast.get_source_segment(source, node) or ""
            if isinstance(node, ast.ClassDef) and '"expireAt"' in code:
                # Where the documents live: not a parent of their subcollection.
                parent = r"(?!\.document\(\w+\)\.collection)"
                expiring |= set(re.findall(rf'collection\("([A-Za-z]+)"\){parent}', code))
    assert expiring, "no adapter writes expireAt any more: update this test"
    assert set(local("ttl_collections")) == expiring
    field = resource("google_firestore_field", "expire_at")
    assert field["field"] == "expireAt" and "ttl_config" in field


# -- IAM and conventions -----------------------------------------------------------------------


@pytest.mark.parametrize("path", tf_files(), ids=lambda path: path.name)
def test_no_primitive_role_is_granted(path: Path):
    assert PRIMITIVE_ROLE.findall(path.read_text()) == []


def test_checkov_skips_are_justified_in_place():
    for path in tf_files():
        for skip in re.findall(r"checkov:skip=(.*)", path.read_text()):
            assert re.fullmatch(r"CKV2?_[A-Z]+_\d+:\S.{15,}", skip), f"{path.name}: {skip}"


@pytest.mark.parametrize(
    ("kind", "file_name"), [("variable", "variables.tf"), ("output", "outputs.tf")]
)
def test_variables_and_outputs_are_described_and_sorted(kind: str, file_name: str):
    found = blocks(kind)
    assert {path.name for path, _ in found} == {file_name}, f"{kind} blocks belong in {file_name}"
    names = [name for _, block in found for name in block]
    assert names == sorted(names), f"{file_name} is not in alphabetical order"
    for _, block in found:
        for name, body in block.items():
            assert body.get("description"), f"{kind} {name} has no description"
            if kind == "variable":
                assert body.get("type"), f"variable {name} has no type"


def test_versions_pin_terraform_and_the_providers():
    (settings,) = parsed(TERRAFORM / "versions.tf")["terraform"]
    assert re.fullmatch(r">= ?[\d.]+, ?< ?[\d.]+", settings["required_version"])
    providers = settings["required_providers"]
    providers = providers[0] if isinstance(providers, list) else providers
    assert providers["google"]["source"] == "hashicorp/google"
    for name, provider in providers.items():
        assert re.fullmatch(r">= ?[\d.]+, ?< ?[\d.]+", provider["version"]), name


def test_grants_on_a_function_are_remade_when_the_function_is_replaced():
    """A replaced function is a new Cloud Run service without the old one's IAM: a grant that is
    not replaced with it leaves callers with 403 until a second apply."""
    grants_on_functions = [
        (kind, name, body)
        for _, block in blocks("resource")
        for kind, named in block.items()
        if kind.endswith(("_iam_member", "_iam_binding"))
        for name, body in named.items()
        if "google_cloudfunctions2_function.function" in str(body.get("name", ""))
    ]
    assert grants_on_functions, "no IAM grant on the functions found"
    for kind, name, body in grants_on_functions:
        lifecycle = nested(body, "lifecycle") if "lifecycle" in body else {}
        triggers = " ".join(lifecycle.get("replace_triggered_by", []))
        assert "google_cloudfunctions2_function.function[each.key]" in triggers, (
            f"{kind}.{name} needs lifecycle.replace_triggered_by on its function"
        )
