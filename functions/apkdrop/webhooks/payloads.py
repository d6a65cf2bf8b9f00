"""What each kind of hook receives: the signed JSON event, or a Slack Block Kit message."""

from apkdrop.apk.insights import Insights, signer_changed_warning
from apkdrop.builds.models import Build
from apkdrop.webhooks.models import Envelope, EventType
from apkdrop.webhooks.signature import signature_header

# Slack's limits (Block Kit reference): a header's text, a section's text, a field's text.
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_FIELD_CHARS = 2000
JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": "apkdrop-webhooks"}


def signed_json(event: Envelope, secret: str, unix_seconds: int) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of a json hook's delivery; receivers dedupe on the event id."""
    body = event.model_dump_json().encode()
    return body, {
        **JSON_HEADERS,
        "X-Apkdrop-Event": event.type.value,
        "X-Apkdrop-Delivery": event.id,
        "X-Apkdrop-Signature": signature_header(secret, unix_seconds, body),
    }


def slack_message(event: Envelope, icon_url: str | None) -> dict:
    """An incoming-webhook payload: `text` is the notification's fallback (mrkdwn, like every
    text but the header's plain text), `blocks` the message."""
    if event.type in (EventType.BUILD_FINISHED, EventType.BUILD_FAILED):
        return _build_message(event.type, Build.model_validate(event.data))
    return _version_message(event, icon_url)


def _version_message(event: Envelope, icon_url: str | None) -> dict:
    data, version = event.data, event.data["version"]
    assert isinstance(version, dict)  # what events.version_data builds
    name = str(data["name"])
    apk = version["apkInfo"]
    assert isinstance(apk, dict)
    label = version["version"]
    deleted = event.type is EventType.VERSION_DELETED
    title = f"{name} {label} was deleted" if deleted else f"{name} {label} is ready to install"
    fields = {
        "APK version": f"{apk['versionName'] or '?'} ({apk['versionCode'] or '?'})",
        "Platform version": str(label),
        "Channel": str(version.get("channel")),
        "Uploaded by": str(version["uploaderEmail"]),
    }
    section: dict = {
        "type": "section",
        "text": _mrkdwn(f"*{_escape(name)}* `{_escape(str(data['packageName']))}`"),
        "fields": [
            _mrkdwn(f"*{key}*\n{_escape(value)}", SLACK_FIELD_CHARS)
            for key, value in fields.items()
        ],
    }
    if icon_url:
        section["accessory"] = {"type": "image", "image_url": icon_url, "alt_text": f"{name} icon"}
    blocks = [_header(title), section, *_insight_blocks(version.get("insights"))]
    if not deleted:
        blocks.append(_open_button(str(version["versionedMagicLink"])))
    return {"text": _escape(title), "blocks": blocks}


def _insight_blocks(insights: object) -> list[dict]:
    if not isinstance(insights, dict):
        return []
    parsed = Insights.model_validate(insights)
    lines = []
    if parsed.size_line:
        lines.append(f"Size: {parsed.size_line}")
    if parsed.signer.changed:
        lines.append(f":warning: {signer_changed_warning(parsed)}")
    if not lines:
        return []
    return [{"type": "context", "elements": [_mrkdwn(_escape("\n".join(lines)))]}]


def _build_message(kind: EventType, build: Build) -> dict:
    failed = kind is EventType.BUILD_FAILED
    title = f"Build {build.id} ({build.buildFileName}) " + ("FAILED" if failed else "finished")
    lines = [
        f"*{_escape(build.buildFileName)}*, {build.buildType.value}, context {build.contextId}"
    ]
    if build.apkInfo:
        info = build.apkInfo
        lines.append(
            f"`{_escape(info.packageName)}` {_escape(str(info.versionName))} ({info.versionCode})"
        )
    if failed:
        lines.append(f"Reason: {_escape(build.failureReason or 'unknown')}")
    section = {"type": "section", "text": _mrkdwn("\n".join(lines))}
    return {"text": _escape(title), "blocks": [_header(title), section]}


def _header(text: str) -> dict:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _cut(text, SLACK_HEADER_CHARS)},
    }


def _open_button(url: str) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Open"},
        "url": url,
        "action_id": "open",
    }
    return {"type": "actions", "elements": [button]}


def _mrkdwn(text: str, limit: int = SLACK_SECTION_CHARS) -> dict:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters: APK-supplied text must not become a link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
