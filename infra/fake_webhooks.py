"""The local stack's webhook receiver, on the gateway: it keeps every delivery (raw body and
headers) under the name in its URL, and answers as a test tells it to.

- `POST /_dev/webhooks/receive/{name}`: a delivery (a hook registers
  `{stack URL}/_dev/webhooks/receive/NAME`).
- `POST /_dev/webhooks/behaviour/{name}` `{"status": 503, "count": 2}`: the next 2 deliveries
  to NAME are answered 503 (then 200 again).
- `GET /_dev/webhooks.json` (`?name=NAME` for one name's) and `GET /_dev/webhooks` (a page).
"""

import html
import json
import re
import threading
import time

from werkzeug.wrappers import Request, Response

from apkdrop.webhooks.sender import DEV_RECEIVER_NAME

DEV_RECEIVER_PATH = "/_dev/webhooks/receive/"
BEHAVIOUR = re.compile(r"/_dev/webhooks/behaviour/(?P<name>[^/]+)")
MAX_BODY_BYTES = 1024**2
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>apkdrop dev webhooks</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;background:#f3f4f6}}
article{{background:#fff;border-radius:8px;margin:0 0 24px;padding:16px}}
pre{{white-space:pre-wrap;word-break:break-all}}</style></head>
<body><h1>Webhook deliveries received ({count}, newest first)</h1>{articles}</body></html>"""
ARTICLE = "<article><h2>{name}: {status}</h2><pre>{headers}</pre><pre>{body}</pre></article>"


class FakeWebhookReceiver:
    def __init__(self) -> None:
        self.deliveries: list[dict] = []
        self._answers: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response | None:
        """The answer to a request for one of its paths; None for any other path."""
        path = request.path
        if path.startswith(DEV_RECEIVER_PATH) and request.method == "POST":
            return self._receive(path.removeprefix(DEV_RECEIVER_PATH), request)
        if (behaviour := BEHAVIOUR.fullmatch(path)) and request.method == "POST":
            order = json.loads(request.get_data())
            statuses = [int(order["status"])] * int(order.get("count", 1))
            with self._lock:
                self._answers.setdefault(behaviour["name"], []).extend(statuses)
            return Response(status=204)
        if path == "/_dev/webhooks.json":
            name = request.args.get("name")
            found = [d for d in self.deliveries if name is None or d["name"] == name]
            return Response(json.dumps(found), mimetype="application/json")
        if path == "/_dev/webhooks":
            return self._page()
        return None

    def _receive(self, name: str, request: Request) -> Response:
        if not DEV_RECEIVER_NAME.fullmatch(name):
            return Response(b'{"detail": "Not Found"}', 404, mimetype="application/json")
        body = request.stream.read(MAX_BODY_BYTES)
        with self._lock:
            waiting = self._answers.get(name) or []
            status = waiting.pop(0) if waiting else 200
            self.deliveries.append(
                {
                    "name": name,
                    "status": status,
                    "receivedAt": time.time(),
                    "headers": dict(request.headers.items()),
                    "body": body.decode("utf-8", errors="replace"),
                }
            )
        return Response(json.dumps({"status": status}), status, mimetype="application/json")

    def _page(self) -> Response:
        articles = "".join(
            ARTICLE.format(
                name=html.escape(d["name"]),
                status=d["status"],
                headers=html.escape(json.dumps(d["headers"], indent=1)),
                body=html.escape(d["body"]),
            )
            for d in reversed(self.deliveries)
        )
        page = PAGE.format(count=len(self.deliveries), articles=articles or "<p>None yet.</p>")
        return Response(page, mimetype="text/html")
