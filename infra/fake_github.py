"""A stand-in for the GitHub REST endpoints `apkdrop --comment-pr` uses: list an issue's
comments (paged with a Link header, as GitHub does), create one, edit one. A WSGI app; the
gateway mounts it at /_dev/github/api, tests call it through httpx.WSGITransport.
"""

import json
import re
import threading
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

GITHUB_MAX_PAGE_SIZE = 100
ISSUE_COMMENTS = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments")
ONE_COMMENT = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)")


def _answer(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status, headers=headers, mimetype="application/json")


class FakeGitHub:
    def __init__(self, max_page_size: int = GITHUB_MAX_PAGE_SIZE) -> None:
        self.comments: list[dict] = []  # every comment, oldest first, with "repo" and "issue"
        self.requests: list[str] = []  # "METHOD /path", for tests that count calls
        self._max_page_size = max_page_size
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            self.requests.append(f"{request.method} {request.path}")
            response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith(("Bearer ", "token ")):
            return _answer(401, {"message": "Requires authentication"})
        if match := ISSUE_COMMENTS.fullmatch(request.path):
            repo, number = match["repo"], int(match["number"])
            if request.method == "GET":
                return self._list(request, repo, number)
            if request.method == "POST":
                return self._write(request, None, repo, number)
        elif (match := ONE_COMMENT.fullmatch(request.path)) and request.method == "PATCH":
            found = [c for c in self.comments if c["id"] == int(match["id"])]
            if found and found[0]["repo"] == match["repo"]:
                return self._write(request, found[0], found[0]["repo"], found[0]["issue"])
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

    def _write(self, request: Request, comment: dict | None, repo: str, number: int) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            return _answer(422, {"message": "Validation Failed"})
        if comment is None:
            comment = {"id": len(self.comments) + 1, "repo": repo, "issue": number}
            self.comments.append(comment)
            status = 201
        else:
            status = 200
        comment["body"] = body["body"]
        return _answer(status, self._public(comment, request))

    @staticmethod
    def _public(comment: dict, request: Request) -> dict:
        return {
            "id": comment["id"],
            "body": comment["body"],
            "html_url": f"{request.host_url}_dev/github#comment-{comment['id']}",
            "user": {"login": "github-actions[bot]", "type": "Bot"},
        }
