"""A loopback web server that `apkUrl` imports fetch from (tests allow its port explicitly)."""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Trickle:
    """A body sent `piece` by `piece`, `pause` seconds apart."""

    pieces: int
    piece: bytes
    pause: float

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(self.pieces * len(self.piece)))
        handler.end_headers()
        try:
            for _ in range(self.pieces):
                handler.wfile.write(self.piece)
                handler.wfile.flush()
                time.sleep(self.pause)
        except ConnectionError:
            pass  # the fetcher gave up, as it should


class ApkServer:
    """Serves registered paths: a body, a redirect to another URL, or a trickle of bytes."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.trickles: dict[str, Trickle] = {}
        routes, trickles = self.routes, self.trickles

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path in trickles:
                    return trickles[self.path].send(self)
                status, headers, body = routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes) -> str:
        self.routes[path] = (200, {"Content-Type": "application/octet-stream"}, body)
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        self.routes[path] = (302, {"Location": location}, b"")
        return self.url(path)

    def trickle(self, path: str, pieces: int, piece: bytes, pause: float) -> str:
        self.trickles[path] = Trickle(pieces, piece, pause)
        return self.url(path)

    def __enter__(self) -> "ApkServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
