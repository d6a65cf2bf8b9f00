"""What changed since the previous version or build, as the server's `insights` say: a line for
people, and the step outputs `size-delta` and `signer-changed`."""

from apkdrop_cli.output import signed_size

ANDROID_PERMISSION = "android.permission."
# The server's channel for uploads that name none: not worth naming in every line.
DEFAULT_CHANNEL = "default"


def insights_line(insights: dict | None) -> str | None:
    """E.g. "changes since 1.0 (beta): +1.2 MiB; permissions +CAMERA (runtime), -NFC; targetSdk
    33 -> 35". None when there is nothing to compare with."""
    if not insights:
        return None
    parts = []
    size = insights.get("size")
    if size:
        parts.append(signed_size(size["file"]["delta"]))
    permissions = [
        f"+{short_permission(p['name'])}{' (runtime)' if p['dangerous'] else ''}"
        for p in insights["permissions"]["added"]
    ] + [f"-{short_permission(p['name'])}" for p in insights["permissions"]["removed"]]
    if permissions:
        parts.append("permissions " + ", ".join(permissions))
    for name, level in insights["sdk"].items():
        if level["changed"]:
            parts.append(f"{name.removesuffix('Version')} {level['before']} -> {level['after']}")
    abis = [f"+{abi}" for abi in insights["abis"]["added"]]
    abis += [f"-{abi}" for abi in insights["abis"]["removed"]]
    if abis:
        parts.append("ABIs " + ", ".join(abis))
    if insights["signer"]["changed"]:
        parts.append("SIGNER CHANGED")
    return f"changes since {since(insights)}: {'; '.join(parts) or 'none'}"


def insights_outputs(insights: dict | None) -> dict[str, str]:
    """size-delta: the file's change in bytes (signed; empty without a comparison);
    signer-changed: true or false."""
    size = (insights or {}).get("size")
    return {
        "size-delta": str(size["file"]["delta"]) if size else "",
        "signer-changed": "true" if insights and insights["signer"]["changed"] else "false",
    }


def since(insights: dict) -> str:
    compared = insights["comparedTo"]
    if "version" in compared:
        channel = compared.get("channel")
        if channel in (None, DEFAULT_CHANNEL):
            return compared["version"]
        return f"{compared['version']} ({channel})"
    return f"build {compared['buildId']} (context {compared['contextId']})"


def short_permission(permission: str) -> str:
    return permission.removeprefix(ANDROID_PERMISSION)
