"""`/_dev/github` and `/_dev/github.json` on the gateway: the comments the fake GitHub holds,
posted by `apkdrop ... --comment-pr` with GITHUB_API_URL={stack URL}/_dev/github/api."""

import html
import json
from collections.abc import Callable

from werkzeug.wrappers import Response

from infra.fake_github import FakeGitHub

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>apkdrop dev GitHub</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;background:#f3f4f6}}
article{{background:#fff;border-radius:8px;margin:0 0 24px;padding:16px}}
pre{{white-space:pre-wrap;line-height:1.2}} h2{{font-size:16px;margin:0 0 4px}}</style></head>
<body><h1>Pull request comments held by the fake GitHub ({count}, newest first)</h1>
<p>API URL for <code>GITHUB_API_URL</code>: <code>{api_url}</code></p>{articles}</body></html>"""
ARTICLE = (
    '<article id="comment-{id}"><h2>{repo} #{issue}, comment {id} by {author}</h2>'
    "<pre>{body}</pre></article>"
)
API_PREFIX = "/_dev/github/api"


def dev_github_pages(fake: FakeGitHub, stack_url: str) -> dict[str, Callable[[], Response]]:
    def as_json() -> Response:
        keys = ("id", "repo", "issue", "body")
        body = [
            {**{key: comment[key] for key in keys}, "author": comment["user"]["login"]}
            for comment in fake.comments
        ]
        return Response(json.dumps(body), mimetype="application/json")

    def as_page() -> Response:
        articles = "".join(
            ARTICLE.format(
                id=comment["id"],
                repo=html.escape(comment["repo"]),
                issue=comment["issue"],
                author=html.escape(comment["user"]["login"]),
                body=html.escape(comment["body"]),
            )
            for comment in reversed(fake.comments)
        )
        page = PAGE.format(
            count=len(fake.comments),
            api_url=html.escape(stack_url + API_PREFIX),
            articles=articles or "<p>No comment yet.</p>",
        )
        return Response(page, mimetype="text/html")

    return {"/_dev/github": as_page, "/_dev/github.json": as_json}
