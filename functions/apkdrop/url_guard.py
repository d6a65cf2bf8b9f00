"""The SSRF guard of every URL apkdrop calls on a caller's behalf (`apkUrl`, webhooks).

Every address a name resolves to must be public, and the connection goes to that checked
address (no second lookup a DNS rebinding could answer differently).
"""

import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from apkdrop.errors import InvalidRequest

if TYPE_CHECKING:  # only its callers import httpx: webhooks' models reach this module too
    import httpx

MAX_URL_CHARS = 2048  # what browsers and CDNs reliably accept
BLOCKED_NAMES = {"metadata", "metadata.google.internal"}
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# Not public, yet `is_global` lets them through (as of Python 3.11-3.13): refused by name.
DENIED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
        "fec0::/10",  # site-local (deprecated by RFC 3879)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
        "3fff::/20",  # documentation (RFC 9637)
    )
)
# Raises InvalidRequest("host 'x' does not resolve") for a name without addresses.
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidRequest(f"host {host!r} does not resolve") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: IpAddress) -> bool:
    """Public unicast only, looking through IPv4-mapped, 6to4 and Teredo forms."""
    if any(address in network for network in DENIED_NETWORKS):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        if address in NAT64 or address in IPV4_COMPATIBLE:  # the last 32 bits are IPv4
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(inner is not None and not is_public(inner) for inner in embedded):
            return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """A URL whose host was resolved and checked, and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IpAddress

    def pinned_url(self) -> str:
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        path = parts.path or "/"
        return f"{self.scheme}://{literal}:{self.port}{path}" + (
            f"?{parts.query}" if parts.query else ""
        )

    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        return self.host if self.port == default else f"{self.host}:{self.port}"

    def request(
        self,
        client: "httpx.Client",
        method: str,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> "httpx.Request":
        """A request to the checked address, naming the host in Host and in TLS (SNI), so
        the certificate is checked against the name. Raises httpx.InvalidURL."""
        return client.build_request(
            method,
            self.pinned_url(),
            headers={**(headers or {}), "Host": self.host_header()},
            content=content,
            extensions={"sni_hostname": self.host} if self.scheme == "https" else {},
        )


def send_within(
    client: "httpx.Client", request: "httpx.Request", seconds: float
) -> "httpx.Response":
    """`client.send(request, stream=True)`, given up after `seconds` however the server answers:
    a status line and headers trickled a byte at a time keep every read under its timeout.
    Raises TimeoutError then. The send runs on a thread of its own; closing the client after
    it ends that thread's connection."""
    sending = ThreadPoolExecutor(1, thread_name_prefix="outbound-send")
    try:
        return sending.submit(client.send, request, stream=True).result(timeout=seconds)
    finally:
        sending.shutdown(wait=False)


@dataclass(frozen=True)
class UrlRules:
    """What one kind of URL may be: `label` names it in refusals; `ports` maps each allowed
    scheme to its one port."""

    label: str
    ports: dict[str, int]

    def refuse(self, problem: str) -> InvalidRequest:
        return InvalidRequest(f"{self.label} {problem}")

    @property
    def port_rule(self) -> str:
        return "must use port " + " or ".join(str(port) for port in self.ports.values())


def check_url(
    url: str, rules: UrlRules, resolver: Resolver, loopback_port: int | None = None
) -> Target:
    """Refuses anything but `rules`' schemes on their ports, to public addresses only; returns
    where to connect. `loopback_port` (tests only) admits a loopback server on that port, and
    then nothing beyond this machine."""
    if len(url) > MAX_URL_CHARS:
        raise rules.refuse(f"must be at most {MAX_URL_CHARS} characters")
    if not url.isprintable():
        raise rules.refuse("is not a valid URL")
    try:
        parts = urlsplit(url)
        port = parts.port
        # Internationalised names travel as their ASCII (punycode) form.
        host = (parts.hostname or "").rstrip(".").lower().encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise rules.refuse("is not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in rules.ports or not host:
        raise rules.refuse(f"must be an {' or '.join(rules.ports)} URL")
    if parts.username or parts.password:
        raise rules.refuse("must not carry credentials")
    if port == 0:
        raise rules.refuse(rules.port_rule)
    port = port or rules.ports[scheme]
    allowed = port in rules.ports.values()
    if not allowed and port != loopback_port:
        raise rules.refuse(rules.port_rule)
    if host in BLOCKED_NAMES:
        raise rules.refuse("points to a private or reserved address")
    addresses = [
        ipaddress.ip_address(a.split("%")[0]) for a in _resolve(host, port, rules, resolver)
    ]
    if not addresses:
        raise rules.refuse(f"host {host!r} does not resolve")
    test_loopback = port == loopback_port and all(a.is_loopback for a in addresses)
    if not allowed and not test_loopback:
        raise rules.refuse(rules.port_rule)
    if not test_loopback and not all(is_public(address) for address in addresses):
        raise rules.refuse("points to a private or reserved address")
    if loopback_port is not None and not test_loopback:
        # Test stacks must never send traffic beyond this machine.
        raise rules.refuse("may only reach the loopback test server here")
    return Target(url, scheme, host, port, addresses[0])


def _resolve(host: str, port: int, rules: UrlRules, resolver: Resolver) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]  # a literal address needs no lookup
    except ValueError:
        pass
    try:
        return resolver(host, port)
    except InvalidRequest as exc:
        raise rules.refuse(exc.detail) from exc
