"""`--comment-pr`: one comment per app on the pull request of a GitHub Actions run, posted once
and edited on every later run. It is found again by a hidden marker at the start of its body
and by its author, the identity behind the token: anyone who may comment on the pull request
can write the marker, and editing their comment would fail (GITHUB_TOKEN may edit only its
own) or, with an admin's token, rewrite their words."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from apkdrop_cli.errors import Refused, Unavailable
from apkdrop_cli.http import CONNECT_TIMEOUT_SECONDS, USER_AGENT, Retrier, check, send_bounded

DEFAULT_API_URL = "https://api.github.com"
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
PAGE_SIZE = 100  # GitHub's largest page of comments
MAX_PAGES = 50  # past 5,000 comments, a new comment is posted rather than reading on
# GitHub's media type and REST version for these endpoints.
GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# The token's login where GitHub cannot tell it: `APP-SLUG[bot]` for the installation token of
# a GitHub App other than GitHub Actions (whose GITHUB_TOKEN is ACTIONS_BOT_LOGIN).
ENV_LOGIN = "APKDROP_GITHUB_LOGIN"
# The author of what GitHub Actions' GITHUB_TOKEN writes.
ACTIONS_BOT_LOGIN = "github-actions[bot]"
# GitHub's 403 to an app installation's token on an endpoint for users only, like GET /user.
NOT_FOR_INTEGRATIONS = "Resource not accessible by integration"


@dataclass(frozen=True)
class PullRequest:
    api_url: str
    repository: str  # owner/name
    number: int
    token: str
    login: str  # our comments' author, from ENV_LOGIN; empty: ask GitHub


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
    return PullRequest(api_url, repository, number, token, environ.get(ENV_LOGIN, "").strip())


class GitHubComments:
    """The four REST endpoints used, through the CLI's retries (429 and 5xx, network errors)."""

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
        login = target.login or self._login()
        existing = self._find(f"{issue}/{target.number}/comments", marker(key), login)
        if existing is not None:
            try:
                answer = self._send("PATCH", f"{issue}/comments/{existing}", body, idempotent=True)
            except Refused as exc:
                if exc.status != 404:
                    raise
                # Deleted since it was listed: posted again.
            else:
                return "updated", answer.get("html_url", "")
        # Not retried after a lost answer: a second POST would be a second comment.
        answer = self._send("POST", f"{issue}/{target.number}/comments", body, idempotent=False)
        return "posted", answer.get("html_url", "")

    def _login(self) -> str:
        """Who the token writes as. GET /user names the user of a personal access token (or of
        an OAuth or a GitHub App's user token). GitHub refuses it to an app installation's token
        (403, "Resource not accessible by integration"); without ENV_LOGIN that is taken to be
        GITHUB_TOKEN, whose comments are github-actions[bot]'s. Any other 403 (a rate limit,
        a blocked token) is an error, not a guess: a wrong login could edit another's comment."""
        try:
            answer = self._request("GET", f"{self._target.api_url}/user", None, idempotent=True)
        except Refused as exc:
            if exc.status == 403 and NOT_FOR_INTEGRATIONS in exc.detail:
                return ACTIONS_BOT_LOGIN
            raise
        user = answer.json()
        login = user.get("login") if isinstance(user, dict) else None
        if not isinstance(login, str) or not login:
            raise Unavailable("GitHub GET /user: no login in the answer")
        return login

    def _find(self, url: str, mark: str, login: str) -> int | None:
        """The first comment that starts with `mark` and is by `login` (the exact login: a
        comment by anyone else is never ours, whatever its body says)."""
        next_url: str | None = f"{url}?per_page={PAGE_SIZE}"
        for _ in range(MAX_PAGES):
            if next_url is None:
                return None
            response = self._request("GET", next_url, None, idempotent=True)
            comments = response.json()
            for comment in comments if isinstance(comments, list) else []:
                if not isinstance(comment, dict) or not isinstance(comment.get("id"), int):
                    continue
                author = comment.get("user")
                if (
                    isinstance(author, dict)
                    and author.get("login") == login
                    and str(comment.get("body") or "").startswith(mark)
                ):
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
            what,
            lambda _: send_bounded(self._http, method, url, what, json=payload),
            idempotent=idempotent,
        )
        return check(response, what)
