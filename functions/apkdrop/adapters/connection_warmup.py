"""Opening an instance's connections to Cloud Storage before the parallel reads that need them.

Settling an APK reads its end records, then several spans at once (apk/source.py). On an
instance's first event the client's pool holds a connection or none, so each of those reads
would first open its own: a TCP and a TLS handshake, a round trip or two more than the read.
Opened in the background while the first reads are in flight, they are ready for them; a warm
instance finds them pooled and opens nothing.
"""

import contextlib
import threading
from typing import TYPE_CHECKING

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool

if TYPE_CHECKING:  # urllib3 defines the protocol for type checkers only
    from urllib3._base_connection import BaseHTTPConnection


def open_connections(session: requests.Session, url: str, count: int) -> None:
    """Makes `count` connections to `url`'s host ready in `session`'s pool, the missing ones
    opened in background threads. Best effort: a connection that fails to open is pooled
    closed, and the read that takes it opens it again."""
    pool = _pool_of(session, url)
    # urllib3 documents _get_conn and _put_conn as the pool's own take and give back.
    taken = [pool._get_conn() for _ in range(count)]
    for connection in taken:
        if connection.is_connected:
            pool._put_conn(connection)
        else:
            threading.Thread(
                target=_open, args=(pool, connection), name="connection-warmup", daemon=True
            ).start()


def _pool_of(session: requests.Session, url: str) -> HTTPConnectionPool:
    """The pool requests sends `url` through: the same proxy, TLS and certificate settings."""
    settings = session.merge_environment_settings(url, {}, None, None, None)
    adapter = session.get_adapter(url)
    assert isinstance(adapter, HTTPAdapter)  # what requests and google-auth's sessions mount
    return adapter.get_connection_with_tls_context(
        requests.Request("GET", url).prepare(),
        verify=settings["verify"],
        proxies=settings["proxies"],
        cert=settings["cert"],
    )


def _open(pool: HTTPConnectionPool, connection: "BaseHTTPConnection") -> None:
    with contextlib.suppress(OSError, urllib3.exceptions.HTTPError):  # refused, timed out
        connection.connect()
    pool._put_conn(connection)
