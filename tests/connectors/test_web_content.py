"""What the web connector reads from a page (publication dates, titles, all visible text) and what
it may say about pages it no longer reaches, against a small site served from loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import FetchResult, FetchWindow, Item
from connectors.http import HttpClient, HttpSettings
from connectors.web import WebConnector
from demo.fakeplatform import FakePlatform, Request, Response
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PUBLISHED = datetime(2025, 10, 2, 14, 30, tzinfo=UTC)


def page(head: str, body: str = "<p>Open house on Thursday.</p>") -> str:
    return f"<!doctype html><html><head>{head}</head><body><main>{body}</main></body></html>"


JSON_LD = json.dumps(
    {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Example Public Schools"},
            {
                "@type": "NewsArticle",
                "headline": "Open house",
                "datePublished": "2025-10-02T10:30:00-04:00",
                "dateModified": "2025-10-03T09:00:00-04:00",
            },
        ],
    }
)
# One page per way sites declare a publication date (each seen on real district and news sites).
DATED = {
    "/json-ld.html": page(
        f'<title>Open house</title><script type="application/ld+json">{JSON_LD}</script>'
    ),
    "/og.html": page(
        '<title>Open house</title><meta property="article:published_time" '
        'content="2025-10-02T14:30:00+00:00">'
    ),
    "/parsely.html": page(
        '<title>Open house</title><meta name="parsely-pub-date" content="2025-10-02T14:30:00Z">'
    ),
    "/itemprop.html": page(
        "<title>Open house</title>",
        '<article><time itemprop="datePublished" datetime="2025-10-02T14:30:00Z">'
        "October 2</time><p>Open house on Thursday.</p></article>",
    ),
}
UNTITLED = page('<title> </title><meta property="og:title" content="Board meeting minutes">')
BLOCKS = page(
    "<title>Supplies</title>",
    "<h1>Supply list</h1><ul><li>pencils</li><li>glue</li></ul>"
    "<blockquote>Label everything.</blockquote><pre>Room 12\n  Grade 3</pre>",
)


@dataclass
class Site:
    fake: FakePlatform
    pages: dict[str, Response] = field(default_factory=dict)

    def serve(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return 404, {}, ""
        return self.pages.get(request.path, (404, {"Content-Type": "text/html"}, "gone"))

    def publish(self, path: str, html: str) -> None:
        self.pages[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, html)

    def root_links(self, *paths: str) -> None:
        links = "".join(f'<a href="{p}">{p}</a>' for p in paths)
        self.publish("/", page("<title>Home</title>", f"<nav>{links}</nav><p>Welcome</p>"))

    def crawl(self, cursor: dict[str, Any] | None = None) -> FetchResult:
        account = Account(
            id="site", kind="sponsored", platform="web", locator=self.fake.base_url + "/"
        )
        http = HttpClient(
            account.id,
            "sponsored",
            WebConnector.api_hosts(account),
            settings=HttpSettings(max_attempts=2),
            sleep=lambda s: None,
        )
        connector = WebConnector(account, http, FixedClock(NOW))
        return connector.fetch(FetchWindow(since=NOW, cursor=cursor or {}))


@pytest.fixture
def site() -> Iterator[Site]:
    with FakePlatform() as fake:
        served = Site(fake)
        fake.route_prefix("/", served.serve)
        yield served


def by_path(site: Site, result: FetchResult) -> dict[str, Item]:
    return {i.native_id.removeprefix(site.fake.base_url): i for i in result.items}


def test_publication_date_is_read_from_every_common_declaration(site: Site) -> None:
    for path, html in DATED.items():
        site.publish(path, html)
    site.root_links(*DATED)
    pages = by_path(site, site.crawl())
    assert {p: pages[p].published_at for p in DATED} == {p: PUBLISHED for p in DATED}
    assert pages["/json-ld.html"].edited_at == datetime(2025, 10, 3, 13, 0, tzinfo=UTC)
    assert pages["/"].published_at is None, "a page that declares nothing has no date"


def test_broken_json_ld_does_not_hide_a_meta_date(site: Site) -> None:
    site.publish(
        "/broken.html",
        page(
            '<script type="application/ld+json">{"@type": </script>'
            '<meta name="parsely-pub-date" content="2025-10-02T14:30Z">'
        ),
    )
    site.root_links("/broken.html")
    assert by_path(site, site.crawl())["/broken.html"].published_at == PUBLISHED


def test_empty_title_falls_back_to_og_title(site: Site) -> None:
    site.publish("/minutes.html", UNTITLED)
    site.root_links("/minutes.html")
    assert by_path(site, site.crawl())["/minutes.html"].title == "Board meeting minutes"


def test_all_visible_text_of_the_main_content_is_kept_with_line_breaks(site: Site) -> None:
    site.publish("/supplies.html", BLOCKS)
    site.root_links("/supplies.html")
    text = by_path(site, site.crawl())["/supplies.html"].text
    assert text == "Supply list\n\npencils\nglue\n\nLabel everything.\n\nRoom 12\n  Grade 3"


def test_unlinked_page_is_not_gone_but_one_answering_404_is(site: Site) -> None:
    site.publish("/kept.html", page("<title>Kept</title>"))
    site.publish("/removed.html", page("<title>Removed</title>"))
    site.root_links("/kept.html", "/removed.html")
    first = site.crawl()
    assert first.gone == {} and first.complete_since is None
    site.root_links()  # both links dropped from the home page
    del site.pages["/removed.html"]
    second = site.crawl(first.cursor)
    removed = site.fake.base_url + "/removed.html"
    assert set(second.gone) == {removed}
    assert "answered HTTP 404 when re-checked" in second.gone[removed]
    assert second.complete_since is None, "a crawl never vouches for what it did not reach"
    assert set(second.cursor["seen"]) == {site.fake.base_url + "/"}
