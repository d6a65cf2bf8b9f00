"""A loopback stand-in for SendGrid's `/v3/mail/send` that keeps what it receives.

It answers as SendGrid does (202; 400 on a malformed payload; 401 without a key) and, when a
test asks (`POST /_control/failures {"status": 429, "count": 1}`), fails the next sends.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# SendGrid's limits per request: 1000 personalizations, 1000 recipients, each address once.
MAX_RECIPIENTS = 1000


def _is_address(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("email"), str) and "@" in value["email"]


def _recipient_errors(addresses: list[str]) -> list[dict[str, str]]:
    if len(addresses) > MAX_RECIPIENTS:
        return [{"field": "personalizations", "message": "at most 1000 recipients"}]
    if len({address.lower() for address in addresses}) < len(addresses):
        return [{"field": "personalizations", "message": "each address only once"}]
    return []


def mail_errors(payload: object) -> list[dict[str, str]]:
    """What SendGrid would say is wrong with a v3 mail payload (the parts we rely on)."""
    if not isinstance(payload, dict):
        return [{"field": None, "message": "Bad Request"}]
    errors = []
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append({"field": "personalizations", "message": "required"})
    elif not all(
        isinstance(p, dict)
        and isinstance(p.get("to"), list)
        and p["to"]
        and all(_is_address(to) for to in p["to"])
        for p in personalizations
    ):
        errors.append({"field": "personalizations.to", "message": "a valid email is required"})
    else:
        errors += _recipient_errors([to["email"] for p in personalizations for to in p["to"]])
    if not _is_address(payload.get("from")):
        errors.append({"field": "from.email", "message": "required"})
    if not isinstance(payload.get("subject"), str) or not payload["subject"]:
        errors.append({"field": "subject", "message": "required"})
    content = payload.get("content")
    if (
        not isinstance(content, list)
        or not content
        or not all(
            isinstance(part, dict)
            and isinstance(part.get("type"), str)
            and isinstance(part.get("value"), str)
            for part in content
        )
    ):
        errors.append({"field": "content", "message": "a list of {type, value} is required"})
    return errors


class FakeSendGrid:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/_control/failures":
                    order = json.loads(body)
                    with fake._lock:
                        fake._failures.extend([int(order["status"])] * int(order.get("count", 1)))
                    return self._answer(204, None)
                if self.path != "/v3/mail/send":
                    return self._answer(404, {"errors": [{"message": "not found"}]})
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    return self._answer(401, {"errors": [{"message": "authorization required"}]})
                self._answer(*fake.receive(body))

            def do_GET(self) -> None:
                if self.path == "/_messages":
                    return self._answer(200, fake.messages)
                self._answer(404, {"errors": [{"message": "not found"}]})

            def _answer(self, status: int, payload: object) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-sendgrid", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def receive(self, body: bytes) -> tuple[int, object]:
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                return status, {"errors": [{"message": f"simulated {status}"}]}
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        errors = mail_errors(payload)
        if errors:
            return 400, {"errors": errors}
        content = {part["type"]: part["value"] for part in payload["content"]}
        # One entry per personalization: what each envelope's recipients receive.
        with self._lock:
            self.messages.extend(
                {
                    "to": [to["email"] for to in personalization["to"]],
                    "from": payload["from"]["email"],
                    "subject": payload["subject"],
                    "html": content.get("text/html", ""),
                    "text": content.get("text/plain", ""),
                }
                for personalization in payload["personalizations"]
            )
        return 202, None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Safe before start (shutdown() would wait forever for a loop that never ran) and twice."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
