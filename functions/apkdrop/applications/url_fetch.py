"""Fetching `apkUrl` without letting a caller reach our network (SSRF): each URL, redirects
included, passes url_guard's checks, and the connection goes to the checked address.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from apkdrop.applications.download_pace import DownloadPace, PaceWatch
from apkdrop.errors import InvalidRequest
from apkdrop.settings import ApplicationUploadSettings
from apkdrop.url_guard import Resolver, Target, UrlRules, check_url, send_within

MAX_REDIRECTS = 5
APK_URL = UrlRules("apkUrl", {"http": 80, "https": 443})


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

        Refused past the total deadline (headers included) or below the minimum rate; one read
        of the body may overrun the deadline by at most the read timeout, itself no longer than
        the deadline.
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
                    # httpx inflates an encoded body a read at a time, unbounded: take none.
                    request = target.request(client, "GET", {"Accept-Encoding": "identity"})
                except httpx.InvalidURL as exc:
                    raise InvalidRequest("apkUrl is not a valid URL") from exc
                try:
                    # Bounded as a whole: a server may trickle its headers as slowly as its body.
                    response = send_within(client, request, watch.seconds_left())
                except TimeoutError as exc:
                    raise watch.overdue() from exc
                except httpx.HTTPError as exc:
                    raise InvalidRequest(f"apkUrl could not be fetched: {_reason(exc)}") from exc
                try:
                    watch.check_deadline()
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        url = _redirected(url, location)
                        continue
                    if response.status_code != 200:
                        raise InvalidRequest(f"apkUrl answered HTTP {response.status_code}")
                    encoding = response.headers.get("content-encoding", "identity")
                    if encoding.strip().lower() != "identity":
                        raise InvalidRequest(
                            "apkUrl answered with a Content-Encoding: serve the file as it is"
                        )
                    yield _chunks(response, watch)
                    return
                finally:
                    response.close()
        raise InvalidRequest(f"apkUrl redirected more than {MAX_REDIRECTS} times")

    def check(self, url: str) -> Target:
        """Refuses anything but http(s) on 80/443 to public addresses; returns where to go."""
        return check_url(url, APK_URL, self.resolver, self.loopback_port)


def _redirected(url: str, location: str) -> str:
    """Where a redirect points, against the URL that answered it."""
    try:
        return urljoin(url, location)
    except ValueError as exc:  # a Location httpx takes and urllib cannot parse
        raise InvalidRequest("apkUrl is not a valid URL") from exc


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
