"""Rendering the upload email from Jinja2 templates; HTML escapes everything it is given."""

from datetime import UTC
from pathlib import Path

from pydantic import HttpUrl

from apkdrop import links
from apkdrop.apk.insights import Insights, signer_changed_warning
from apkdrop.applications.models import Application, Version
from apkdrop.notifications.models import RenderedEmail
from apkdrop.templating import environment

TEMPLATES = Path(__file__).parent / "templates"
_html = environment(TEMPLATES)
_text = environment(TEMPLATES, html=False)


def upload_email(
    app: Application,
    version: Version,
    recipients: list[str],
    base_url: HttpUrl | str,
    icon_url: str | None,
    insights: Insights | None,
) -> RenderedEmail:
    """The upload email, as an HTML part and a plain-text part; it links to this version. It
    tells `insights` (the version's, when the recipients may open what they compare with)."""
    name = version.apkInfo.appLabel or app.packageName
    values = {
        "app_name": name,
        "package_name": app.packageName,
        "version_name": version.apkInfo.versionName,
        "version_code": version.apkInfo.versionCode,
        "version": version.version,
        "channel": version.channel,
        "file_type": version.fileType,
        "access_type": version.accessType.lower(),
        "versioned_link": links.versioned_link(base_url, app.id, version.versionNumber),
        "app_id": app.id,
        "upload_time": version.uploadTime.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC"),
        "uploader_email": version.uploaderEmail,
        "release_notes": version.releaseNotes,
        "icon_url": icon_url,
        "size_change": insights.size_line if insights else None,
        "signer_warning": signer_changed_warning(insights)
        if insights and insights.signer.changed
        else None,
    }
    # A label is APK-supplied text: no line breaks may reach a mail header.
    subject = f"🚀 {' '.join(name.split())} - Successfully Uploaded to apkdrop"
    return RenderedEmail(
        to=recipients,
        subject=subject,
        html=_html.get_template("upload_email.html").render(subject=subject, **values),
        text=_text.get_template("upload_email.txt").render(**values),
    )


def sign_in_email(email: str, app_name: str, link: str, minutes: int) -> RenderedEmail:
    """A one-time sign-in link for a private app, valid for `minutes`."""
    name = " ".join(app_name.split())
    values = {"app_name": name, "link": link, "minutes": minutes}
    subject = f"Your sign-in link for {name} on apkdrop"
    return RenderedEmail(
        to=[email],
        subject=subject,
        html=_html.get_template("sign_in_email.html").render(subject=subject, **values),
        text=_text.get_template("sign_in_email.txt").render(**values),
    )
