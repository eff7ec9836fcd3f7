"""Contract scenario for `rss`: a WordPress-style RSS 2.0 feed (content:encoded, guid
isPermaLink="false", dc:creator) as in tests/fixtures/http/rss/rss-wordpress-content-encoded.xml.

A feed is one document, not paged, so `min_requests` is 1. "Asks only for new items" is HTTP's
conditional GET: the second fetch sends the ETag from the cursor, and this server answers 304 when
nothing changed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from demo.fakeplatform import Handler, Request, Response
from hallmonitor.config import Account
from tests.connectors.contract import ContractScenario, rich_body

SITE = "https://www.example-schools.org"


class RssScenario(ContractScenario):
    platform = "rss"
    listing_path = "/feed/"
    min_requests = 1

    def __init__(self) -> None:
        start = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
        self.posts = [(n, start + timedelta(days=n)) for n in range(1, 5)]
        self.rich: set[int] = set()
        self.ranked = False  # a "top stories" feed: not in date order
        super().__init__()

    def routes(self) -> dict[str, Handler]:
        # Each item's own page (permalink), served on this host as api_base stands in for SITE.
        return {"/feed/": self._feed, "/2025/*": lambda request: (200, {}, "<p>story</p>")}

    def account(self, base_url: str) -> Account:
        return Account(
            id="district-news-rss",
            kind="sponsored",
            platform="rss",
            locator=f"{SITE}/feed/",
            api_base=base_url,
        )

    def add_item(self, rich: bool = False) -> str:
        number = max((n for n, _ in self.posts), default=0) + 1
        newest = max((t for _, t in self.posts), default=datetime(2025, 12, 1, tzinfo=UTC))
        self.posts.append((number, newest + timedelta(hours=5)))
        if rich:
            self.rich.add(number)
        return f"{SITE}/?p={number}"

    def make_empty(self) -> None:
        self.posts = []

    def rotate_out(self) -> str | None:
        """A ranked ("top stories") feed: a story newer than others still listed drops out of it
        (its page stays online), and the rest are listed out of date order."""
        by_date = sorted(self.posts, key=lambda p: p[1])
        dropped = by_date[len(by_date) // 2]
        self.posts.remove(dropped)
        self.ranked = True
        return f"{SITE}/?p={dropped[0]}"

    def assert_incremental(self, requests: list[Request]) -> None:
        assert len(requests) == 1
        assert requests[0].headers.get("If-None-Match"), "re-fetch must be conditional"

    def _feed(self, request: Request) -> Response:
        body = render_feed(self.posts, self.rich, ranked=self.ranked)
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "application/rss+xml; charset=UTF-8", "ETag": etag}, body


def render_feed(
    posts: list[tuple[int, datetime]], rich: set[int] | None = None, ranked: bool = False
) -> str:
    order = sorted(posts, key=lambda p: p[1], reverse=not ranked)  # ranked: oldest first
    items = "".join(_item(n, when, n in (rich or set())) for n, when in order)
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
	<title>Example Public Schools News</title>
	<link>{SITE}</link>
	<description>District news</description>
	<language>en-US</language>{items}
</channel>
</rss>
"""


def _item(number: int, when: datetime, rich: bool = False) -> str:
    link = f"{SITE}/{when:%Y/%m/%d}/news-{number}/"
    html = (
        f'<p><img src="/wp-content/uploads/news-{number}.jpg" alt="Photo {number}" /></p>'
        f"<p>News item {number} from the district office.</p>"
    )
    if rich:
        html = rich_body(html=True)
    return f"""
	<item>
		<title>News item {number}</title>
		<link>{link}</link>
		<pubDate>{format_datetime(when, usegmt=True)}</pubDate>
		<dc:creator><![CDATA[District Office]]></dc:creator>
		<guid isPermaLink="false">{SITE}/?p={number}</guid>
		<description><![CDATA[News item {number}.]]></description>
		<content:encoded><![CDATA[{html}]]></content:encoded>
	</item>"""


SCENARIO = RssScenario
