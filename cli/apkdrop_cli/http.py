"""HTTP with retries: exponential backoff with jitter on connection errors, 429 and 5xx.

A 429 or 503 waits as long as its `Retry-After` says. Reads (and PATCHes, which set a state)
are retried after any transport error, and so is a POST sent with an `Idempotency-Key` (the
server answers its repeat with the first answer: an upload's). Another POST, or a DELETE, only
when the request cannot have been processed (it never connected, or the body was not fully
sent), or when the answer was 429/5xx. So a lost answer never turns one upload into two, nor
a done deletion into a 404.
"""

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from apkdrop_cli import __version__
from apkdrop_cli.config import Config
from apkdrop_cli.errors import Refused, Unavailable

USER_AGENT = f"apkdrop-cli/{__version__}"
IDEMPOTENCY_KEY = "Idempotency-Key"
CONNECT_TIMEOUT_SECONDS = 15.0
# Far above any answer of the API; counted as it inflates, so a gzip bomb is cut off too.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
# What describes the body as sent, not the body once read.
SENT_FORM_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}
# Errors after which the server may or may not have acted on the request.
AMBIGUOUS = (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.CloseError)
RETRYABLE = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)

Notify = Callable[[str], None]


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 30.0
    # A longer Retry-After is cut to this, so a confused server cannot stall a pipeline.
    max_retry_after_seconds: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Attempt 0, 1, 2…: half of 1 s, 2 s, 4 s… (capped) plus up to as much again."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2**attempt)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


@dataclass
class Retrier:
    policy: RetryPolicy
    notify: Notify
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def send(
        self, what: str, attempt_once: Callable[[int], httpx.Response], *, idempotent: bool
    ) -> httpx.Response:
        """Calls `attempt_once(attempt)` until an answer that is not 429/5xx, or retries run
        out (then the last answer is returned). Raises Unavailable when no answer came."""
        attempt = 0
        while True:
            try:
                response = attempt_once(attempt)
            except httpx.TransportError as exc:
                retry = isinstance(exc, RETRYABLE) and (
                    idempotent or not isinstance(exc, AMBIGUOUS)
                )
                if not retry or attempt >= self.policy.retries:
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise Unavailable(f"{what} failed{tries}: {describe_error(exc)}") from exc
                delay, reason = self.policy.backoff(attempt, self.rng), describe_error(exc)
            else:
                if not retryable_status(response.status_code) or attempt >= self.policy.retries:
                    return response
                response.read()
                waited = retry_after_seconds(response.headers.get("Retry-After"))
                delay = (
                    min(waited, self.policy.max_retry_after_seconds)
                    if waited is not None
                    else self.policy.backoff(attempt, self.rng)
                )
                reason = f"{response.status_code} {response.reason_phrase}".strip()
            attempt += 1
            self.notify(f"{what}: {reason}; retry {attempt}/{self.policy.retries} in {delay:.1f}s")
            self.sleep(delay)


def describe_error(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text


def server_detail(response: httpx.Response) -> str:
    """The API's `detail` (with its `requestId`), storage's XML message, or the status line."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: absurdly nested
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        detail = body["detail"]
        if body.get("requestId"):
            detail += f" (requestId {body['requestId']})"
        return detail
    match = re.search(r"<Message>(.*?)</Message>", response.text or "", re.S)
    if match:
        return match.group(1).strip()
    text = (response.text or "").strip()
    return text[:300] if text and len(text) < 300 else response.reason_phrase or "no detail"


def check(response: httpx.Response, what: str) -> httpx.Response:
    """A 2xx answer, else Refused (4xx, exit 1) or Unavailable (429/5xx left after retries)."""
    if response.is_success:
        return response
    detail = server_detail(response)
    message = f"{what}: {response.status_code} {detail}"
    if retryable_status(response.status_code):
        raise Unavailable(message)
    raise Refused(message, response.status_code, detail)


def read_bounded(response: httpx.Response, what: str) -> httpx.Response:
    """The streamed `response`, read whole and decoded, as a response of its own. Unavailable
    past MAX_ANSWER_BYTES: what httpx inflates from one read is at most that read's ratio."""
    body = bytearray()
    for piece in response.iter_bytes():
        body += piece
        if len(body) > MAX_ANSWER_BYTES:
            raise Unavailable(f"{what}: the server's answer is over {MAX_ANSWER_BYTES} bytes")
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in SENT_FORM_HEADERS
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=bytes(body),
        request=response.request,
        extensions=response.extensions,
    )


def send_bounded(
    client: httpx.Client, method: str, url: str, what: str, **options: Any
) -> httpx.Response:
    """`client.request(method, url, **options)`, its answer read through read_bounded."""
    streamed = client.send(client.build_request(method, url, **options), stream=True)
    try:
        return read_bounded(streamed, what)
    finally:
        streamed.close()


def public_url(url: str) -> str:
    """A URL fit for a log: without its query (a signed URL's query is a credential)."""
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class ApiClient:
    """The apkdrop API: the key on every request, JSON answers, retries, 4xx as Refused."""

    def __init__(
        self,
        config: Config,
        retrier: Retrier,
        *,
        log: Notify | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._retrier = retrier
        self._log = log
        self._http = httpx.Client(
            base_url=config.api_url,
            headers={"X-Api-Key": config.api_key, "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(config.timeout, connect=CONNECT_TIMEOUT_SECONDS),
            transport=transport,
        )

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def get(self, path: str, what: str, **kwargs: object) -> dict:
        return self.request("GET", path, what, idempotent=True, **kwargs)

    def post(
        self, path: str, what: str, *, idempotency_key: str | None = None, **kwargs: object
    ) -> dict:
        """With `idempotency_key`, sent with each attempt, and retried after a lost answer too."""
        if idempotency_key is None:
            return self.request("POST", path, what, idempotent=False, **kwargs)
        headers = {IDEMPOTENCY_KEY: idempotency_key}
        return self.request("POST", path, what, idempotent=True, headers=headers, **kwargs)

    def patch(self, path: str, what: str, **kwargs: object) -> dict:
        return self.request("PATCH", path, what, idempotent=True, **kwargs)

    def delete(self, path: str, what: str) -> dict:
        """Retried only as a POST is: after a lost answer, a second DELETE would answer 404
        for a deletion that was done. A 503 (a deletion that failed halfway) is retried, which
        finishes it."""
        return self.request("DELETE", path, what, idempotent=False)

    def request(self, method: str, path: str, what: str, *, idempotent: bool, **kwargs) -> dict:
        def attempt_once(attempt: int) -> httpx.Response:
            started = time.monotonic()
            response = send_bounded(self._http, method, path, what, **kwargs)
            if self._log:
                elapsed = time.monotonic() - started
                self._log(f"{method} {path} -> {response.status_code} ({elapsed:.2f}s)")
            return response

        response = check(self._retrier.send(what, attempt_once, idempotent=idempotent), what)
        if response.status_code == 204:
            return {}
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested
            raise Unavailable(f"{what}: the server's answer is not JSON") from exc
        if not isinstance(body, dict):
            raise Unavailable(f"{what}: the server's answer is not a JSON object")
        return body
