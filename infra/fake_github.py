"""A stand-in for the GitHub REST endpoints `apkdrop --comment-pr` uses: who the token is
(GET /user), list an issue's comments (paged with a Link header, as GitHub does), create one,
edit one. A WSGI app; the gateway mounts it at /_dev/github/api, tests call it through
httpx.WSGITransport.

Each token stands for an identity, as on GitHub: a `ghs_` token is an app installation's (by
default GitHub Actions' GITHUB_TOKEN, whose comments are by github-actions[bot]), refused by
GET /user; any other is a user's personal access token. A comment's author is the token's
identity, and only its author may edit it.
"""

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

GITHUB_MAX_PAGE_SIZE = 100
ISSUE_COMMENTS = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments")
ONE_COMMENT = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)")
INSTALLATION_TOKEN_PREFIX = "ghs_"
ACTIONS_APP_SLUG = "github-actions"
NOT_FOR_INTEGRATIONS = {"message": "Resource not accessible by integration"}
FORBIDDEN = {"message": "Forbidden"}


@dataclass(frozen=True)
class Identity:
    login: str
    installation: bool  # an app installation's token: a bot, which has no GET /user

    @property
    def user(self) -> dict:
        """As GitHub shows an author."""
        return {"login": self.login, "type": "Bot" if self.installation else "User"}


def _answer(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status, headers=headers, mimetype="application/json")


class FakeGitHub:
    def __init__(
        self, max_page_size: int = GITHUB_MAX_PAGE_SIZE, app_tokens: Mapping[str, str] | None = None
    ) -> None:
        # Every comment, oldest first, with "repo", "issue" and "user" (its author).
        self.comments: list[dict] = []
        self.requests: list[str] = []  # "METHOD /path", for tests that count calls
        self._max_page_size = max_page_size
        self._app_tokens = dict(app_tokens or {})  # token: slug, for apps other than Actions
        self._last_id = 0
        self._lock = threading.Lock()

    def identity(self, token: str) -> Identity:
        """Who `token` is; a user's login is made from the token, without showing it."""
        if token.startswith(INSTALLATION_TOKEN_PREFIX):
            return Identity(f"{self._app_tokens.get(token, ACTIONS_APP_SLUG)}[bot]", True)
        return Identity(f"user-{hashlib.sha256(token.encode()).hexdigest()[:8]}", False)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            self.requests.append(f"{request.method} {request.path}")
            response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme not in ("Bearer", "token") or not token:
            return _answer(401, {"message": "Requires authentication"})
        caller = self.identity(token)
        if request.path == "/user" and request.method == "GET":
            if caller.installation:
                return _answer(403, NOT_FOR_INTEGRATIONS)
            return _answer(200, caller.user)
        if match := ISSUE_COMMENTS.fullmatch(request.path):
            repo, number = match["repo"], int(match["number"])
            if request.method == "GET":
                return self._list(request, repo, number)
            if request.method == "POST":
                return self._write(request, None, repo, number, caller)
        elif (match := ONE_COMMENT.fullmatch(request.path)) and request.method == "PATCH":
            found = [c for c in self.comments if c["id"] == int(match["id"])]
            if found and found[0]["repo"] == match["repo"]:
                if found[0]["user"]["login"] != caller.login:  # GitHub lets admins; not here
                    refused = NOT_FOR_INTEGRATIONS if caller.installation else FORBIDDEN
                    return _answer(403, refused)
                return self._write(request, found[0], found[0]["repo"], found[0]["issue"], caller)
        return _answer(404, {"message": "Not Found"})

    def _list(self, request: Request, repo: str, number: int) -> Response:
        size = max(1, min(request.args.get("per_page", 30, type=int), self._max_page_size))
        page = max(1, request.args.get("page", 1, type=int))
        mine = [c for c in self.comments if c["repo"] == repo and c["issue"] == number]
        headers = {}
        if page * size < len(mine):
            query = urlencode({"per_page": size, "page": page + 1})
            headers["Link"] = f'<{request.base_url}?{query}>; rel="next"'
        shown = mine[(page - 1) * size : page * size]
        return _answer(200, [self._public(c, request) for c in shown], headers)

    def _write(
        self, request: Request, comment: dict | None, repo: str, number: int, caller: Identity
    ) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            return _answer(422, {"message": "Validation Failed"})
        if comment is None:
            comment = {"id": self._next_id(), "repo": repo, "issue": number, "user": caller.user}
            self.comments.append(comment)
            status = 201
        else:
            status = 200
        comment["body"] = body["body"]
        return _answer(status, self._public(comment, request))

    def _next_id(self) -> int:
        """Not the count of comments: an id is never reused after a comment is gone."""
        self._last_id += 1
        return self._last_id

    @staticmethod
    def _public(comment: dict, request: Request) -> dict:
        return {
            "id": comment["id"],
            "body": comment["body"],
            "html_url": f"{request.host_url}_dev/github#comment-{comment['id']}",
            "user": comment["user"],
        }
