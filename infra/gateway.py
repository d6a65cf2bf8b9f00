"""The local stand-in for the load balancer: one port, paths routed to functions by the table."""

import http.cookiejar
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import httpx
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from infra.routes import RoutesTable

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
HealthCheck = Callable[[], bool]
WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
# A local stand-in served on the gateway: its answer, or None for a path that is not its.
DevHandler = Callable[[Request], Response | None]


class Gateway:
    """Proxies each request to the function its path routes to; answers /healthz itself."""

    def __init__(
        self,
        table: RoutesTable,
        function_urls: dict[str, str],
        health_checks: dict[str, HealthCheck],
        dev_pages: dict[str, Callable[[], Response]],
        transport: httpx.BaseTransport | None = None,
        dev_apps: Mapping[str, WsgiApp] | None = None,
        dev_handlers: Sequence[DevHandler] = (),
    ) -> None:
        self._dev_pages = dev_pages
        self._dev_apps = dict(dev_apps or {})  # fakes of third-party APIs, by path prefix
        self._dev_handlers = dev_handlers  # fakes of third-party receivers (webhooks)
        self._table = table
        self._function_urls = function_urls
        self._health_checks = health_checks
        # A proxy must not keep cookies: one visitor's session would go out with everyone's.
        no_cookies = http.cookiejar.CookieJar(
            http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        )
        self._http = httpx.Client(
            timeout=httpx.Timeout(300, connect=5), cookies=no_cookies, transport=transport
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        path = environ.get("PATH_INFO", "")
        for prefix, app in self._dev_apps.items():
            if path.startswith(prefix + "/"):
                # Mounted as a WSGI server mounts an app: it sees only the path under `prefix`.
                inner = {**environ, "SCRIPT_NAME": prefix, "PATH_INFO": path[len(prefix) :]}
                return app(inner, start_response)
        if request.path == "/healthz":
            response = self._health()
        elif request.path in self._dev_pages:
            response = self._dev_pages[request.path]()
        else:
            answers = (handler(request) for handler in self._dev_handlers)
            response = next((a for a in answers if a is not None), None) or self._forward(request)
        return response(environ, start_response)

    def _health(self) -> Response:
        results = {name: check() for name, check in self._health_checks.items()}
        healthy = all(results.values())
        body = {
            "status": "ok" if healthy else "unavailable",
            "components": {name: "ok" if up else "down" for name, up in results.items()},
        }
        return Response(json.dumps(body), 200 if healthy else 503, mimetype="application/json")

    def _forward(self, request: Request) -> Response:
        function = self._table.function_for(request.path)
        if function is None:
            return Response(b'{"detail": "Not Found"}', 404, mimetype="application/json")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.setdefault("X-Request-Id", uuid.uuid4().hex)
        headers["X-Forwarded-For"] = request.remote_addr or ""
        # The host the client named, as the load balancer passes it on: the pages' same-origin
        # guard compares a form's Origin with it.
        headers["Host"] = headers["X-Forwarded-Host"] = request.host
        headers["X-Forwarded-Proto"] = request.scheme
        # The request line as the client sent it (still percent-encoded), like a load balancer.
        target = request.environ.get("RAW_URI") or request.full_path.rstrip("?")
        try:
            upstream = self._http.build_request(
                request.method,
                self._function_urls[function] + target,
                headers=headers,
                content=request.get_data(),
            )
            answer = self._http.send(upstream, stream=True)
        except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
            # Google's front end refuses such requests (a non-ASCII header value among them)
            # before any function sees them.
            return Response(b'{"detail": "Malformed request"}', 400, mimetype="application/json")
        except httpx.TransportError:
            return Response(b'{"detail": "function unavailable"}', 502, mimetype="application/json")
        passed = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        return Response(_stream(answer), answer.status_code, headers=passed)

    def close(self) -> None:
        self._http.close()


def _stream(answer: httpx.Response) -> Iterator[bytes]:
    try:
        yield from answer.iter_raw()
    finally:
        answer.close()


class GatewayServer:
    """A threaded WSGI server running the gateway in the background."""

    def __init__(self, gateway: Gateway, host: str, port: int) -> None:
        self._gateway = gateway
        self._server: BaseWSGIServer = make_server(host, port, gateway, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="gateway", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Safe before start (shutdown() would wait forever for a loop that never ran)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self._gateway.close()
