"""The links apkdrop hands out: an app's magic link, a version's, its download, sign-in."""

from pydantic import HttpUrl

from apkdrop.channels import is_channel
from apkdrop.ids import OPAQUE_ID
from apkdrop.version_labels import label, parse_label

# What an app page's query may name, each once (app_page builds it).
_PAGE_ARGUMENTS = ("version", "channel")


def app_page(app_id: str, version: int | None = None, channel: str | None = None) -> str:
    """`/app/{id}`, the latest version's page, `/app/{id}?version=N.0`, or either with
    `channel=` (the latest of that channel, and its history only)."""
    query = {"version": None if version is None else label(version), "channel": channel}
    pairs = "&".join(f"{name}={value}" for name, value in query.items() if value is not None)
    path = f"/app/{app_id}"
    return f"{path}?{pairs}" if pairs else path


def download(app_id: str, version: int) -> str:
    """What a version's page's Download button serves (a bundle's universal APK, if built)."""
    return f"/app/{app_id}/download?version={label(version)}"


def bundle_download(app_id: str, version: int) -> str:
    """A bundle version's .aab itself, even once its universal APK is built."""
    return f"{download(app_id, version)}&file=aab"


def page_asked_for(app_id: str, version: str | None, channel: str | None) -> str | None:
    """The app page of `app_id` at `version` (a label) and `channel` (None: not asked for),
    rebuilt by app_page; None when any of them names none."""
    number = None if version is None else parse_label(version)
    if not OPAQUE_ID.fullmatch(app_id) or (version is not None and number is None):
        return None
    if channel is not None and not is_channel(channel):
        return None
    return app_page(app_id, number, channel)


def app_page_in(path: str) -> str | None:
    """The app page `path` names (`/app/{id}`, with `version=N.0` and/or `channel=NAME`),
    rebuilt from its parts, never echoed; None for any other path. The only places sign-out
    may send a visitor on to: no open redirect, no header injection."""
    page, has_query, query = path.partition("?")
    app_id = page.removeprefix("/app/")
    if app_id == page:
        return None
    asked: dict[str, str] = {}
    for pair in query.split("&") if has_query else ():
        name, equals, value = pair.partition("=")
        if name not in _PAGE_ARGUMENTS or name in asked or not equals:
            return None
        asked[name] = value
    return page_asked_for(app_id, asked.get("version"), asked.get("channel"))


def from_page(page_path: str, site_path: str) -> str:
    """`site_path` (`/auth/sign-in`) as a link on the page at `page_path`, relative to it, so it
    stays under PUBLIC_BASE_URL whatever that URL's own path (`…cloudfunctions.net/install-pages`
    without the load balancer: the function is handed the path after it)."""
    return "../" * (page_path.count("/") - 1) + site_path.removeprefix("/")


def magic_link(base_url: HttpUrl | str, app_id: str) -> str:
    """`{PUBLIC_BASE_URL}/app/{id}`: the install page of an app's latest version."""
    return site_url(base_url, app_page(app_id))


def versioned_link(base_url: HttpUrl | str, app_id: str, version: int) -> str:
    """`{magic link}?version=N.0`: always that version's page."""
    return site_url(base_url, app_page(app_id, version))


def channel_link(base_url: HttpUrl | str, app_id: str, channel: str) -> str:
    """`{magic link}?channel={channel}`: the page of that channel's latest version."""
    return site_url(base_url, app_page(app_id, channel=channel))


def sign_in_link(base_url: HttpUrl | str, token: str) -> str:
    return site_url(base_url, f"/auth/verify?token={token}")


def site_url(base_url: HttpUrl | str, path: str) -> str:
    """A site path (`/app/{id}`) under PUBLIC_BASE_URL."""
    return str(base_url).rstrip("/") + path


def application_path(app_id: str) -> str:
    """The API path of an app, as the audit trail names what was acted on."""
    return f"/v1/application/{app_id}"


def version_path(app_id: str, version: int) -> str:
    return f"{application_path(app_id)}/versions/{label(version)}"
