"""Each function is granted, by Terraform, the IAM permissions its code needs, and no role it
does not use.

The emulators enforce no IAM: a grant that is too narrow (build-finalized once had only
objectViewer, but marks failed uploads with blob.patch) passes every other test and fails in
production. Here each entry point of functions/main.py is followed to the adapter methods it
can reach (tests/call_graph.py), their needs are read from the adapters' permission table, and
compared with the permissions of the roles terraform/ grants that function.
"""

import ast
import dataclasses
from functools import cache

import pytest

from apkdrop.adapters.permissions import PERMISSIONS, Need, On
from apkdrop.dependencies import Dependencies
from apkdrop.wiring import FUNCTION_ADAPTERS
from tests.call_graph import AdapterCall, Reach, Source
from tests.iam_roles import PREDEFINED_ROLES
from tests.terraform_hcl import FUNCTIONS, ROUTES, deployed_functions, local, resource

# The Dependencies fields that hold a TaskQueue, and the key of local.queues each one is for.
QUEUE_OF_FIELD = {
    "expiry_queue": "upload-expiry",
    "email_queue": "emails",
    "hash_queue": "hashes",
    "webhook_queue": "webhooks",
    "conversion_queue": "bundle-conversions",
}
CUSTOM_ROLE = "google_project_iam_custom_role"


@cache
def source() -> Source:
    return Source(FUNCTIONS)


@cache
def adapter_of_field() -> dict[str, str]:
    """Dependencies field -> the adapter class its factory in `wiring.ADAPTERS` builds."""
    wiring = source().modules["apkdrop.wiring"]
    table = wiring.definitions["ADAPTERS"]
    assert isinstance(table, ast.Dict)
    classes = {}
    for key, factory in zip(table.keys, table.values, strict=True):
        assert isinstance(key, ast.Constant) and isinstance(factory, ast.Name)
        classes[key.value] = built_class(wiring.definitions, factory.id)
    return {field: cls for field, cls in classes.items() if cls is not None}


def built_class(definitions: dict[str, ast.AST], factory: str) -> str | None:
    """The adapter class a factory returns, through the wiring's own helpers."""
    returned = [
        node.value.func
        for node in ast.walk(definitions[factory])
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Call)
    ]
    for function in returned:
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name in adapter_classes():
            return name
        if name in definitions:
            return built_class(definitions, name)
    return None


@cache
def adapter_classes() -> dict[str, list[str]]:
    """Adapter class -> its public methods, for every class under apkdrop/adapters."""
    found = {}
    for name, module in source().modules.items():
        if not name.startswith("apkdrop.adapters."):
            continue
        for node in module.tree.body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = [
                    item.name
                    for item in node.body
                    if isinstance(item, ast.FunctionDef)
                    and not item.name.startswith("_")
                    and not any(
                        isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
                    )
                ]
    return found


def reached(entry_point: str) -> set[tuple[str, str]]:
    """(field, method) pairs the entry point can call."""
    fields = adapter_of_field()
    calls: set[AdapterCall] = Reach(source(), set(fields)).from_entry_point("main", entry_point)
    pairs = set()
    for call in calls:
        methods = adapter_classes()[fields[call.field]]
        pairs |= {(call.field, m) for m in ([call.method] if call.method else methods)}
    return {(f, m) for f, m in pairs if m in adapter_classes()[fields[f]]}


def needs(entry_point: str) -> set[tuple[str, str]]:
    """(resource, permission) pairs; a queue is named `queue:<key of local.queues>`."""
    needed = set()
    for field, method in reached(entry_point):
        for on, permission in PERMISSIONS[f"{adapter_of_field()[field]}.{method}"]:
            where = f"queue:{QUEUE_OF_FIELD[field]}" if on is On.QUEUE else on.name
            needed.add((where, permission))
    return needed


@cache
def custom_roles() -> dict[str, frozenset[str]]:
    return {
        key: frozenset(role["permissions"]) for key, role in local("custom_bucket_roles").items()
    }


def role_permissions(role: str) -> frozenset[str]:
    if role in PREDEFINED_ROLES:
        return PREDEFINED_ROLES[role]
    assert role in custom_roles(), f"{role}: neither a known predefined role nor a custom role"
    return custom_roles()[role]


def grants(function: dict) -> dict[str, dict[str, frozenset[str]]]:
    """resource -> role -> permissions, as terraform/iam.tf grants them from function_needs."""
    granted: dict[str, dict[str, frozenset[str]]] = {On.BUCKET.name: {}}
    for role in function["bucket_roles"]:
        granted[On.BUCKET.name][role] = role_permissions(role)
    if function["firestore"]:
        role = resource("google_project_iam_member", "firestore")["role"]
        granted[On.PROJECT.name] = {role: PREDEFINED_ROLES[role]}
    for queue in function["enqueues"]:
        role = resource("google_cloud_tasks_queue_iam_member", "enqueuer")["role"]
        granted[f"queue:{queue}"] = {role: PREDEFINED_ROLES[role]}
    if function["enqueues"]:
        role = resource("google_service_account_iam_member", "tasks_invoker_user")["role"]
        granted[On.TASKS_INVOKER.name] = {role: PREDEFINED_ROLES[role]}
    if "signing" in function["settings"]:  # it signs V4 URLs as itself
        role = resource("google_service_account_iam_member", "url_signer")["role"]
        granted[On.OWN_ACCOUNT.name] = {role: PREDEFINED_ROLES[role]}
    return granted


def missing(entry_point: str, function: dict) -> set[tuple[str, str]]:
    granted = grants(function)
    return {
        (where, permission)
        for where, permission in needs(entry_point)
        if not any(permission in perms for perms in granted.get(where, {}).values())
    }


def unused_grants(entry_point: str, function: dict) -> set[tuple[str, str]]:
    """(resource, role) granted although the code needs none of the role's permissions."""
    needed = needs(entry_point)
    return {
        (where, role)
        for where, roles in grants(function).items()
        for role, perms in roles.items()
        if not any((where, permission) in needed for permission in perms)
    }


FUNCTIONS_BY_NAME = sorted(ROUTES["functions"])


@pytest.mark.parametrize("name", FUNCTIONS_BY_NAME)
def test_each_function_is_granted_every_permission_its_code_needs(name: str):
    function = deployed_functions()[name]
    assert missing(function["entryPoint"], function) == set(), (
        f"{name} lacks these permissions in production; grant them in terraform/locals.tf "
        "(function_needs) or name the right ones in functions/apkdrop/adapters/permissions.py"
    )


@pytest.mark.parametrize("name", FUNCTIONS_BY_NAME)
def test_no_function_holds_a_role_it_does_not_use(name: str):
    function = deployed_functions()[name]
    assert unused_grants(function["entryPoint"], function) == set()


def test_the_check_fails_on_a_grant_that_is_too_narrow():
    """build-finalized patches failed uploads' customTime and deletes deleted builds' late
    files: objectViewer can do neither."""
    function = {**deployed_functions()["build-finalized"]}
    function["bucket_roles"] = ["roles/storage.objectViewer"]
    assert missing(function["entryPoint"], function) == {
        (On.BUCKET.name, "storage.objects.update"),
        (On.BUCKET.name, "storage.objects.delete"),
    }


def test_the_call_graph_sees_each_function_s_own_calls():
    assert ("bucket", "mark_failed") in reached("build_finalized")
    assert ("bucket", "signed_put_url") in reached("build_api")
    assert ("expiry_queue", "schedule") in reached("build_api")
    assert ("email_queue", "schedule") in reached("install_pages")
    assert ("bucket", "sha256_of") in reached("application_api")
    assert ("bucket", "delete_object") in reached("build_api")
    assert ("audit", "append") in reached("build_api")
    assert ("bucket", "delete_object") in reached("expire_build_upload")
    # What a function never calls stays out, so grants can stay narrow.
    assert ("bucket", "signed_put_url") not in reached("build_finalized")
    assert ("bucket", "delete_object") not in reached("install_pages")


def test_the_permission_table_covers_every_adapter_method_and_nothing_else():
    wired = set(adapter_of_field().values())
    assert {"UploadBucket", "TaskQueue", "BuildStore"} <= wired
    methods = {f"{cls}.{m}" for cls in wired for m in adapter_classes()[cls]}
    assert methods - set(PERMISSIONS) == set(), "name the IAM permissions these methods need"
    assert set(PERMISSIONS) - methods == set(), "stale entries in the permission table"


def test_every_queue_field_names_a_terraform_queue():
    assert set(QUEUE_OF_FIELD) == {f for f, cls in adapter_of_field().items() if cls == "TaskQueue"}
    assert set(QUEUE_OF_FIELD.values()) == set(local("queues"))


def test_permissions_are_named_as_iam_names_them():
    named: set[Need] = set().union(*PERMISSIONS.values())
    assert named, "the permission table is empty"
    for _, permission in named:
        assert len(permission.split(".")) == 3, f"{permission}: not service.resource.verb"


def fields_reached(entry_point: str) -> set[str]:
    """The Dependencies fields (adapters or not) an entry point can use."""
    fields = {f.name for f in dataclasses.fields(Dependencies)} - {"settings", "clock"}
    return {call.field for call in Reach(source(), fields).from_entry_point("main", entry_point)}


@pytest.mark.parametrize("name", FUNCTIONS_BY_NAME)
def test_each_function_wires_exactly_the_adapters_it_uses(name: str):
    """A field it uses but does not wire fails at run time; one it wires but never uses costs
    its cold start a client library."""
    entry_point = deployed_functions()[name]["entryPoint"]
    assert fields_reached(entry_point) == set(FUNCTION_ADAPTERS[name])
