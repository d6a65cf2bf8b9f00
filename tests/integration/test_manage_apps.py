"""Owners change and delete what they uploaded, through the gateway (issue 14)."""

import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from google.cloud import firestore

from apkdrop.accounts import UPLOAD_ONLY, KeyScope, issue_api_key
from apkdrop.adapters.firestore import AccountStore
from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded
from tests.integration.test_install_pages import SIGN_IN_LINK
from tests.integration.test_notifications import MAIL_TIMEOUT_SECONDS, mail_about

pytestmark = pytest.mark.integration
LABEL = "Managed App"
BUCKET = "apkdrop-dev-uploads"
QA, LEAD = "qa@example.com", "lead@example.com"


@pytest.fixture
def owner(stack, api_keys) -> Iterator[httpx.Client]:
    key = api_keys(f"owner-{time.monotonic_ns()}@example.com")
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60) as http:
        yield http


def package() -> str:
    return f"com.example.managed{time.monotonic_ns()}"


def uploaded_app(client: httpx.Client, name: str, count: int, **fields) -> str:
    """Uploads versions 1.0 … count.0 of a new app; returns its id."""
    first = uploaded(upload(client, build_apk(name, "1", 1, label=LABEL), **fields))
    for number in range(2, count + 1):
        uploaded(upload(client, build_apk(name, str(number), number, label=LABEL)))
    return first["id"]


def bucket_objects(stack) -> set[str]:
    storage = stack.env["STORAGE_EMULATOR_HOST"]
    names: set[str] = set()
    for prefix in ("applications/", "icons/"):
        listing = httpx.get(f"{storage}/storage/v1/b/{BUCKET}/o", params={"prefix": prefix})
        names |= {item["name"] for item in listing.json().get("items", [])}
    return names


def version_documents(database: firestore.Client, app_id: str) -> dict[int, dict]:
    versions = database.collection("applications").document(app_id).collection("versions")
    return {int(doc.id): doc.to_dict() for doc in versions.stream()}


def objects_of(document: dict) -> set[str]:
    return {document["objectName"], *([document["iconObject"]] if document["iconObject"] else [])}


def detail(client: httpx.Client, app_id: str) -> dict:
    answer = client.get(f"/v1/application/{app_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def signed_in(stack, app_id: str, email: str, name: str = LABEL) -> httpx.Client:
    """A browser with the session the emailed sign-in link starts (the email names the app)."""
    visitor = httpx.Client(base_url=stack.url, timeout=30)
    before = len([m for m in mail_about(stack, name) if m["to"] == [email]])
    assert visitor.post("/auth/sign-in", data={"app": app_id, "email": email}).status_code == 200
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while len(mine := [m for m in mail_about(stack, name) if m["to"] == [email]]) == before:
        assert time.monotonic() < deadline, f"no sign-in link reached {email}"
        time.sleep(0.25)
    token = SIGN_IN_LINK.search(mine[-1]["text"]).group(0).partition("token=")[2]
    assert visitor.post("/auth/verify", data={"token": token}).status_code == 303
    return visitor


def test_a_signed_in_tester_loses_access_once_the_owner_removes_them(stack, owner):
    app_id = uploaded_app(owner, package(), 1, accessType="PRIVATE", allowedUsers=QA)
    tester = signed_in(stack, app_id, QA)
    assert tester.get(f"/app/{app_id}").status_code == 200
    assert tester.get(f"/app/{app_id}/download?version=1.0").status_code == 302

    changed = owner.patch(f"/v1/application/{app_id}/versions/1.0", json={"allowedUsers": [LEAD]})
    assert changed.status_code == 200, changed.text
    version = changed.json()["data"]
    assert (version["version"], version["accessType"], version["allowedUsers"]) == (
        "1.0",
        "private",
        [LEAD],
    )
    assert detail(owner, app_id)["versions"] == [version]  # the shape GET shows
    # The same session, on the very next request.
    assert tester.get(f"/app/{app_id}").status_code == 403
    assert tester.get(f"/app/{app_id}/download?version=1.0").status_code == 403

    opened = owner.patch(f"/v1/application/{app_id}/versions/1", json={"accessType": "public"})
    assert opened.json()["data"]["accessType"] == "public"
    assert httpx.get(f"{stack.url}/app/{app_id}").status_code == 200


def test_a_version_patch_keeps_the_upload_rules(owner):
    app_id = uploaded_app(owner, package(), 1)  # public, nobody listed
    path = f"/v1/application/{app_id}/versions/1.0"
    refusals = {
        "PRIVATE alone, nobody listed": {"accessType": "PRIVATE"},
        "an invalid address": {"allowedUsers": ["not-an-address"]},
        "nothing": {},
        "an unknown field": {"accessType": "PUBLIC", "name": "x"},
        "an unknown access": {"accessType": "SECRET"},
    }
    for case, body in refusals.items():
        answer = owner.patch(path, json=body)
        assert answer.status_code == 400, case
        assert answer.json()["detail"], case
    assert owner.patch(path, content=b"[1]").status_code == 400
    assert detail(owner, app_id)["versions"][0]["accessType"] == "public"


def test_an_app_patch_changes_every_version_and_what_later_uploads_inherit(stack, owner):
    name = package()
    app_id = uploaded_app(owner, name, 2)
    answer = owner.patch(
        f"/v1/application/{app_id}",
        json={"name": "  QA build  ", "accessType": "PRIVATE", "allowedUsers": [QA, QA.upper()]},
    )
    assert answer.status_code == 200, answer.text
    changed = answer.json()["data"]
    assert (changed["name"], changed["appLabel"], changed["accessType"]) == (
        "QA build",
        LABEL,
        "private",
    )
    assert [(v["version"], v["accessType"], v["allowedUsers"]) for v in changed["versions"]] == [
        ("2.0", "private", [QA]),
        ("1.0", "private", [QA]),
    ]
    assert changed == detail(owner, app_id)
    later = uploaded(upload(owner, build_apk(name, "3", 3, label="New Label")))
    assert (later["version"], later["accessType"]) == ("3.0", "private")
    after = detail(owner, app_id)
    assert (after["name"], after["appLabel"]) == ("QA build", "New Label")  # never overwritten
    assert after["versions"][0]["allowedUsers"] == [QA]
    assert "QA build" in signed_in(stack, app_id, QA, "QA build").get(f"/app/{app_id}").text

    too_long = owner.patch(f"/v1/application/{app_id}", json={"name": "x" * 201})
    assert too_long.status_code == 400
    listed = {app["id"]: app for app in owner.get("/v1/application").json()["data"]}
    assert listed[app_id]["name"] == "QA build"


def test_deleting_a_version_removes_its_files_and_its_links_answer_410(stack, owner, database):
    app_id = uploaded_app(owner, package(), 3)
    documents = version_documents(database, app_id)
    assert all(objects_of(documents[n]) <= bucket_objects(stack) for n in (1, 2, 3))

    assert owner.delete(f"/v1/application/{app_id}/versions/3.0").status_code == 204
    left = bucket_objects(stack)
    assert not objects_of(documents[3]) & left
    assert objects_of(documents[1]) | objects_of(documents[2]) <= left
    tombstone = version_documents(database, app_id)[3]
    assert set(tombstone) == {
        "versionNumber",
        "deletedAt",
        "deletedBy",
        "pendingObjects",
        "pendingSince",
    }
    assert (tombstone["versionNumber"], tombstone["pendingObjects"]) == (3, [])
    assert tombstone["pendingSince"] is None  # finished: no sweep looks at it again

    app = detail(owner, app_id)
    assert app["latestVersion"] == "2.0"  # magicLink moved
    assert [v["version"] for v in app["versions"]] == ["2.0", "1.0"]
    visitor = httpx.Client(base_url=stack.url, timeout=30)
    page = visitor.get(f"/app/{app_id}?version=3.0")
    assert page.status_code == 410
    assert "Version 3.0 of this app was deleted." in page.text
    assert f'href="../app/{app_id}"' in page.text  # the latest remaining, which it may open
    assert visitor.get(f"/app/{app_id}/download?version=3.0").status_code == 410
    magic = visitor.get(f"/app/{app_id}")
    assert magic.status_code == 200 and '<dd id="platform-version">2.0</dd>' in magic.text

    assert owner.delete(f"/v1/application/{app_id}/versions/3.0").status_code == 404
    assert (
        owner.patch(
            f"/v1/application/{app_id}/versions/3.0", json={"accessType": "PUBLIC"}
        ).status_code
        == 404
    )
    later = uploaded(upload(owner, build_apk(app["packageName"], "4", 4, label=LABEL)))
    assert (later["id"], later["version"]) == (app_id, "4.0")  # never the deleted 3.0

    for number in ("1.0", "2", "4.0"):
        assert owner.delete(f"/v1/application/{app_id}/versions/{number}").status_code == 204
    empty = detail(owner, app_id)
    assert (empty["latestVersion"], empty["versions"]) == (None, [])
    assert visitor.get(f"/app/{app_id}").status_code == 410  # until a new upload
    again = uploaded(upload(owner, build_apk(app["packageName"], "5", 5, label=LABEL)))
    # Nothing left to inherit from: the uploader only (omitting accessType never widens).
    assert (again["id"], again["version"], again["accessType"]) == (app_id, "5.0", "private")
    assert visitor.get(f"/app/{app_id}").status_code == 401  # the link works again


def test_a_private_deleted_versions_page_names_only_what_the_visitor_may_open(stack, owner):
    name = package()
    app_id = uploaded_app(owner, name, 1, accessType="PRIVATE", allowedUsers=QA)
    uploaded(upload(owner, build_apk(name, "2", 2, label=LABEL)))  # inherits: private
    assert owner.delete(f"/v1/application/{app_id}/versions/2.0").status_code == 204
    page = httpx.get(f"{stack.url}/app/{app_id}?version=2.0")
    assert page.status_code == 410
    assert 'id="latest"' not in page.text  # anonymous: no remaining version to name


def test_deleting_an_app_removes_every_file_and_frees_its_package(stack, owner, database):
    name = package()
    app_id = uploaded_app(owner, name, 2)
    documents = version_documents(database, app_id)
    assert owner.delete(f"/v1/application/{app_id}").status_code == 204
    assert not (objects_of(documents[1]) | objects_of(documents[2])) & bucket_objects(stack)
    stored = database.collection("applications").document(app_id).get().to_dict()
    assert (stored["deletedBy"].startswith("owner-"), stored["pendingObjects"]) == (True, [])
    assert all("objectName" not in d for d in version_documents(database, app_id).values())

    for path in (f"/app/{app_id}", f"/app/{app_id}?version=1.0", f"/app/{app_id}/download"):
        answer = httpx.get(stack.url + path)
        assert answer.status_code == 410, path
        assert "This app was deleted" in answer.text
    assert owner.get(f"/v1/application/{app_id}").status_code == 404
    assert app_id not in [app["id"] for app in owner.get("/v1/application").json()["data"]]
    assert owner.delete(f"/v1/application/{app_id}").status_code == 404
    assert owner.patch(f"/v1/application/{app_id}", json={"name": "x"}).status_code == 404

    fresh = uploaded(upload(owner, build_apk(name, "3", 3, label=LABEL)))
    assert fresh["id"] != app_id and fresh["version"] == "1.0"
    # An explicit appId of the deleted app is not found.
    assert upload(owner, build_apk(name, "4", 4), appId=app_id).status_code == 404


def test_an_upload_scoped_key_may_change_and_delete_nothing(stack, owner, database):
    app_id = uploaded_app(owner, package(), 1)
    email = f"ci-upload-{time.monotonic_ns()}@example.com"
    key = issue_api_key(AccountStore(database), email, KeyScope.UPLOAD)
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60) as ci:
        mine = uploaded(upload(ci, build_apk(package(), "1", 1)))["id"]  # it may upload
        for target in (mine, app_id):
            answers = [
                ci.patch(f"/v1/application/{target}", json={"name": "x"}),
                ci.delete(f"/v1/application/{target}"),
                ci.patch(f"/v1/application/{target}/versions/1.0", json={"accessType": "PUBLIC"}),
                ci.delete(f"/v1/application/{target}/versions/1.0"),
            ]
            for answer in answers:
                assert (answer.status_code, answer.json()) == (403, {"detail": UPLOAD_ONLY})
        assert ci.get(f"/v1/application/{mine}").status_code == 200
    assert len(detail(owner, app_id)["versions"]) == 1


def test_another_accounts_ids_are_not_found_for_every_verb(stack, owner, api_keys):
    app_id = uploaded_app(owner, package(), 1)
    key = api_keys(f"stranger-{time.monotonic_ns()}@example.com")
    with httpx.Client(base_url=stack.url, headers={"X-Api-Key": key}, timeout=60) as stranger:
        answers = [
            stranger.patch(f"/v1/application/{app_id}", json={"name": "x"}),
            stranger.delete(f"/v1/application/{app_id}"),
            stranger.patch(f"/v1/application/{app_id}/versions/1.0", json={"accessType": "PUBLIC"}),
            stranger.delete(f"/v1/application/{app_id}/versions/1.0"),
        ]
        assert [a.status_code for a in answers] == [404] * 4
        assert len(detail(owner, app_id)["versions"]) == 1
        assert owner.delete(f"/v1/application/{app_id}").status_code == 204
        # Once deleted, still not theirs to see or finish.
        assert stranger.delete(f"/v1/application/{app_id}").status_code == 404


def test_deletions_and_changes_are_in_the_audit_trail(owner, database):
    app_id = uploaded_app(owner, package(), 2)
    owner.patch(f"/v1/application/{app_id}/versions/2.0", json={"allowedUsers": [QA]})
    owner.patch(f"/v1/application/{app_id}", json={"accessType": "PUBLIC", "name": "Open"})
    owner.delete(f"/v1/application/{app_id}/versions/2.0")
    owner.delete(f"/v1/application/{app_id}")
    targets = [f"/v1/application/{app_id}", f"/v1/application/{app_id}/versions/2.0"]
    query = database.collection("auditEvents").where(
        filter=firestore.FieldFilter("target", "in", targets)
    )
    # The uploads' own events are test_audit.py's.
    changes = (doc.to_dict() for doc in query.stream())
    events = sorted(
        (event for event in changes if event["action"] != "upload"), key=lambda event: event["at"]
    )
    assert [(e["action"], e["target"], e["details"]) for e in events] == [
        ("access_change", f"/v1/application/{app_id}/versions/2.0", {"allowedUsers": [QA]}),
        ("access_change", f"/v1/application/{app_id}", {"accessType": "PUBLIC", "name": "Open"}),
        ("delete", f"/v1/application/{app_id}/versions/2.0", {}),
        ("delete", f"/v1/application/{app_id}", {}),
    ]
    assert all(e["actor"]["scope"] == "admin" for e in events)


def race(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Runs the calls at once (released together by a barrier); their answers, in order."""
    start = threading.Barrier(len(calls))

    def released(call: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(released, calls))


def test_deleting_the_latest_version_while_uploading_leaves_a_consistent_app(
    stack, owner, database
):
    name = package()
    app_id = uploaded_app(owner, name, 2)
    deleted: list[int] = []
    for round_number in range(3):
        latest = int(detail(owner, app_id)["latestVersion"].split(".")[0])
        code = 10 + round_number
        removal, added = race(
            lambda number=latest: owner.delete(f"/v1/application/{app_id}/versions/{number}.0"),
            lambda code=code: upload(owner, build_apk(name, str(code), code, label=LABEL)),
        )
        assert removal.status_code == 204, removal.text
        assert uploaded(added)["id"] == app_id
        deleted.append(latest)

    documents = version_documents(database, app_id)
    live = {n: d for n, d in documents.items() if "objectName" in d}
    app = database.collection("applications").document(app_id).get().to_dict()
    assert set(documents) == set(range(1, 6))  # 2 + 3 uploads, numbers unique and never reused
    assert set(deleted) == set(documents) - set(live)
    assert app["latest_application_version"] == max(live)
    left = bucket_objects(stack)
    assert all(objects_of(document) <= left for document in live.values())
    listed = [v["version"] for v in detail(owner, app_id)["versions"]]
    assert listed == [f"{n}.0" for n in sorted(live, reverse=True)]
    assert re.fullmatch(r"\d+\.0", detail(owner, app_id)["latestVersion"])
