"""Contract scenario for `wordpress`, also the fake site test_wordpress.py drives.

It serves the recorded `_embed` posts of demo.worona.org (tests/fixtures/http/wordpress/) like
WP_REST_Posts_Controller: newest first, `per_page` capped at `page_size`, `page`, `after` /
`modified_after` honoured (strictly after), `X-WP-Total` / `X-WP-TotalPages` headers, and HTTP 400
`rest_post_invalid_page_number` past the last page. `https://demo.worona.org` is rewritten to the
fake's base URL when served, so links and media point at the fake (uploads answer with a PNG).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.fakeplatform import Handler, Request, Response
from hallmonitor.config import Account
from tests.connectors.contract import ContractScenario, rich_body
from tests.connectors.scenarios.bluesky import PNG

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "wordpress"
RECORDED_BASE = "https://demo.worona.org"
INDEX = "/wp-json/"
POSTS = "/wp-json/wp/v2/posts"
COMMENTS = "/wp-json/wp/v2/comments"
END_OF_PAGES = {
    "code": "rest_post_invalid_page_number",
    "message": "The page number requested is larger than the number of pages available.",
    "data": {"status": 400},
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def gmt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC)


class WordPressScenario(ContractScenario):
    platform = "wordpress"
    min_items = 5
    now = datetime(2017, 7, 1, tzinfo=UTC)
    page_size = 2

    def __init__(self) -> None:
        self.index = load("index-synthetic.json")
        self.posts: list[dict[str, Any]] = load("posts-embed.json")
        self.comments: dict[int, list[dict[str, Any]]] = {57: load("comments-synthetic.json")}
        self.script: dict[str, list[Response]] = {}
        self.repeat_pages = False  # a broken cache answering page 1 for every page
        self.totals = True  # False: a proxy that strips the X-WP-* headers
        super().__init__()

    # -- contract -----------------------------------------------------------------------------
    def routes(self) -> dict[str, Handler]:
        return {
            INDEX: self._scripted(self._index),
            POSTS: self._scripted(self._posts),
            COMMENTS: self._scripted(self._comments),
            "/wp-content/*": lambda request: (200, {"Content-Type": "image/png"}, PNG),
        }

    def account(self, base_url: str) -> Account:
        return Account(
            id="worona-blog",
            kind="employee",
            owner="E300",
            platform="wordpress",
            locator=RECORDED_BASE,
            api_base=base_url,
        )

    def add_item(self, rich: bool = False) -> str:
        post = copy.deepcopy(self.posts[-1] if self.posts else load("posts-embed.json")[0])
        newest = max((gmt(p["date_gmt"]) for p in self.posts), default=self.now - timedelta(days=9))
        when = (newest + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
        post.update(
            id=max((p["id"] for p in self.posts), default=0) + 100,
            date=when,
            date_gmt=when,
            modified=when,
            modified_gmt=when,
            link=f"{RECORDED_BASE}/a-new-post/",
            title={"rendered": "A new post"},
        )
        if rich:
            post["content"] = {"rendered": rich_body(html=True), "protected": False}
        self.posts.insert(0, post)
        return str(post["id"])

    def make_empty(self) -> None:
        self.posts = []

    def assert_incremental(self, requests: list[Request]) -> None:
        pages = [r for r in requests if r.path == POSTS]
        assert len(pages) == 1, pages
        assert pages[0].arg("after") == self.posts[1]["date_gmt"] + "Z"
        assert pages[0].arg("modified_after") is None

    def auth_error(self, request: Request) -> Response:
        return (
            401,
            {},
            {
                "code": "rest_not_logged_in",
                "message": "You are not currently logged in.",
                "data": {"status": 401},
            },
        )

    # -- the fake site ------------------------------------------------------------------------
    def on(self, path: str, *answers: Response) -> None:
        self.script[path] = list(answers)

    def serve(self, body: Any) -> Any:
        return json.loads(json.dumps(body).replace(RECORDED_BASE, self.fake.base_url))

    def _scripted(self, handler: Handler) -> Handler:
        def scripted(request: Request) -> Response:
            queue = self.script.get(request.path)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
            return handler(request)

        return scripted

    def _index(self, request: Request) -> Response:
        return 200, {}, self.serve(self.index)

    def _posts(self, request: Request) -> Response:
        rows = self.posts
        for arg, column in (("after", "date_gmt"), ("modified_after", "modified_gmt")):
            if request.arg(arg):
                rows = [p for p in rows if gmt(p[column]) > gmt(str(request.arg(arg)))]
        return self._paged(request, rows, END_OF_PAGES)

    def _comments(self, request: Request) -> Response:
        rows = self.comments.get(int(request.arg("post") or 0), [])
        end = {**END_OF_PAGES, "code": "rest_comment_invalid_page_number"}
        return self._paged(request, rows, end)

    def _paged(self, request: Request, rows: list[dict[str, Any]], end: dict[str, Any]) -> Response:
        size = min(int(request.arg("per_page") or 10), self.page_size)
        page = 1 if self.repeat_pages else int(request.arg("page") or 1)
        pages = -(-len(rows) // size)
        headers = {"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(pages)}
        if not self.totals:
            headers = {}
        if rows and page > pages:
            return 400, {}, end
        return 200, headers, self.serve(rows[(page - 1) * size : page * size])


SCENARIO = WordPressScenario
