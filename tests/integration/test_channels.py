"""Channels through the gateway: uploads on two channels by every upload path, their links and
pages, insights per channel, and the read API's channels."""

import re

import httpx
import pytest

from tests.fixtures.apk_builder import build_apk
from tests.integration.test_application_upload import upload, uploaded

pytestmark = pytest.mark.integration
PACKAGE = "com.example.channels"
CAMERA, INTERNET = "android.permission.CAMERA", "android.permission.INTERNET"


def apk(code: int, *permissions: str) -> bytes:
    return build_apk(PACKAGE, f"{code}.0.0", code, permissions=[INTERNET, *permissions])


def large_upload(client: httpx.Client, content: bytes, **fields: str) -> httpx.Response:
    started = client.post("/v1/application/uploads").json()
    spec = started["uploadSpec"]
    assert httpx.put(spec["url"], headers=spec["headers"], content=content).status_code == 200
    return upload(client, uploadId=started["uploadId"], **fields)


def shown_version(link: str) -> str:
    page = httpx.get(link, timeout=30)
    assert page.status_code == 200, page.text
    found = re.search(r'id="platform-version">([^<]+)<', page.text)
    assert found is not None
    return found.group(1)


def test_uploads_on_two_channels(client, apk_server) -> None:
    first = uploaded(upload(client, apk(1)))
    app_id, magic_link = first["id"], first["magicLink"]
    # Every upload path takes the field: the large-file path, a URL, a file.
    nightly = uploaded(large_upload(client, apk(2, CAMERA), channel="nightly"))
    url = apk_server.serve("/builds/nightly.apk", apk(3, CAMERA))
    nightly_again = uploaded(upload(client, apkUrl=url, channel="nightly"))
    default_again = uploaded(upload(client, apk(4)))

    # Numbering stays per app across channels.
    labels = [(v["version"], v["channel"]) for v in (first, nightly, nightly_again, default_again)]
    assert labels == [
        ("1.0", "default"),
        ("2.0", "nightly"),
        ("3.0", "nightly"),
        ("4.0", "default"),
    ]
    assert nightly["id"] == app_id
    assert nightly["channelMagicLink"] == f"{magic_link}?channel=nightly"
    assert first["channelMagicLink"] == f"{magic_link}?channel=default"

    # Insights against the previous version of the same channel; a channel's first version
    # compares with the app's latest.
    assert nightly["insights"]["comparedTo"] == {"version": "1.0", "channel": "default"}
    assert nightly_again["insights"]["comparedTo"] == {"version": "2.0", "channel": "nightly"}
    assert nightly_again["insights"]["permissions"]["added"] == []
    assert default_again["insights"]["comparedTo"] == {"version": "1.0", "channel": "default"}
    assert default_again["insights"]["permissions"]["added"] == []

    # The pages: a channel's link opens its latest version.
    assert shown_version(nightly["channelMagicLink"]) == "3.0"
    assert shown_version(first["channelMagicLink"]) == "4.0"
    assert shown_version(magic_link) == "4.0"
    page = httpx.get(nightly["channelMagicLink"], timeout=30).text
    assert 'id="channel-filter"' in page
    assert page.count('class="channel"') == 2  # the history lists nightly's two versions
    for unknown in ("release", "Nightly", "x" * 65):
        missing = httpx.get(f"{magic_link}?channel={unknown}", timeout=30)
        assert missing.status_code == 404

    # The read API: every channel with its latest, and one channel's versions.
    detail = client.get(f"/v1/application/{app_id}").json()["data"]
    assert [
        (c["channel"], c["latestVersion"], c["channelMagicLink"]) for c in detail["channels"]
    ] == [
        ("default", "4.0", first["channelMagicLink"]),
        ("nightly", "3.0", nightly["channelMagicLink"]),
    ]
    assert [v["channel"] for v in detail["versions"]] == [
        "default",
        "nightly",
        "nightly",
        "default",
    ]
    only = client.get(f"/v1/application/{app_id}", params={"channel": "nightly"})
    assert [v["version"] for v in only.json()["data"]["versions"]] == ["3.0", "2.0"]
    unknown = client.get(f"/v1/application/{app_id}", params={"channel": "release"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": f"Application {app_id} has no channel release"}
    malformed = client.get(f"/v1/application/{app_id}", params={"channel": "Release"})
    assert malformed.status_code == 400


@pytest.mark.parametrize("channel", ["Nightly", "feature/login", "x" * 65])
def test_a_channel_outside_the_pattern_is_refused(client, channel: str) -> None:
    response = upload(client, apk(1), channel=channel)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "channel must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"
    }
