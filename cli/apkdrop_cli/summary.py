"""The markdown summary of an upload, for `--summary FILE`, the GitHub job summary and the pull
request comment: the app, its versions, the versioned link with a QR code, and the insights."""

import html
import re

from apkdrop_cli.insights import short_permission, since
from apkdrop_cli.output import human_size, signed_size
from apkdrop_cli.qr import qr_text

COMPONENTS = ("dex", "resources", "native", "assets", "other")
# What markdown or HTML would read as syntax in text from an APK (a label) or a server; ':'
# and 'www.' too, which GitHub's renderer links bare (https://…, www.…).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&:])")
BARE_WWW = re.compile(r"(?i)\b(www)\.")


def text(value: object) -> str:
    """`value` shown as it is: nothing in it becomes a link, a tag or a hidden marker."""
    escaped = MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    return BARE_WWW.sub(r"\1\\.", escaped)


def code(value: object) -> str:
    """`value` as inline code, where markdown reads nothing (and backslashes show as they are)."""
    return "`" + " ".join(str(value).split()).replace("`", "'") + "`"


def app_summary(upload: dict, app: dict | None) -> str:
    """`upload` is the upload's `data`; `app` its `GET /v1/application/{id}` data, for the
    name and the APK's versions (None when it could not be read: the summary says less)."""
    version = _version(app, upload["version"])
    info = (version or {}).get("apkInfo") or {}
    name = (app or {}).get("name") or (app or {}).get("appLabel") or f"app {upload['id']}"
    apk_version = " ".join(
        part
        for part in (
            info.get("versionName") and text(info["versionName"]),
            info.get("versionCode") is not None and f"({info['versionCode']})",
        )
        if part
    )
    link = upload["versionedMagicLink"]
    package = (app or {}).get("packageName")
    rows = [
        ("app", f"**{text(name)}**" + (f" {code(package)}" if package else "")),
        ("version", f"{upload['version']}" + (f", APK {apk_version}" if apk_version else "")),
        ("access", upload["accessType"]),
        ("install", f"<{link}>"),
    ]
    if version and version.get("uploaderEmail"):
        rows.append(("uploaded by", text(version["uploaderEmail"])))
    table = "| | |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)
    sections = [
        f"### {icon_markup(upload.get('iconUrl'))}apkdrop: {text(name)} "
        f"{apk_version or upload['version']}".rstrip(),
        table,
        f"```text\n{qr_text(link)}\n```",
        insights_markdown(upload.get("insights")),
        checks_markdown(upload.get("checks") or []),
    ]
    return "\n\n".join(section.strip("\n") for section in sections if section) + "\n"


def icon_markup(url: object) -> str:
    """The launcher icon (the upload's signed URL, valid 7 days) before the heading, or ""."""
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return ""
    return f'<img src="{html.escape(url, quote=True)}" width="32" height="32" alt=""> '


def insights_markdown(insights: dict | None, of: str | None = None) -> str:
    """What changed since the version (or build) compared with; "" with nothing to compare.
    `of` names what changed in the heading (a build), when one summary shows several."""
    if not insights:
        return ""
    compared = text(since(insights))
    parts = [f"#### {of}: changes since {compared}" if of else f"#### Changes since {compared}"]
    if insights["signer"]["changed"]:
        parts.append(
            "**Warning: signed by another key.** Testers must uninstall the earlier one first."
        )
    parts += [f"**Warning:** {text(warning)}" for warning in insights.get("warnings") or []]
    if insights.get("size"):
        parts.append(_size_table(insights["size"]))
    parts.append(_changes_list(insights))
    return "\n\n".join(part.strip("\n") for part in parts if part)


def checks_markdown(checks: list[dict]) -> str:
    """The Play-readiness checks not passed, failures first; "" without checks."""
    if not checks:
        return ""
    failing = sorted(
        (check for check in checks if check["status"] != "pass"),
        key=lambda check: check["status"] != "fail",
    )
    if not failing:
        return f"#### Play readiness\n\nAll {len(checks)} checks passed."
    lines = "".join(
        f"- **{check['status']}** {code(check['id'])}: {text(check['reason'])}\n"
        for check in failing
    )
    passed = len(checks) - len(failing)
    return f"#### Play readiness\n\n{lines}\n{passed} of {len(checks)} checks passed."


def _size_table(size: dict) -> str:
    """The file, then each component that changed, as stored in the zip (what is downloaded)."""
    rows = [("file", size["file"])]
    rows += [
        (name, size[name]["compressed"])
        for name in COMPONENTS
        if size.get(name) and size[name]["compressed"]["delta"]
    ]
    rows += [
        (f"native {code(abi)}", change["compressed"])
        for abi, change in (size.get("abis") or {}).items()
        if change["compressed"]["delta"]
    ]
    lines = "".join(
        f"| {name} | {human_size(change['before'])} | {human_size(change['after'])} "
        f"| {signed_size(change['delta'])} |\n"
        for name, change in rows
    )
    return "| size (as stored) | before | after | change |\n|---|--:|--:|--:|\n" + lines


def _changes_list(insights: dict) -> str:
    permissions = insights["permissions"]
    items = [
        f"permission added: {code(short_permission(p['name']))}"
        + (" (runtime: users are asked)" if p["dangerous"] else "")
        for p in permissions["added"]
    ] + [f"permission removed: {code(short_permission(p['name']))}" for p in permissions["removed"]]
    items += [
        f"{name.removesuffix('Version')}: {level['before']} → {level['after']}"
        for name, level in insights["sdk"].items()
        if level["changed"]
    ]
    items += [f"ABI added: {code(abi)}" for abi in insights["abis"]["added"]]
    items += [f"ABI removed: {code(abi)}" for abi in insights["abis"]["removed"]]
    return "".join(f"- {item}\n" for item in items) or "No permission, SDK or ABI change."


def _version(app: dict | None, label: str) -> dict | None:
    return next((v for v in (app or {}).get("versions") or [] if v["version"] == label), None)
