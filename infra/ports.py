"""Loopback ports for the local stack (standard library only: `make dev` checks its port first)."""

import random
import socket

# Below Linux's ephemeral range (32768-60999), which every outgoing connection draws from: a
# port found free there can be taken by a client socket before our server binds it.
PORT_RANGE = range(20000, 32768)


def free_port() -> int:
    while not port_is_free(port := random.choice(PORT_RANGE)):
        pass
    return port


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
