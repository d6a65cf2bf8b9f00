"""`--comment-pr`: one comment per app on the pull request of a GitHub Actions run, posted once
and edited on every later run. It is found again by a hidden marker in its body."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from apkdrop_cli.http import CONNECT_TIMEOUT_SECONDS, USER_AGENT, Retrier, check

DEFAULT_API_URL = "https://api.github.com"
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
PAGE_SIZE = 100  # GitHub's largest page of comments
MAX_PAGES = 50  # past 5,000 comments, a new comment is posted rather than reading on
# GitHub's media type and REST version for these endpoints.
GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


@dataclass(frozen=True)
class PullRequest:
    api_url: str
    repository: str  # owner/name
    number: int
    token: str


class NotAPullRequest(Exception):
    """Why this run has no pull request to comment on, in words for the log."""


def marker(key: str) -> str:
    """The hidden first line of the comment; `key` tells apart two apps in one pull request."""
    return f"<!-- apkdrop:{re.sub(r'[^A-Za-z0-9_.:/-]', '_', key)} -->"


def pull_request(environ: Mapping[str, str]) -> PullRequest:
    """The run's pull request, from the variables and the event file GitHub Actions sets."""
    event = environ.get("GITHUB_EVENT_NAME", "")
    if event not in PULL_REQUEST_EVENTS:
        raise NotAPullRequest(
            f"not a pull_request event (GITHUB_EVENT_NAME={event or 'unset'}): no comment posted"
        )
    token, repository = environ.get("GITHUB_TOKEN", ""), environ.get("GITHUB_REPOSITORY", "")
    if not token or not repository:
        raise NotAPullRequest("--comment-pr needs GITHUB_TOKEN and GITHUB_REPOSITORY")
    try:
        with open(environ.get("GITHUB_EVENT_PATH", ""), encoding="utf-8") as file:
            number = json.load(file)["pull_request"]["number"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotAPullRequest(f"no pull request number in GITHUB_EVENT_PATH: {exc}") from exc
    if not isinstance(number, int):
        raise NotAPullRequest("no pull request number in GITHUB_EVENT_PATH")
    api_url = (environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    return PullRequest(api_url, repository, number, token)


class GitHubComments:
    """The three REST endpoints used, through the CLI's retries (429 and 5xx, network errors)."""

    def __init__(
        self,
        target: PullRequest,
        retrier: Retrier,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._target, self._retrier = target, retrier
        self._http = httpx.Client(
            headers={
                **GITHUB_HEADERS,
                "Authorization": f"Bearer {target.token}",
                "User-Agent": USER_AGENT,
            },
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT_SECONDS),
            transport=transport,
        )

    def __enter__(self) -> "GitHubComments":
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def upsert(self, key: str, markdown: str) -> tuple[str, str]:
        """Edits the comment marked with `key`, or posts it; ("updated" or "posted", its URL)."""
        body = f"{marker(key)}\n{markdown}"
        target = self._target
        issue = f"{target.api_url}/repos/{target.repository}/issues"
        existing = self._find(f"{issue}/{target.number}/comments", marker(key))
        if existing is not None:
            answer = self._send("PATCH", f"{issue}/comments/{existing}", body, idempotent=True)
            return "updated", answer.get("html_url", "")
        # Not retried after a lost answer: a second POST would be a second comment.
        answer = self._send("POST", f"{issue}/{target.number}/comments", body, idempotent=False)
        return "posted", answer.get("html_url", "")

    def _find(self, url: str, mark: str) -> int | None:
        next_url: str | None = f"{url}?per_page={PAGE_SIZE}"
        for _ in range(MAX_PAGES):
            if next_url is None:
                return None
            response = self._request("GET", next_url, None, idempotent=True)
            comments = response.json()
            for comment in comments if isinstance(comments, list) else []:
                if not isinstance(comment, dict) or not isinstance(comment.get("id"), int):
                    continue
                if str(comment.get("body") or "").startswith(mark):
                    return comment["id"]
            next_url = response.links.get("next", {}).get("url")
        return None

    def _send(self, method: str, url: str, body: str, *, idempotent: bool) -> dict:
        answer = self._request(method, url, {"body": body}, idempotent=idempotent).json()
        return answer if isinstance(answer, dict) else {}

    def _request(
        self, method: str, url: str, payload: dict | None, *, idempotent: bool
    ) -> httpx.Response:
        what = f"GitHub {method} {url.split('?')[0]}"
        response = self._retrier.send(
            what, lambda _: self._http.request(method, url, json=payload), idempotent=idempotent
        )
        return check(response, what)
