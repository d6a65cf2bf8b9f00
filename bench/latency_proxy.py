"""A loopback TCP proxy that adds a round-trip time, so a benchmark against the local storage
emulator sees Cloud Storage's latency as well as its own CPU costs.

Each direction forwards its bytes half the round trip after they arrived, in order, so one
request and its answer take at least the round trip, as over a network. A new connection costs
one round trip more (TCP's handshake; TLS's is not modelled), in the client's connect() as over
a network: `slow_handshakes`, applied in the measuring process.
"""

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator


@contextlib.contextmanager
def latency_proxy(target_port: int, round_trip_seconds: float) -> Iterator[int]:
    """Serve a proxy to 127.0.0.1:target_port on a thread; yield its port."""
    loop = asyncio.new_event_loop()
    started: asyncio.Future[int] = loop.create_future()

    async def serve() -> None:
        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", target_port
            )
            delay = round_trip_seconds / 2
            await asyncio.gather(
                _forward(reader, upstream_writer, delay), _forward(upstream_reader, writer, delay)
            )

        server = await asyncio.start_server(connection, "127.0.0.1", 0)
        started.set_result(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    def run() -> None:
        with contextlib.suppress(RuntimeError):  # stopped on exit, its connections unfinished
            loop.run_until_complete(serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    port = asyncio.run_coroutine_threadsafe(_result(started), loop).result(timeout=10)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(loop.stop)


def slow_handshakes(round_trip_seconds: float) -> None:
    """Makes every urllib3 connection of this process take a round trip to open. A loopback
    connect() returns at once, so the proxy cannot model this: a connection opened ahead of its
    first request must be ready for it, not still in its handshake."""
    from urllib3.connection import HTTPConnection

    connect = HTTPConnection.connect

    def connect_after_a_round_trip(self: HTTPConnection) -> None:
        time.sleep(round_trip_seconds)
        connect(self)

    HTTPConnection.connect = connect_after_a_round_trip  # type: ignore[method-assign]


async def _result(future: "asyncio.Future[int]") -> int:
    return await future


async def _forward(
    source: asyncio.StreamReader, destination: asyncio.StreamWriter, delay: float
) -> None:
    """Copy source to destination, each chunk ``delay`` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not data:
                destination.close()
                return
            destination.write(data)
            await destination.drain()

    sender = asyncio.ensure_future(send())
    with contextlib.suppress(ConnectionError):
        while data := await source.read(256 * 1024):
            queue.put_nowait((loop.time() + delay, data))
    queue.put_nowait((loop.time() + delay, b""))
    with contextlib.suppress(ConnectionError):
        await sender
