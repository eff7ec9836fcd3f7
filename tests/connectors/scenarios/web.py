"""Contract scenario for `web`: a small school site (root, news index, news pages) with a
robots.txt, pages dated by <meta property="article:published_time"> or <time datetime>.

A crawl is a snapshot, so nothing can be asked "since" anything: the second crawl simply has to
find the new page through the root's links. An "empty" site still has its root page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from demo.fakeplatform import Handler, Request, Response
from hallmonitor.config import Account
from tests.connectors.contract import ContractScenario, rich_body

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>{meta}</head>
<body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<main><h1>{title}</h1>{body}</main></body></html>"""


class WebScenario(ContractScenario):
    platform = "web"
    listing_path = "/news/"
    items_when_empty = 1

    def __init__(self) -> None:
        self.news: list[tuple[int, datetime]] = [
            (n, datetime(2025, 11, 3, 14, 0, tzinfo=UTC) + timedelta(days=n)) for n in (1, 2, 3)
        ]
        self.empty = False
        self.rich: set[int] = set()
        self.unlisted: set[int] = set()
        super().__init__()

    def routes(self) -> dict[str, Handler]:
        return {"/robots.txt": self._robots, "/*": self._page}

    def account(self, base_url: str) -> Account:
        return Account(id="district-site", kind="sponsored", platform="web", locator=base_url + "/")

    def add_item(self, rich: bool = False) -> str:
        number = max(n for n, _ in self.news) + 1
        self.news.append((number, max(t for _, t in self.news) + timedelta(days=1)))
        if rich:
            self.rich.add(number)
        return f"{self.fake.base_url}/news/{number}.html"

    def make_empty(self) -> None:
        self.empty = True

    def rotate_out(self) -> str | None:
        """The news index drops its oldest story's link (the story itself stays online)."""
        oldest = min(self.news, key=lambda n: n[1])
        self.unlisted.add(oldest[0])
        return f"{self.fake.base_url}/news/{oldest[0]}.html"

    def assert_incremental(self, requests: list[Request]) -> None:
        newest = max(n for n, _ in self.news)
        assert f"/news/{newest}.html" in {r.path for r in requests}

    def _robots(self, request: Request) -> Response:
        return 200, {"Content-Type": "text/plain"}, "User-agent: *\nDisallow: /admin/\n"

    def _page(self, request: Request) -> Response:
        if request.path == "/":
            if self.empty:
                return 200, {}, PAGE.format(title="Coming soon", meta="", body="")
            return (
                200,
                {},
                PAGE.format(
                    title="Example Public Schools",
                    meta="",
                    body=(
                        '<p>Welcome. <time datetime="2025-09-01T08:00:00-05:00">Sept 1</time></p>'
                        '<a href="/news/">All news</a> <a href="/admin/login">Staff</a>'
                    ),
                ),
            )
        if request.path == "/news/" and not self.empty:
            links = "".join(
                f'<li><a href="/news/{n}.html">News {n}</a></li>'
                for n, _ in self.news
                if n not in self.unlisted
            )
            return 200, {}, PAGE.format(title="News", meta="", body=f"<ul>{links}</ul>")
        for number, when in self.news:
            if request.path == f"/news/{number}.html" and not self.empty:
                meta = f'<meta property="article:published_time" content="{when.isoformat()}">'
                return (
                    200,
                    {},
                    PAGE.format(
                        title=f"News {number}",
                        meta=meta,
                        body=rich_body(html=True)
                        if number in self.rich
                        else f'<p>Story {number}.</p><img src="/img/{number}.jpg" alt="">',
                    ),
                )
        return 404, {"Content-Type": "text/html"}, "<h1>Not found</h1>"


SCENARIO = WebScenario
