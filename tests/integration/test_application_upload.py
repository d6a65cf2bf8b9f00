"""The application upload API through the gateway: the documented scenarios and beyond."""

import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk, build_zip, play_ready
from tests.integration.conftest import URL_FETCH_TOTAL_TIMEOUT_SECONDS
from tests.paths import SETTINGS_APK, real_apk

pytestmark = pytest.mark.integration

CONFLICT = (
    "Application with package name '{}' already exists. Use versionAction='create_new_version' "
    "to create a new version or 'create_new_app' to create a separate app entry."
)


def upload(client: httpx.Client, content: bytes | None = None, **fields) -> httpx.Response:
    files = {"file": ("app.apk", content, "application/vnd.android.package-archive")}
    data = {name: value for name, value in fields.items() if value is not None}
    return client.post(
        "/v1/application",
        files=files if content is not None else None,
        data=data or None,
        timeout=120,
    )


def uploaded(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def objects(stack) -> list[str]:
    storage = stack.env["STORAGE_EMULATOR_HOST"]
    listing = httpx.get(
        f"{storage}/storage/v1/b/apkdrop-dev-uploads/o", params={"prefix": "applications/"}
    ).json()
    return [item["name"] for item in listing.get("items", [])]


def test_first_upload_update_and_new_app(stack, client):
    apk = build_apk("com.example.flow", "1.2.3", 123)

    first = uploaded(upload(client, apk))
    assert first["version"] == "1.0"
    assert first["accessType"] == "public"
    assert first["magicLink"] == f"{stack.url}/app/{first['id']}"
    assert first["versionedMagicLink"] == f"{first['magicLink']}?version=1.0"
    assert len(first["id"]) >= 11  # at least 60 random bits, URL-safe

    second = uploaded(upload(client, apk))
    assert (second["id"], second["version"]) == (first["id"], "2.0")

    separate = uploaded(upload(client, apk, versionAction="create_new_app"))
    assert separate["id"] != first["id"]
    assert separate["version"] == "1.0"

    # Without appId, a new version goes to the most recently created app of the package.
    assert uploaded(upload(client, apk))["id"] == separate["id"]
    older = uploaded(upload(client, apk, appId=first["id"]))
    assert (older["id"], older["version"]) == (first["id"], "3.0")


def test_read_api_lists_apps_and_versions_newest_first(client):
    apk = build_apk("com.example.read", "4.5", 45, label="Reader")
    app = uploaded(upload(client, apk, releaseNotes="First!"))
    uploaded(upload(client, build_apk("com.example.read", "4.6", 46)))

    listed = client.get("/v1/application").json()["data"]
    assert [(a["id"], a["latestVersion"]) for a in listed] == [(app["id"], "2.0")]
    detail = client.get(f"/v1/application/{app['id']}").json()["data"]
    assert [v["version"] for v in detail["versions"]] == ["2.0", "1.0"]
    first = detail["versions"][1]
    assert first["application_meta_data"] == {
        "package_info": {"version_name": "4.5", "version_code": 45}
    }
    assert first["releaseNotes"] == "First!"
    assert first["size"] == len(apk)
    assert first["fileType"] == "APK"
    assert first["uploaderEmail"].startswith("ci-")
    assert first["apkInfo"]["packageName"] == "com.example.read"
    assert "objectName" not in first


def test_real_apk_upload(client):
    app = uploaded(upload(client, real_apk(SETTINGS_APK).read_bytes()))
    detail = client.get(f"/v1/application/{app['id']}").json()["data"]
    assert detail["packageName"] == "io.appium.settings"
    assert detail["appLabel"] == "Appium Settings"
    assert detail["versions"][0]["application_meta_data"]["package_info"] == {
        "version_name": "8.0.10",
        "version_code": 192,
    }


def test_private_app_needs_valid_allowed_users(client):
    apk = build_apk("com.example.private")
    private = uploaded(
        upload(client, apk, accessType="private", allowedUsers="qa@example.com, ,Lead@Example.com")
    )
    assert private["accessType"] == "private"
    version = client.get(f"/v1/application/{private['id']}").json()["data"]["versions"][0]
    assert version["allowedUsers"] == ["qa@example.com", "lead@example.com"]

    missing = upload(client, apk, accessType="PRIVATE")
    assert missing.status_code == 400
    invalid = upload(client, apk, accessType="PRIVATE", allowedUsers="qa@example.com,not-an-email")
    assert invalid.json() == {"detail": "Invalid email format in allowed users"}


def test_notification_fields_are_stored_and_bad_addresses_reported(client):
    response = upload(
        client,
        build_apk("com.example.notify", **play_ready()),
        sendNotification="true",
        notificationEmails="dev@example.com,broken@,qa@example.com",
    )
    app = uploaded(response)
    assert response.json()["warnings"] == ["Ignored invalid notification email: 'broken@'"]
    version = client.get(f"/v1/application/{app['id']}").json()["data"]["versions"][0]
    assert version["sendNotification"] is True
    assert version["notificationEmails"] == ["dev@example.com", "qa@example.com"]


def test_do_nothing_both_ways(stack, client):
    apk = build_apk("com.example.nothing")
    created = uploaded(upload(client, apk, versionAction="DO_NOTHING"))
    assert created["version"] == "1.0"
    before = objects(stack)

    refused = upload(client, apk, versionAction="do_nothing")

    assert refused.status_code == 409
    assert refused.json() == {"detail": CONFLICT.format("com.example.nothing")}
    assert objects(stack) == before
    detail = client.get(f"/v1/application/{created['id']}").json()["data"]
    assert [v["version"] for v in detail["versions"]] == ["1.0"]


@pytest.mark.parametrize(
    "fields, files, detail",
    [
        ({}, False, "Either file or apkUrl must be provided"),
        (
            {"apkUrl": "https://example.com/a.apk"},
            True,
            "Provide only one of file, apkUrl and uploadId",
        ),
        ({"accessType": "secret"}, True, "accessType must be one of PUBLIC, PRIVATE"),
        (
            {"versionAction": "replace"},
            True,
            "versionAction must be one of CREATE_NEW_VERSION, CREATE_NEW_APP, DO_NOTHING",
        ),
        ({"sendNotification": "maybe"}, True, "sendNotification must be true or false"),
        ({"releaseNotes": "x" * 16_385}, True, "releaseNotes must be at most 16384 characters"),
        ({"appId": "../../x"}, True, "appId is not a valid application id"),
    ],
)
def test_bad_fields(stack, client, fields, files, detail):
    before = objects(stack)
    response = upload(client, build_apk("com.example.fields") if files else None, **fields)

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert objects(stack) == before


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"not an apk at all", "Invalid APK: not a zip archive"),
        (b"", "The uploaded file is empty"),
        (build_zip({"classes.dex": b"dex"}), "Invalid APK: AndroidManifest.xml is missing"),
        (
            build_zip({"BundleConfig.pb": b"", "base/manifest/AndroidManifest.xml": b"pb"}),
            "Invalid App Bundle: bundle manifest is not a valid protobuf XmlNode",
        ),
    ],
)
def test_malformed_files_are_refused_and_not_kept(stack, client, content, reason):
    before = objects(stack)
    response = upload(client, content)

    assert response.status_code == 400
    assert response.json() == {"detail": reason}
    assert objects(stack) == before


def test_body_over_the_request_limit_points_to_the_large_file_path(client):
    response = upload(client, b"\0" * (32 * 1024 * 1024 + 512 * 1024))

    assert response.status_code == 413
    assert "/v1/application/uploads" in response.json()["detail"]


def test_large_file_path(client):
    apk = build_apk("com.example.large", "9.0", 900, padding_bytes=2 * 1024 * 1024)
    started = client.post("/v1/application/uploads").json()
    spec = started["uploadSpec"]
    put = httpx.put(spec["url"], headers=spec["headers"], content=apk)
    assert put.status_code == 200, put.text

    app = uploaded(upload(client, uploadId=started["uploadId"]))

    assert app["version"] == "1.0"
    version = client.get(f"/v1/application/{app['id']}").json()["data"]["versions"][0]
    assert version["size"] == len(apk)
    import hashlib

    assert version["sha256"] == hashlib.sha256(apk).hexdigest()
    again = upload(client, uploadId=started["uploadId"])
    assert again.status_code == 404


def stored_object(stack, name: str) -> dict:
    storage = stack.env["STORAGE_EMULATOR_HOST"]
    path = urllib.parse.quote(name, safe="")
    response = httpx.get(f"{storage}/storage/v1/b/apkdrop-dev-uploads/o/{path}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_large_upload_is_published_where_it_was_put(stack, client, database):
    """No copy: the version's object is the one the client PUT, same name, same generation."""
    apk = build_apk("com.example.inplace", "9.0", 900, padding_bytes=1024 * 1024)
    started = client.post("/v1/application/uploads").json()
    spec = started["uploadSpec"]
    assert httpx.put(spec["url"], headers=spec["headers"], content=apk).status_code == 200
    name = urllib.parse.unquote(urllib.parse.urlsplit(spec["url"]).path).split("/", 2)[2]
    assert name.startswith("applications/")
    put = stored_object(stack, name)

    app = uploaded(upload(client, uploadId=started["uploadId"]))

    version = (
        database.collection("applications")
        .document(app["id"])
        .collection("versions")
        .document("1")
        .get()
        .to_dict()
    )
    assert (version["objectName"], version["objectGeneration"]) == (name, int(put["generation"]))
    assert stored_object(stack, name)["generation"] == put["generation"]
    assert int(put["size"]) == len(apk)


def test_url_import(client, apk_server):
    apk = build_apk("com.example.fetched", "2.0", 20)
    url = apk_server.serve("/builds/app.apk", apk)

    app = uploaded(upload(client, apkUrl=url))

    version = client.get(f"/v1/application/{app['id']}").json()["data"]["versions"][0]
    assert version["apkInfo"]["packageName"] == "com.example.fetched"
    assert version["size"] == len(apk)
    redirected = apk_server.redirect("/latest.apk", url)
    assert uploaded(upload(client, apkUrl=redirected))["version"] == "2.0"


def test_url_import_of_something_that_is_not_an_apk(client, apk_server):
    url = apk_server.serve("/page.html", b"<html>hello</html>")
    response = upload(client, apkUrl=url)
    assert response.json() == {"detail": "Invalid APK: not a zip archive"}


@pytest.mark.parametrize(
    "make_url",
    [
        lambda server: "http://127.0.0.1/app.apk",
        lambda server: "http://localhost/app.apk",
        lambda server: f"http://localhost:{server.port + 1}/app.apk",
        lambda server: "http://[::1]/app.apk",
        lambda server: "http://[::ffff:127.0.0.1]/app.apk",
        lambda server: "http://169.254.169.254/computeMetadata/v1/",
        lambda server: "http://metadata.google.internal/computeMetadata/v1/",
        lambda server: "http://10.1.2.3/app.apk",
        lambda server: "http://192.168.0.10/app.apk",
        lambda server: "http://0.0.0.0/app.apk",
        lambda server: "http://224.0.0.1/app.apk",
        lambda server: "http://240.0.0.1/app.apk",
        lambda server: server.redirect("/to-loopback", "http://127.0.0.1/app.apk"),
        lambda server: server.redirect(
            "/to-metadata", "http://169.254.169.254/computeMetadata/v1/"
        ),
        # Ranges Python's is_global calls global.
        lambda server: "http://[64:ff9b:1::a00:1]/app.apk",
        lambda server: "http://[::ffff:0:808:808]/app.apk",
        lambda server: "http://[fec0::1]/app.apk",
        lambda server: "http://192.0.0.9/app.apk",
        lambda server: "http://[3fff::1]/app.apk",
    ],
    ids=[
        "loopback",
        "localhost",
        "localhost-other-port",
        "ipv6-loopback",
        "ipv4-mapped",
        "metadata-ip",
        "metadata-name",
        "private-10",
        "private-192",
        "unspecified",
        "multicast",
        "reserved",
        "redirect-to-loopback",
        "redirect-to-metadata",
        "local-nat64",
        "ipv4-translated",
        "site-local",
        "ietf-protocol",
        "documentation-3fff",
    ],
)
def test_url_import_refuses_internal_addresses(client, apk_server, make_url):
    response = upload(client, apkUrl=make_url(apk_server))

    assert response.status_code == 400
    assert response.json()["detail"] in {
        "apkUrl points to a private or reserved address",
        "apkUrl must use port 80 or 443",
    }


@pytest.mark.parametrize(
    "url, detail",
    [
        ("ftp://example.com/app.apk", "apkUrl must be an http or https URL"),
        ("file:///etc/passwd", "apkUrl must be an http or https URL"),
        ("https://example.com:8443/app.apk", "apkUrl must use port 80 or 443"),
        ("https://user:pw@example.com/app.apk", "apkUrl must not carry credentials"),
        ("http://[::1/app.apk", "apkUrl is not a valid URL"),
    ],
)
def test_url_import_refuses_other_schemes_and_ports(client, url, detail):
    assert upload(client, apkUrl=url).json() == {"detail": detail}


def test_url_import_stops_after_five_redirects(client, apk_server):
    for hop in range(7):
        apk_server.redirect(f"/loop/{hop}", apk_server.url(f"/loop/{hop + 1}"))
    response = upload(client, apkUrl=apk_server.url("/loop/0"))
    assert response.json() == {"detail": "apkUrl redirected more than 5 times"}


def test_url_import_that_trickles_bytes_is_refused_after_the_grace_period(client, apk_server):
    url = apk_server.trickle("/trickle.apk", pieces=10_000, piece=b"x", pause=0.25)
    response = upload(client, apkUrl=url)
    assert response.status_code == 400
    assert response.json() == {"detail": "apkUrl download was slower than 65536 bytes per second"}


def test_url_import_past_the_total_deadline_is_refused(client, apk_server):
    # About 320 KiB a second, five times the minimum rate, for longer than the deadline.
    url = apk_server.trickle("/steady.apk", pieces=200, piece=b"x" * 32 * 1024, pause=0.1)
    response = upload(client, apkUrl=url)
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"apkUrl download took longer than {URL_FETCH_TOTAL_TIMEOUT_SECONDS} seconds"
    }


@pytest.mark.parametrize(("name", "cap"), [("allowedUsers", 1000), ("notificationEmails", 100)])
def test_an_address_list_over_its_cap_is_refused(client, name, cap):
    addresses = ",".join(f"user{n}@example.com" for n in range(cap + 1))
    access = {"accessType": "private"} if name == "allowedUsers" else {}
    response = upload(client, build_apk("com.example.capped"), **access, **{name: addresses})
    assert response.status_code == 400
    assert response.json() == {"detail": f"{name} may list at most {cap} addresses"}


def test_sixty_thousand_addresses_are_refused(client):
    addresses = [f"u{n}@example.io" for n in range(60_000)]
    # Comma-separated in fields within the form's per-field limit.
    fields = [",".join(addresses[n : n + 5000]) for n in range(0, 60_000, 5000)]
    response = client.post(
        "/v1/application",
        files={"file": ("app.apk", build_apk("com.example.many"), "application/octet-stream")},
        data={"accessType": "private", "allowedUsers": fields},
        timeout=120,
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "allowedUsers may list at most 1000 addresses"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("accessType", "public"),
        ("versionAction", "create_new_app"),
        ("sendNotification", "false"),
        ("releaseNotes", "notes"),
    ],
)
def test_a_single_valued_field_given_twice_is_refused(client, name, value):
    response = client.post(
        "/v1/application",
        files={"file": ("app.apk", build_apk("com.example.twice"), "application/octet-stream")},
        data={name: [value, value]},
        timeout=120,
    )
    assert response.status_code == 400
    assert response.json() == {"detail": f"{name} must be given at most once"}


def test_two_apk_urls_are_refused(client, apk_server):
    url = apk_server.serve("/twice.apk", build_apk("com.example.twice.url"))
    response = client.post("/v1/application", data={"apkUrl": [url, url]})
    assert response.json() == {"detail": "apkUrl must be given at most once"}


def test_a_version_too_large_for_firestore_is_a_400_not_a_503(client):
    # 1000 of the longest addresses, almost all four-byte characters, and the longest notes.
    wide = "\U0001d51e"
    users = [f"{n:04d}{wide * 245}@x.io" for n in range(1000)]
    response = client.post(
        "/v1/application",
        files={"file": ("app.apk", build_apk("com.example.huge"), "application/octet-stream")},
        data={
            "accessType": "private",
            "allowedUsers": [",".join(users[n : n + 100]) for n in range(0, 1000, 100)],
            "releaseNotes": wide * 16_384,
        },
        timeout=120,
    )
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("The version is too large to store")
    assert client.get("/v1/application").json()["data"] == []  # nothing was stored


def test_fifty_concurrent_uploads_of_a_new_package(client):
    apk = build_apk("com.example.rush", "1.0", 1)
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda _: upload(client, apk), range(50)))

    results = [uploaded(response) for response in responses]
    assert len({result["id"] for result in results}) == 1
    assert sorted(int(result["version"].split(".")[0]) for result in results) == list(range(1, 51))


def test_accounts_cannot_see_or_extend_each_others_apps(stack, api_keys, client):
    app = uploaded(upload(client, build_apk("com.example.mine")))
    other = httpx.Client(base_url=stack.url, headers={"X-Api-Key": api_keys("other@example.com")})

    assert other.get(f"/v1/application/{app['id']}").status_code == 404
    assert other.get("/v1/application").json()["data"] == []
    hijack = upload(other, build_apk("com.example.mine"), appId=app["id"])
    assert hijack.status_code == 404
    own = uploaded(upload(other, build_apk("com.example.mine")))
    assert own["id"] != app["id"]
    assert own["version"] == "1.0"


def test_application_api_needs_a_key(stack):
    assert httpx.post(stack.url + "/v1/application").json() == {"detail": "Missing API Key"}
    assert (
        httpx.get(
            stack.url + "/v1/application", headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
