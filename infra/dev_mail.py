"""`/_dev/mail` and `/_dev/mail.json` on the gateway: what the fake SendGrid received."""

import html
import json
from collections.abc import Callable

from werkzeug.wrappers import Response

from infra.fake_sendgrid import FakeSendGrid

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>apkdrop dev mail</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;background:#f3f4f6}}
article{{background:#fff;border-radius:8px;margin:0 0 24px;padding:16px}}
iframe{{width:100%;height:900px;border:1px solid #e5e7eb;border-radius:6px}}
h2{{font-size:16px;margin:0 0 4px}} p{{margin:0 0 12px;color:#6b7280}}</style></head>
<body><h1>Mail received by the fake SendGrid ({count}, newest first)</h1>{articles}</body></html>"""
ARTICLE = (
    "<article><h2>{subject}</h2><p>To: {to}</p>"
    '<iframe sandbox title="{subject}" srcdoc="{html}"></iframe></article>'
)


def dev_mail_pages(fake: FakeSendGrid) -> dict[str, Callable[[], Response]]:
    def as_json() -> Response:
        keys = ("to", "subject", "html", "text")
        body = [{key: message[key] for key in keys} for message in fake.messages]
        return Response(json.dumps(body), mimetype="application/json")

    def as_page() -> Response:
        articles = "".join(
            ARTICLE.format(
                subject=html.escape(message["subject"]),
                to=html.escape(", ".join(message["to"])),
                html=html.escape(message["html"], quote=True),
            )
            for message in reversed(fake.messages)
        )
        page = PAGE.format(count=len(fake.messages), articles=articles or "<p>No mail yet.</p>")
        return Response(page, mimetype="text/html")

    return {"/_dev/mail": as_page, "/_dev/mail.json": as_json}
