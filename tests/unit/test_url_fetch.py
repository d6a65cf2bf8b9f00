"""UrlFetcher: the SSRF checks on apkUrl, and downloads over a mock transport (no network)."""

import contextlib
import gzip
import ipaddress
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from apkdrop.applications import url_fetch
from apkdrop.applications.download_pace import DownloadPace
from apkdrop.applications.url_fetch import MAX_REDIRECTS, UrlFetcher
from apkdrop.errors import InvalidRequest
from apkdrop.url_guard import DENIED_NETWORKS, Target, is_public, system_resolver
from tests.fakes import FakeResolver, FakeWeb, make_settings

PRIVATE = "apkUrl points to a private or reserved address"
PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# Generous enough that no test here meets them unless it means to.
LENIENT_PACE = DownloadPace(total_seconds=60, min_bytes_per_second=1, grace_seconds=30)


def fetcher(
    names: dict[str, list[str]] | None = None,
    loopback_port: int | None = None,
    pace: DownloadPace = LENIENT_PACE,
):
    return UrlFetcher(FakeResolver(names), 1.0, 1.0, pace, loopback_port)


def refusal(fetch: UrlFetcher, url: str) -> str:
    with pytest.raises(InvalidRequest) as caught:
        fetch.check(url)
    return caught.value.detail


# --- check: addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["172.16.3.4"],
        ["192.168.1.1"],
        ["fd00::1"],
        ["::1"],
        ["::ffff:10.0.0.1"],
        ["::ffff:127.0.0.1"],
        ["2002:0a00:0001::"],  # 6to4 of 10.0.0.1
        ["2001:0:4136:e378:8000:63bf:f5ff:fff5"],  # Teredo
        ["fe80::1%eth0"],  # scoped link-local, as getaddrinfo reports it
        [PUBLIC_V4, "10.0.0.5"],  # one private address among public ones is enough
        ["10.0.0.5", PUBLIC_V4],
        [PUBLIC_V6, "fd00::1"],
    ],
)
def test_names_resolving_to_private_addresses_are_refused(addresses: list[str]) -> None:
    fetch = fetcher({"files.example.com": addresses})
    assert refusal(fetch, "https://files.example.com/app.apk") == PRIVATE
    assert fetch.resolver.calls == [("files.example.com", 443)]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/app.apk",
        "http://10.1.2.3/app.apk",
        "http://169.254.169.254/computeMetadata/v1/",
        "http://[::1]/app.apk",
        "http://[::ffff:127.0.0.1]/app.apk",
        "http://[fd00::1]/app.apk",
        "http://0.0.0.0/app.apk",
    ],
)
def test_private_literals_are_refused_without_a_lookup(url: str) -> None:
    fetch = fetcher()
    assert refusal(fetch, url) == PRIVATE
    assert fetch.resolver.calls == []


@pytest.mark.parametrize(
    "host",
    [
        "metadata.google.internal",
        "METADATA.google.internal",
        "metadata.google.internal.",
        "metadata",
    ],
)
def test_metadata_names_are_refused_without_asking_the_resolver(host: str) -> None:
    fetch = fetcher({host.rstrip(".").lower(): [PUBLIC_V4]})
    assert refusal(fetch, f"http://{host}/computeMetadata/v1/") == PRIVATE
    assert fetch.resolver.calls == []


def test_public_address_is_accepted_and_pinned() -> None:
    fetch = fetcher({"files.example.com": [PUBLIC_V4, "93.184.216.35"]})
    target = fetch.check("https://Files.Example.com./builds/app.apk?token=a%20b#frag")
    assert target == Target(
        "https://Files.Example.com./builds/app.apk?token=a%20b#frag",
        "https",
        "files.example.com",
        443,
        ipaddress.ip_address(PUBLIC_V4),
    )
    assert target.pinned_url() == f"https://{PUBLIC_V4}:443/builds/app.apk?token=a%20b"
    assert target.host_header() == "files.example.com"


def test_ipv6_address_is_pinned_in_brackets() -> None:
    fetch = fetcher({"v6.example.com": [PUBLIC_V6]})
    target = fetch.check("http://v6.example.com")
    assert target.pinned_url() == f"http://[{PUBLIC_V6}]:80/"
    assert target.host_header() == "v6.example.com"


def test_public_literal_needs_no_lookup() -> None:
    fetch = fetcher()
    target = fetch.check(f"http://{PUBLIC_V4}/a.apk")
    assert target.pinned_url() == f"http://{PUBLIC_V4}:80/a.apk"
    assert fetch.resolver.calls == []


def test_unresolvable_name() -> None:
    assert refusal(fetcher(), "https://nowhere.example/a.apk") == (
        "apkUrl host 'nowhere.example' does not resolve"
    )


def test_a_name_with_no_address_does_not_resolve() -> None:
    assert refusal(fetcher({"empty.example": []}), "https://empty.example/a.apk") == (
        "apkUrl host 'empty.example' does not resolve"
    )


# --- check: ports, schemes, credentials ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://files.example.com/a", 80),
        ("https://files.example.com/a", 443),
        ("http://files.example.com:443/a", 443),
        ("https://files.example.com:80/a", 80),
    ],
)
def test_ports_80_and_443(url: str, port: int) -> None:
    assert fetcher({"files.example.com": [PUBLIC_V4]}).check(url).port == port


def test_explicit_non_default_port_goes_in_the_host_header() -> None:
    target = fetcher({"files.example.com": [PUBLIC_V4]}).check("https://files.example.com:80/a")
    assert target.host_header() == "files.example.com:80"


@pytest.mark.parametrize("port", [8080, 8443, 22, 65535])
def test_other_ports_are_refused(port: int) -> None:
    fetch = fetcher({"files.example.com": [PUBLIC_V4]})
    assert refusal(fetch, f"https://files.example.com:{port}/a") == "apkUrl must use port 80 or 443"


def test_loopback_port_allows_loopback_only() -> None:
    fetch = fetcher({"localhost": ["127.0.0.1", "::1"], "files.example.com": [PUBLIC_V4]}, 8123)
    target = fetch.check("http://localhost:8123/a.apk")
    assert (target.port, str(target.address)) == (8123, "127.0.0.1")
    assert target.host_header() == "localhost:8123"
    # A public address on the loopback port is still refused...
    assert refusal(fetch, "http://files.example.com:8123/a") == "apkUrl must use port 80 or 443"
    # ...and so is a name mixing loopback and public addresses.
    fetch.resolver.names["mixed.example.com"] = ["127.0.0.1", PUBLIC_V4]
    assert refusal(fetch, "http://mixed.example.com:8123/a") == "apkUrl must use port 80 or 443"
    # Loopback on another port, or on the standard ports, is private as ever.
    assert refusal(fetch, "http://localhost:8124/a") == "apkUrl must use port 80 or 443"
    assert refusal(fetch, "http://localhost/a") == PRIVATE


def test_without_loopback_port_loopback_is_refused() -> None:
    fetch = fetcher({"localhost": ["127.0.0.1"]})
    assert refusal(fetch, "http://localhost:8123/a") == "apkUrl must use port 80 or 443"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@files.example.com/a.apk",
        "https://user@files.example.com/a.apk",
        "https://:pw@files.example.com/a.apk",
    ],
)
def test_credentials_are_refused(url: str) -> None:
    assert refusal(fetcher({"files.example.com": [PUBLIC_V4]}), url) == (
        "apkUrl must not carry credentials"
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.com/a.apk",
        "file:///etc/passwd",
        "gopher://files.example.com/",
        "javascript:alert(1)",
        "//files.example.com/a.apk",
        "files.example.com/a.apk",
        "http:///a.apk",
        "",
    ],
)
def test_other_schemes_are_refused(url: str) -> None:
    assert refusal(fetcher({"files.example.com": [PUBLIC_V4]}), url) == (
        "apkUrl must be an http or https URL"
    )


@pytest.mark.parametrize(
    "url", ["http://[::1/app.apk", "http://files.example.com:99999/", "http://a:b/"]
)
def test_malformed_urls(url: str) -> None:
    assert refusal(fetcher(), url) == "apkUrl is not a valid URL"


# --- is_public ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("172.16.0.1", False),
        ("192.0.2.1", False),  # TEST-NET-1
        ("192.168.0.1", False),
        ("198.18.0.1", False),  # benchmarking
        ("198.51.100.1", False),  # TEST-NET-2
        ("203.0.113.1", False),  # TEST-NET-3
        ("224.0.0.1", False),  # multicast
        ("239.255.255.250", False),
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("fc00::1", False),
        ("ff02::1", False),  # multicast
        ("ff0e::1", False),  # global-scope multicast
        ("2001:db8::1", False),  # documentation
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:0a00:0001::", False),  # 6to4 of 10.0.0.1
        ("2002:7f00:0001::", False),  # 6to4 of 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fff5", False),  # Teredo
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        (PUBLIC_V4, True),
        ("2606:4700:4700::1111", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


# Ranges `is_global` calls global: the first, a middle and the last address of each.
DENIED_RANGES = {
    "64:ff9b:1::/48": [
        "64:ff9b:1::",
        "64:ff9b:1:0:1::808:808",
        "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
    ],
    "::ffff:0:0:0/96": ["::ffff:0:0:0", "::ffff:0:808:808", "::ffff:0:ffff:ffff"],
    "fec0::/10": ["fec0::", "fec0::1", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    "192.0.0.0/24": ["192.0.0.0", "192.0.0.9", "192.0.0.10", "192.0.0.255"],
    "3fff::/20": ["3fff::", "3fff:1::1", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"],
}


@pytest.mark.parametrize(
    "address",
    [address for addresses in DENIED_RANGES.values() for address in addresses],
)
def test_ranges_is_global_lets_through_are_refused(address: str) -> None:
    assert is_public(ipaddress.ip_address(address)) is False
    fetch = fetcher({"files.example.com": [address]})
    assert refusal(fetch, "https://files.example.com/app.apk") == PRIVATE
    literal = f"[{address}]" if ":" in address else address
    assert refusal(fetcher(), f"https://{literal}/app.apk") == PRIVATE


@pytest.mark.parametrize("network", DENIED_RANGES)
def test_the_denied_ranges_are_the_ones_listed(network: str) -> None:
    assert ipaddress.ip_network(network) in DENIED_NETWORKS


@pytest.mark.parametrize(
    "address", ["192.0.1.1", "191.255.255.255", "3fff:1000::1", "2001:4860:4860::8888"]
)
def test_neighbours_of_the_denied_ranges_stay_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address)) is True


# --- the system resolver ------------------------------------------------------------------------


def test_system_resolver_lists_each_address_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(host: str, port: int, **kwargs: object) -> list:
        assert (host, port, kwargs) == ("files.example.com", 443, {"type": socket.SOCK_STREAM})
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, 443)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (PUBLIC_V6, 443, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, 443)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert system_resolver("files.example.com", 443) == [PUBLIC_V4, PUBLIC_V6]


@pytest.mark.parametrize(
    "error", [socket.gaierror(-2, "Name or service not known"), UnicodeError()]
)
def test_system_resolver_failure_is_a_client_error(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def getaddrinfo(*args: object, **kwargs: object) -> list:
        raise error

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(InvalidRequest) as caught:
        system_resolver("nowhere.example", 80)
    assert (
        caught.value.detail == "host 'nowhere.example' does not resolve"
    )  # check_url names the URL


# --- download, over httpx.MockTransport ---------------------------------------------------------


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> FakeWeb:
    served = FakeWeb()
    served.install(monkeypatch)
    return served


@pytest.fixture
def fetch() -> UrlFetcher:
    return fetcher(
        {
            "files.example.com": [PUBLIC_V4],
            "cdn.example.net": [PUBLIC_V6],
            "internal.example.com": ["10.0.0.7"],
        }
    )


def download(fetch: UrlFetcher, url: str) -> bytes:
    with fetch.download(url) as chunks:
        return b"".join(chunks)


def downloaded_refusal(fetch: UrlFetcher, url: str) -> str:
    with pytest.raises(InvalidRequest) as caught:
        download(fetch, url)
    return caught.value.detail


def test_download_goes_to_the_pinned_address_with_the_host_header(
    fetch: UrlFetcher, web: FakeWeb
) -> None:
    web.serve("https://files.example.com/builds/app.apk?v=2", b"APK BYTES" * 1000)

    assert download(fetch, "https://files.example.com/builds/app.apk?v=2") == b"APK BYTES" * 1000

    (request,) = web.requests
    assert str(request.url) == f"https://{PUBLIC_V4}/builds/app.apk?v=2"
    assert request.headers["Host"] == "files.example.com"
    assert request.extensions["sni_hostname"] == "files.example.com"
    assert request.method == "GET"


def test_download_over_ipv6_and_plain_http(fetch: UrlFetcher, web: FakeWeb) -> None:
    web.serve("http://cdn.example.net/a.apk", b"v6")
    assert download(fetch, "http://cdn.example.net/a.apk") == b"v6"
    (request,) = web.requests
    assert request.url.host == PUBLIC_V6
    assert request.headers["Host"] == "cdn.example.net"
    assert "sni_hostname" not in request.extensions


def test_redirects_are_followed_and_each_hop_is_pinned(fetch: UrlFetcher, web: FakeWeb) -> None:
    web.redirect("https://files.example.com/latest", "https://cdn.example.net/v/1.apk", 301)
    web.redirect("https://cdn.example.net/v/1.apk", "/v/2.apk", 307)  # relative
    web.serve("https://cdn.example.net/v/2.apk", b"final")

    assert download(fetch, "https://files.example.com/latest") == b"final"

    hosts = [(r.url.host, r.headers["Host"], r.url.path) for r in web.requests]
    assert hosts == [
        (PUBLIC_V4, "files.example.com", "/latest"),
        (PUBLIC_V6, "cdn.example.net", "/v/1.apk"),
        (PUBLIC_V6, "cdn.example.net", "/v/2.apk"),
    ]


@pytest.mark.parametrize(
    "location",
    [
        "http://internal.example.com/app.apk",
        "http://169.254.169.254/computeMetadata/v1/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::1]/app.apk",
    ],
)
def test_redirect_to_a_private_address_is_refused(
    fetch: UrlFetcher, web: FakeWeb, location: str
) -> None:
    web.redirect("https://files.example.com/go", location)
    assert downloaded_refusal(fetch, "https://files.example.com/go") == PRIVATE
    assert len(web.requests) == 1  # nothing was sent to the private address


@pytest.mark.parametrize(
    ("location", "detail"),
    [
        ("ftp://files.example.com/a.apk", "apkUrl must be an http or https URL"),
        ("https://files.example.com:8443/a.apk", "apkUrl must use port 80 or 443"),
        ("https://nowhere.example/a.apk", "apkUrl host 'nowhere.example' does not resolve"),
    ],
)
def test_redirect_targets_are_checked_like_the_url(
    fetch: UrlFetcher, web: FakeWeb, location: str, detail: str
) -> None:
    web.redirect("https://files.example.com/go", location)
    assert downloaded_refusal(fetch, "https://files.example.com/go") == detail


@pytest.mark.parametrize("location", ["https://[oops/a.apk", "//a]b/a.apk"])
def test_a_redirect_to_a_malformed_url_is_refused(
    fetch: UrlFetcher, web: FakeWeb, location: str
) -> None:
    web.redirect("https://files.example.com/go", location)

    assert downloaded_refusal(fetch, "https://files.example.com/go") == "apkUrl is not a valid URL"


class Network(httpx.SyncByteStream):
    """A body as a socket gives it, in reads of at most 64 KiB (httpcore's)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        for at in range(0, len(self._body), 64 * 1024):
            yield self._body[at : at + 64 * 1024]


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip", "br", "deflate"])
def test_an_encoded_answer_is_refused_before_it_is_inflated(
    fetch: UrlFetcher, web: FakeWeb, encoding: str
) -> None:
    """httpx inflates each read whole: 272 bytes of `gzip, gzip` would be 64 MiB at once."""
    bomb = gzip.compress(gzip.compress(bytes(64 * 1024 * 1024), 9), 9)
    web.route(
        "https://files.example.com/bomb.apk",
        lambda request: httpx.Response(
            200, stream=Network(bomb), headers={"Content-Encoding": encoding}
        ),
    )
    tracemalloc.start()
    try:
        refusal = downloaded_refusal(fetch, "https://files.example.com/bomb.apk")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert refusal == "apkUrl answered with a Content-Encoding: serve the file as it is"
    assert peak < 4 * 1024 * 1024
    (request,) = web.requests
    assert request.headers["Accept-Encoding"] == "identity"


def test_an_identity_encoding_is_the_file_itself(fetch: UrlFetcher, web: FakeWeb) -> None:
    web.route(
        "https://files.example.com/app.apk",
        lambda request: httpx.Response(
            200, content=b"APK", headers={"Content-Encoding": "Identity"}
        ),
    )
    assert download(fetch, "https://files.example.com/app.apk") == b"APK"


def redirect_chain(web: FakeWeb, hops: int) -> str:
    for hop in range(hops):
        web.redirect(f"https://files.example.com/hop/{hop}", f"/hop/{hop + 1}")
    web.serve(f"https://files.example.com/hop/{hops}", b"arrived")
    return "https://files.example.com/hop/0"


def test_five_redirects_are_allowed(fetch: UrlFetcher, web: FakeWeb) -> None:
    assert download(fetch, redirect_chain(web, MAX_REDIRECTS)) == b"arrived"
    assert len(web.requests) == MAX_REDIRECTS + 1


def test_six_redirects_are_refused(fetch: UrlFetcher, web: FakeWeb) -> None:
    detail = downloaded_refusal(fetch, redirect_chain(web, MAX_REDIRECTS + 1))
    assert detail == "apkUrl redirected more than 5 times"
    assert len(web.requests) == MAX_REDIRECTS + 1


def test_a_redirect_loop_is_refused(fetch: UrlFetcher, web: FakeWeb) -> None:
    web.redirect("https://files.example.com/loop", "https://files.example.com/loop")
    detail = downloaded_refusal(fetch, "https://files.example.com/loop")
    assert detail == "apkUrl redirected more than 5 times"


@pytest.mark.parametrize("status", [404, 500, 204, 206])
def test_non_200_is_refused(fetch: UrlFetcher, web: FakeWeb, status: int) -> None:
    web.serve("https://files.example.com/app.apk", b"nope", status=status)
    detail = downloaded_refusal(fetch, "https://files.example.com/app.apk")
    assert detail == f"apkUrl answered HTTP {status}"


def test_unknown_path_answers_404(fetch: UrlFetcher, web: FakeWeb) -> None:
    assert downloaded_refusal(fetch, "https://files.example.com/missing.apk") == (
        "apkUrl answered HTTP 404"
    )


@pytest.mark.parametrize("status", [302, 304])
def test_a_3xx_without_location_is_a_plain_status(
    fetch: UrlFetcher, web: FakeWeb, status: int
) -> None:
    web.route("https://files.example.com/odd", lambda request: httpx.Response(status))
    detail = downloaded_refusal(fetch, "https://files.example.com/odd")
    assert (detail, len(web.requests)) == (f"apkUrl answered HTTP {status}", 1)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("refused"), "connection failed"),
        (httpx.ConnectTimeout("slow"), "timed out"),
        (httpx.ReadTimeout("slow"), "timed out"),
        (httpx.RemoteProtocolError("garbage"), "connection failed"),
    ],
)
def test_transport_failures_are_client_errors(
    fetch: UrlFetcher, web: FakeWeb, error: Exception, reason: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    web.route("https://files.example.com/app.apk", fail)
    detail = downloaded_refusal(fetch, "https://files.example.com/app.apk")
    assert detail == f"apkUrl could not be fetched: {reason}"


def test_a_failure_mid_body_is_a_client_error(fetch: UrlFetcher, web: FakeWeb) -> None:
    class BrokenStream(httpx.SyncByteStream):
        def __iter__(self):
            yield b"first chunk"
            raise httpx.ReadError("connection reset")

    web.route(
        "https://files.example.com/app.apk",
        lambda request: httpx.Response(200, stream=BrokenStream()),
    )
    detail = downloaded_refusal(fetch, "https://files.example.com/app.apk")
    assert detail == "apkUrl download failed: connection failed"


def test_download_checks_before_connecting(fetch: UrlFetcher, web: FakeWeb) -> None:
    assert downloaded_refusal(fetch, "http://internal.example.com/a.apk") == PRIVATE
    assert web.requests == []


def test_the_client_ignores_proxies_and_does_not_follow_redirects_itself(
    fetch: UrlFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[dict] = []
    real_client = httpx.Client

    class RecordingClient(real_client):  # type: ignore[misc, valid-type]
        def __init__(self, **options: object) -> None:
            built.append(options)
            super().__init__(
                transport=httpx.MockTransport(lambda r: httpx.Response(200)), **options
            )

    monkeypatch.setattr(url_fetch.httpx, "Client", RecordingClient)
    assert download(fetch, "https://files.example.com/a.apk") == b""
    (options,) = built
    assert options["follow_redirects"] is False
    assert options["trust_env"] is False
    assert options["timeout"] == httpx.Timeout(1.0, connect=1.0)


# --- download pace: a total deadline and a minimum rate ----------------------------------------


class Trickle(httpx.SyncByteStream):
    """A body sent `piece` by `piece`, the clock moving `seconds` before each."""

    def __init__(self, clock: FakeClock, pieces: int, piece: bytes, seconds: float) -> None:
        self.clock, self.pieces, self.piece, self.seconds = clock, pieces, piece, seconds
        self.sent = 0

    def __iter__(self):
        for _ in range(self.pieces):
            self.clock.now += self.seconds
            self.sent += 1
            yield self.piece


def paced(clock: FakeClock, total: float, rate: int, grace: float) -> UrlFetcher:
    pace = DownloadPace(
        total_seconds=total, min_bytes_per_second=rate, grace_seconds=grace, clock=clock
    )
    return fetcher({"files.example.com": [PUBLIC_V4]}, pace=pace)


def trickled(web: FakeWeb, stream: Trickle) -> str:
    url = "https://files.example.com/slow.apk"
    web.route(url, lambda request: httpx.Response(200, stream=stream))
    return url


def test_a_download_past_the_total_deadline_is_refused(web: FakeWeb) -> None:
    clock = FakeClock()
    # 1 KiB a second: well above the minimum rate, but 100 seconds in all.
    stream = Trickle(clock, pieces=100, piece=b"x" * 1024, seconds=1)
    fetch = paced(clock, total=30, rate=10, grace=5)

    detail = downloaded_refusal(fetch, trickled(web, stream))

    assert detail == "apkUrl download took longer than 30 seconds"
    assert stream.sent == 31  # it stopped at the first read past the deadline


def test_a_download_below_the_minimum_rate_is_refused_after_the_grace_period(
    web: FakeWeb,
) -> None:
    clock = FakeClock()
    stream = Trickle(clock, pieces=1000, piece=b"x", seconds=0.5)  # 2 bytes a second
    fetch = paced(clock, total=300, rate=1024, grace=10)

    detail = downloaded_refusal(fetch, trickled(web, stream))

    assert detail == "apkUrl download was slower than 1024 bytes per second"
    assert stream.sent == 21  # the first read after 10 seconds


def test_a_slow_download_that_ends_within_the_grace_period_is_accepted(web: FakeWeb) -> None:
    clock = FakeClock()
    stream = Trickle(clock, pieces=9, piece=b"x", seconds=1)
    fetch = paced(clock, total=300, rate=1024, grace=10)
    assert download(fetch, trickled(web, stream)) == b"x" * 9


def test_a_long_download_at_the_minimum_rate_is_accepted(web: FakeWeb) -> None:
    clock = FakeClock()
    stream = Trickle(clock, pieces=60, piece=b"x" * 1024, seconds=1)
    fetch = paced(clock, total=300, rate=1024, grace=10)
    assert len(download(fetch, trickled(web, stream))) == 60 * 1024


def test_slow_redirects_count_towards_the_deadline(web: FakeWeb) -> None:
    clock = FakeClock()
    # Not a multiple of 10: no hop starts with no time left, which would race its own thread.
    fetch = paced(clock, total=35, rate=1, grace=5)

    def slow_redirect(request: httpx.Request) -> httpx.Response:
        clock.now += 10
        return httpx.Response(302, headers={"Location": "/loop"})

    web.route("https://files.example.com/loop", slow_redirect)
    detail = downloaded_refusal(fetch, "https://files.example.com/loop")
    assert detail == "apkUrl download took longer than 35 seconds"
    assert len(web.requests) == 4


def test_headers_trickled_past_the_deadline_are_cut_off_at_it(web: FakeWeb) -> None:
    # A server that sends its status line and headers a byte at a time keeps every read under
    # the read timeout: the deadline must hold before the first byte of the body too.
    headers_done = threading.Event()

    def trickled_headers(request: httpx.Request) -> httpx.Response:
        headers_done.wait(10)
        return httpx.Response(200, content=b"late")

    web.route("https://files.example.com/slow.apk", trickled_headers)
    pace = DownloadPace(total_seconds=0.3, min_bytes_per_second=1, grace_seconds=0.1)
    fetch = fetcher({"files.example.com": [PUBLIC_V4]}, pace=pace)

    started = time.monotonic()
    try:
        detail = downloaded_refusal(fetch, "https://files.example.com/slow.apk")
    finally:
        headers_done.set()
    assert detail == "apkUrl download took longer than 0.3 seconds"
    assert time.monotonic() - started < 3


def test_no_single_read_may_wait_longer_than_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[dict] = []
    real_client = httpx.Client

    class RecordingClient(real_client):  # type: ignore[misc, valid-type]
        def __init__(self, **options: object) -> None:
            built.append(options)
            super().__init__(
                transport=httpx.MockTransport(lambda r: httpx.Response(200)), **options
            )

    monkeypatch.setattr(url_fetch.httpx, "Client", RecordingClient)
    pace = DownloadPace(total_seconds=0.5, min_bytes_per_second=1, grace_seconds=0.1)
    fetch = UrlFetcher(FakeResolver({"files.example.com": [PUBLIC_V4]}), 5.0, 30.0, pace)
    assert download(fetch, "https://files.example.com/a.apk") == b""
    assert built[0]["timeout"] == httpx.Timeout(0.5, connect=0.5)


def test_the_fetcher_takes_its_limits_from_the_settings() -> None:
    settings = make_settings(
        url_fetch_connect_timeout_seconds=2,
        url_fetch_read_timeout_seconds=3,
        url_fetch_total_timeout_seconds=40,
        url_fetch_min_bytes_per_second=500,
        url_fetch_min_rate_grace_seconds=6,
        url_fetch_loopback_port=8123,
    )
    fetch = UrlFetcher.from_settings(settings, FakeResolver())
    assert (fetch.connect_timeout, fetch.read_timeout, fetch.loopback_port) == (2, 3, 8123)
    assert (fetch.pace.total_seconds, fetch.pace.min_bytes_per_second) == (40, 500)
    assert fetch.pace.grace_seconds == 6


def test_the_default_pace() -> None:
    fetch = UrlFetcher.from_settings(make_settings(), FakeResolver())
    assert fetch.pace.total_seconds == 300
    assert fetch.pace.min_bytes_per_second == 64 * 1024


# --- bugs: client input that ends in a server error ---------------------------------------------


def test_an_internationalized_host_is_fetched_or_refused(web: FakeWeb) -> None:
    fetch = fetcher({"bücher.example": [PUBLIC_V4]})
    web.serve("https://xn--bcher-kva.example/app.apk", b"apk")
    with contextlib.suppress(InvalidRequest):  # refusing it would be fine, crashing is not
        download(fetch, "https://bücher.example/app.apk")


def test_a_control_character_in_the_path_is_a_client_error(fetch: UrlFetcher, web: FakeWeb) -> None:
    with pytest.raises(InvalidRequest):
        download(fetch, "https://files.example.com/a\x01b.apk")


def test_a_very_long_url_is_a_client_error(fetch: UrlFetcher, web: FakeWeb) -> None:
    with pytest.raises(InvalidRequest):
        download(fetch, "https://files.example.com/app.apk?pad=" + "a" * 70_000)
