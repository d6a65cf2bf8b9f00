"""Connections opened ahead of parallel reads (adapters/connection_warmup.py), against a
loopback server that counts the connections it accepts: ready when the reads come, never opened
twice."""

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from apkdrop.adapters.connection_warmup import open_connections


class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Cloud Storage

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Answer)
        self.accepted = 0

    def process_request(self, request: socket.socket, client_address: object) -> None:
        self.accepted += 1
        super().process_request(request, client_address)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[CountingServer]:
    server = CountingServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def url_of(server: CountingServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_connections_are_opened_before_any_request_and_the_reads_use_them(
    server: CountingServer,
) -> None:
    session = requests.Session()
    open_connections(session, url_of(server), 4)
    wait_for(lambda: server.accepted == 4)
    time.sleep(0.2)  # the pooling follows each connect() at once
    barrier = threading.Barrier(4)

    def read(_: int) -> str:
        barrier.wait()
        return session.get(url_of(server) + "/o", timeout=10).text

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(read, range(4))) == ["ok"] * 4
    assert server.accepted == 4


def test_a_pool_that_holds_them_already_opens_none(server: CountingServer) -> None:
    session = requests.Session()
    open_connections(session, url_of(server), 3)
    wait_for(lambda: server.accepted == 3)
    time.sleep(0.2)
    open_connections(session, url_of(server), 3)
    time.sleep(0.2)
    assert server.accepted == 3


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_host_that_refuses_connections_fails_the_read_not_the_warm_up() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    session = requests.Session()
    open_connections(session, closed, 2)
    time.sleep(0.2)
    with pytest.raises(requests.ConnectionError):
        session.get(closed + "/o", timeout=5)
