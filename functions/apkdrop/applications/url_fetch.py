"""Fetching `apkUrl` without letting a caller reach our network (SSRF).

Every address a name resolves to must be public, the connection goes to that checked address
(no second lookup a DNS rebinding could answer differently), and each redirect is checked again.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from apkdrop.applications.download_pace import DownloadPace, PaceWatch
from apkdrop.errors import InvalidRequest
from apkdrop.settings import ApplicationUploadSettings

MAX_REDIRECTS = 5
MAX_URL_CHARS = 2048  # what browsers and CDNs reliably accept
ALLOWED_PORTS = {"http": 80, "https": 443}
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
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidRequest(f"apkUrl host {host!r} does not resolve") from exc
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
        default = ALLOWED_PORTS[self.scheme]
        return self.host if self.port == default else f"{self.host}:{self.port}"


@dataclass
class UrlFetcher:
    resolver: Resolver
    connect_timeout: float
    read_timeout: float
    pace: DownloadPace
    # Tests only: a loopback server on this port may be fetched. None in production.
    loopback_port: int | None = None

    @classmethod
    def from_settings(cls, settings: ApplicationUploadSettings, resolver: Resolver) -> "UrlFetcher":
        pace = DownloadPace(
            settings.url_fetch_total_timeout_seconds,
            settings.url_fetch_min_bytes_per_second,
            settings.url_fetch_min_rate_grace_seconds,
        )
        return cls(
            resolver,
            settings.url_fetch_connect_timeout_seconds,
            settings.url_fetch_read_timeout_seconds,
            pace,
            settings.url_fetch_loopback_port,
        )

    @contextmanager
    def download(self, url: str) -> Iterator[Iterator[bytes]]:
        """Yields the body of `url` as it arrives, after following at most 5 checked redirects.

        Refused past the total deadline or below the minimum rate; one read may overrun the
        deadline by at most the read timeout, itself no longer than the deadline.
        """
        watch = self.pace.start()
        total = self.pace.total_seconds
        timeout = httpx.Timeout(
            min(self.read_timeout, total), connect=min(self.connect_timeout, total)
        )
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                target = self.check(url)
                try:
                    request = client.build_request(
                        "GET",
                        target.pinned_url(),
                        headers={"Host": target.host_header()},
                        extensions={"sni_hostname": target.host}
                        if target.scheme == "https"
                        else {},
                    )
                except httpx.InvalidURL as exc:
                    raise InvalidRequest("apkUrl is not a valid URL") from exc
                try:
                    response = client.send(request, stream=True)
                except httpx.HTTPError as exc:
                    raise InvalidRequest(f"apkUrl could not be fetched: {_reason(exc)}") from exc
                try:
                    watch.check_deadline()
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        url = urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise InvalidRequest(f"apkUrl answered HTTP {response.status_code}")
                    yield _chunks(response, watch)
                    return
                finally:
                    response.close()
        raise InvalidRequest(f"apkUrl redirected more than {MAX_REDIRECTS} times")

    def check(self, url: str) -> Target:
        """Refuses anything but http(s) on 80/443 to public addresses; returns where to go."""
        if len(url) > MAX_URL_CHARS:
            raise InvalidRequest(f"apkUrl must be at most {MAX_URL_CHARS} characters")
        if not url.isprintable():
            raise InvalidRequest("apkUrl is not a valid URL")
        try:
            parts = urlsplit(url)
            port = parts.port
            # Internationalised names travel as their ASCII (punycode) form.
            host = (parts.hostname or "").rstrip(".").lower().encode("idna").decode("ascii")
        except (ValueError, UnicodeError) as exc:
            raise InvalidRequest("apkUrl is not a valid URL") from exc
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_PORTS or not host:
            raise InvalidRequest("apkUrl must be an http or https URL")
        if parts.username or parts.password:
            raise InvalidRequest("apkUrl must not carry credentials")
        if port == 0:
            raise InvalidRequest("apkUrl must use port 80 or 443")
        port = port or ALLOWED_PORTS[scheme]
        if port not in ALLOWED_PORTS.values() and port != self.loopback_port:
            raise InvalidRequest("apkUrl must use port 80 or 443")
        if host in BLOCKED_NAMES:
            raise InvalidRequest("apkUrl points to a private or reserved address")
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self._resolve(host, port)]
        if not addresses:
            raise InvalidRequest(f"apkUrl host {host!r} does not resolve")
        test_loopback = port == self.loopback_port and all(a.is_loopback for a in addresses)
        if port not in ALLOWED_PORTS.values() and not test_loopback:
            raise InvalidRequest("apkUrl must use port 80 or 443")
        if not test_loopback and not all(is_public(address) for address in addresses):
            raise InvalidRequest("apkUrl points to a private or reserved address")
        if self.loopback_port is not None and not test_loopback:
            # Test stacks must never send traffic beyond this machine.
            raise InvalidRequest("apkUrl may only reach the loopback test server here")
        return Target(url, scheme, host, port, addresses[0])

    def _resolve(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]  # a literal address needs no lookup
        except ValueError:
            return self.resolver(host, port)


def _chunks(response: httpx.Response, watch: PaceWatch) -> Iterator[bytes]:
    received = 0
    try:
        # Each piece as it is read, so the pace is checked after every read.
        for piece in response.iter_bytes():
            received += len(piece)
            watch.check(received)
            yield piece
    except httpx.HTTPError as exc:
        raise InvalidRequest(f"apkUrl download failed: {_reason(exc)}") from exc


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return "connection failed"
