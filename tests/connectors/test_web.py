"""The `web` crawler against a fixture school site (tests/fixtures/http/web/site/) on loopback:
same origin only, robots.txt honoured, limits that leave the crawl without a completeness claim."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from connectors.base import FetchResult, FetchSettings, FetchWindow, Item, MediaRef
from connectors.errors import SkippableError
from connectors.http import HttpClient, HttpSettings
from connectors.web import WebConnector
from demo.fakeplatform import FakePlatform, Request, Response
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from tests.conftest import FIXTURES

SITE = FIXTURES / "http" / "web" / "site"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
# In crawl order; the last entry is the hop /moved redirects to (the client follows redirects).
FULL_CRAWL = [
    "/robots.txt",
    "/",
    "/about.html",
    "/news/",
    "/news/2025-10-02-open-house.html",
    "/calendar",
    "/old-page",
    "/moved",
    "/about.html",
]
FETCHED = 7  # page fetches (robots.txt and the redirect hop are not pages)
PAGES = {"/", "/about.html", "/news/", "/news/2025-10-02-open-house.html"}


@dataclass
class Site:
    fake: FakePlatform
    other: FakePlatform  # same host, another port: another origin
    robots: Response | None = None

    def serve(self, request: Request) -> Response:
        path = request.path
        if path == "/robots.txt" and self.robots is not None:
            return self.robots
        if path == "/calendar":
            return 200, {"Content-Type": "text/calendar"}, "BEGIN:VCALENDAR\nEND:VCALENDAR\n"
        if path == "/moved":
            return 301, {"Location": "/about.html"}, ""
        file = SITE / (path.strip("/") or "index.html")
        if path.endswith("/") and path != "/":
            file = file / "index.html"
        if not file.is_file():
            return 404, {"Content-Type": "text/html"}, "<h1>Not found</h1>"
        body = file.read_bytes().replace(b"{OTHER}", self.other.base_url.encode())
        ctype = "text/plain" if file.suffix == ".txt" else "text/html"  # no charset: sniffed
        return 200, {"Content-Type": ctype}, body


@pytest.fixture
def site() -> Iterator[Site]:
    with FakePlatform() as fake, FakePlatform() as other:
        other.route_prefix("/", lambda request: (200, {}, "<html><a href='/x'>x</a></html>"))
        served = Site(fake, other)
        fake.route_prefix("/", served.serve)
        yield served


def crawl(
    site: Site, settings: FetchSettings | None = None, waits: list[float] | None = None
) -> tuple[FetchResult, list[str]]:
    account = Account(
        id="district-site", kind="sponsored", platform="web", locator=site.fake.base_url + "/"
    )
    http = HttpClient(
        account.id,
        "sponsored",
        WebConnector.api_hosts(account) | {"cdn.example-photos.net"},
        settings=HttpSettings(max_attempts=2),
        sleep=(waits if waits is not None else []).append,
    )
    connector = WebConnector(account, http, FixedClock(NOW), settings)
    result = connector.fetch(FetchWindow(since=datetime(2025, 1, 1, tzinfo=UTC), cursor={}))
    return result, [r.path for r in site.fake.requests]


def by_path(result: FetchResult, site: Site) -> dict[str, Item]:
    return {item.native_id.removeprefix(site.fake.base_url): item for item in result.items}


def test_full_crawl_stays_on_origin_and_claims_nothing_about_pages_it_did_not_reach(
    site: Site,
) -> None:
    result, requested = crawl(site)
    assert requested == FULL_CRAWL
    assert set(by_path(result, site)) == PAGES
    assert result.complete_since is None and result.cut_short is None
    assert set(result.cursor["seen"]) == {i.native_id for i in result.items}
    assert site.other.requests == [], (
        "a link to another origin (same host, other port) is not followed"
    )


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/private/gradebook.html", "disallowed by robots.txt"),
        ("/handbook.pdf", "a document, never HTML"),
        ("/elsewhere.html", "on another origin"),
        ("/news/2025-10-02-open-house.html#details", "fragments are not separate pages"),
    ],
)
def test_pages_never_requested(site: Site, path: str, why: str) -> None:
    _, requested = crawl(site)
    assert path not in requested, why


@pytest.mark.parametrize(
    ("robots", "private_requested"),
    [
        (
            (200, {"Content-Type": "text/plain"}, "User-agent: hallmonitor\nDisallow: /private/\n"),
            False,
        ),
        ((200, {"Content-Type": "text/plain"}, "User-agent: OtherBot\nDisallow: /\n"), True),
        ((404, {}, "no robots"), True),
        ((403, {}, "forbidden"), True),
    ],
    ids=[
        "rules naming our agent apply",
        "rules for another agent do not",
        "missing robots.txt allows all",
        "4xx robots.txt allows all (RFC 9309)",
    ],
)
def test_robots_rules(site: Site, robots: Response, private_requested: bool) -> None:
    site.robots = robots
    result, requested = crawl(site)
    assert ("/private/gradebook.html" in requested) is private_requested
    assert result.complete_since is None and result.cut_short is None


def test_unreachable_robots_txt_skips_the_site(site: Site) -> None:
    site.robots = (503, {}, "down")
    with pytest.raises(SkippableError) as caught:
        crawl(site)
    assert caught.value.reason == "transient_exhausted"
    assert "/" not in [r.path for r in site.fake.requests]


@pytest.mark.parametrize(
    ("robots", "reason"),
    [
        ((200, {}, "User-agent: *\nDisallow: /\n"), "robots_disallowed"),
    ],
    ids=["robots.txt disallowing everything"],
)
def test_root_disallowed_is_a_gap_not_an_empty_site(
    site: Site, robots: Response, reason: str
) -> None:
    site.robots = robots
    with pytest.raises(SkippableError) as caught:
        crawl(site)
    assert caught.value.reason == reason
    assert [r.path for r in site.fake.requests] == ["/robots.txt"]


def test_root_not_found_is_a_gap(site: Site) -> None:
    site.fake.routes["/"] = lambda request: (404, {}, "gone")
    with pytest.raises(SkippableError) as caught:
        crawl(site)
    assert caught.value.reason == "not_found"


@pytest.mark.parametrize(
    ("settings", "pages", "complete"),
    [
        (FetchSettings(max_site_pages=2), 2, False),
        (FetchSettings(max_site_pages=FETCHED - 1), 4, False),
        (FetchSettings(max_site_pages=FETCHED), 4, True),
    ],
    ids=[
        "page limit stops the crawl",
        "page limit one short of the site is truncated",
        "page limit exactly the site size completes",
    ],
)
def test_limits(site: Site, settings: FetchSettings, pages: int, complete: bool) -> None:
    result, _ = crawl(site, settings)
    assert len(result.items) == pages
    assert result.complete_since is None
    assert (result.cut_short is None) is complete
    assert bool(result.notes) is not complete


@pytest.mark.parametrize(
    ("spare", "pages", "complete"),
    [(-1, 0, False), (100, 1, False), (1_000_000, 4, True)],
    ids=[
        "root alone over the byte limit is a gap",
        "byte limit reached by the next page stops the crawl",
        "byte limit above the site size completes",
    ],
)
def test_byte_limit(site: Site, spare: int, pages: int, complete: bool) -> None:
    root = site.serve(Request("GET", "/", {}, {}))[2]
    assert isinstance(root, bytes)
    settings = FetchSettings(max_site_bytes=len(root) + spare)
    if not pages:
        with pytest.raises(SkippableError) as caught:
            crawl(site, settings)
        assert caught.value.reason == "too_large"
        return
    result, requested = crawl(site, settings)
    assert len(result.items) == pages
    assert (result.cut_short is None) is complete
    if not complete:
        assert "/about.html" in requested, "the page that broke the budget was asked for"
        assert any("too_large" in n or "ceiling" in n for n in result.notes)


def test_page_content_is_extracted(site: Site) -> None:
    result, _ = crawl(site)
    pages = by_path(result, site)
    root, story, about = pages["/"], pages["/news/2025-10-02-open-house.html"], pages["/about.html"]
    base = site.fake.base_url
    assert (
        root.kind == "page"
        and root.permalink == base + "/"
        and root.title == "Example Public Schools"
    )
    assert "Conferences are next week." in root.text
    assert "tracking" not in root.text and "font-family" not in root.text, (
        "script/style are not text"
    )
    assert root.text.startswith("Welcome to Example Public Schools"), "navigation is not text"
    assert root.media == [
        MediaRef(base + "/assets/logo.png", "image", "Example Public Schools logo"),
        MediaRef("https://cdn.example-photos.net/gym.jpg", "image", "New gym"),
    ]
    assert root.published_at is None
    assert story.published_at == datetime(2025, 10, 2, 14, 30, tzinfo=UTC)
    assert story.edited_at == datetime(2025, 10, 3, 15, 0, tzinfo=UTC)
    assert "café" in story.text and "—" in story.text, "UTF-8 without a charset header is sniffed"
    assert story.media == [
        MediaRef(base + "/assets/open-house.jpg", "image", "Families in the library")
    ]
    assert about.published_at == datetime(2025, 8, 15, tzinfo=UTC)
    assert about.text.startswith("About us\n\nOur district serves 4,000 students.")


def test_redirect_to_a_crawled_page_is_not_a_second_item(site: Site) -> None:
    result, requested = crawl(site)
    assert "/moved" in requested
    ids = [i.native_id for i in result.items]
    assert ids.count(site.fake.base_url + "/about.html") == 1


def test_gone_page_is_absent_but_the_crawl_is_complete(site: Site) -> None:
    result, requested = crawl(site)
    assert "/old-page" in requested
    assert site.fake.base_url + "/old-page" not in {i.native_id for i in result.items}
    assert result.cut_short is None


def test_failing_page_leaves_the_crawl_without_a_claim(site: Site) -> None:
    site.fake.routes["/about.html"] = lambda request: (403, {}, "staff only")
    result, _ = crawl(site)
    assert result.complete_since is None and result.cut_short == "crawl_incomplete"
    assert any("/about.html" in note for note in result.notes)
    assert site.fake.base_url + "/news/" in {i.native_id for i in result.items}


@pytest.mark.parametrize(
    ("delay", "expected"),
    [("1", 1.0), ("60", 5.0)],
    ids=["crawl-delay honoured", "crawl-delay capped"],
)
def test_crawl_delay(site: Site, delay: str, expected: float) -> None:
    site.robots = (200, {}, f"User-agent: *\nDisallow: /private/\nCrawl-delay: {delay}\n")
    waits: list[float] = []
    crawl(site, waits=waits)
    assert waits == [expected] * (FETCHED - 1), "a pause before every page but the first"
