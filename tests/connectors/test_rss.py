"""The `rss` connector on real feeds (tests/fixtures/http/rss/, copied from parser test corpora)
and on small synthetic feeds for edge cases, all served from loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import FetchResult, FetchWindow, Item, MediaRef
from connectors.errors import SkippableError
from connectors.http import HttpClient, HttpSettings
from connectors.rss import RssConnector
from demo.fakeplatform import FakePlatform, Request, Response
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "http" / "rss"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=UTF-8"}


def no_sleep(seconds: float) -> None:
    """Waits are not slept in tests."""


@dataclass
class Feed:
    fake: FakePlatform
    response: Response = (200, RSS_TYPE, b"")

    def fetch(
        self,
        since: datetime = LONG_AGO,
        cursor: dict[str, Any] | None = None,
        full_rescan: bool = False,
        api_base: bool = False,
    ) -> FetchResult:
        locator = (
            "https://news.example-schools.org" if api_base else self.fake.base_url
        ) + "/feed/?type=rss"
        account = Account(
            id="news",
            kind="sponsored",
            platform="rss",
            locator=locator,
            api_base=self.fake.base_url if api_base else None,
        )
        http = HttpClient(
            account.id,
            "sponsored",
            RssConnector.api_hosts(account),
            settings=HttpSettings(max_attempts=2),
            sleep=no_sleep,
        )
        connector = RssConnector(account, http, FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
        return connector.fetch(
            FetchWindow(since=since, cursor=cursor or {}, full_rescan=full_rescan)
        )


@pytest.fixture
def feed() -> Iterator[Feed]:
    with FakePlatform() as fake:
        served = Feed(fake)
        fake.route("/feed/", lambda request: served.response)
        yield served


def serve_file(feed: Feed, name: str, headers: dict[str, str] | None = None) -> None:
    feed.response = (200, headers or RSS_TYPE, (FEEDS / name).read_bytes())


def first(result: FetchResult) -> Item:
    return result.items[0]


# -- the four real feeds --------------------------------------------------------------------------
def test_wordpress_feed_with_content_encoded(feed: Feed) -> None:
    serve_file(feed, "rss-wordpress-content-encoded.xml")
    result = feed.fetch()
    item = first(result)
    assert len(result.items) == 10
    assert item.native_id == "https://blog.openstreetmap.org/?p=176627567"
    assert item.permalink == "https://blog.openstreetmap.org/2017/05/09/registration-open-sotm2017/"
    assert item.published_at == datetime(2017, 5, 9, 13, 0, 50, tzinfo=UTC)
    assert item.title == "Registration is now open for State of the Map 2017"
    assert item.author == "OpenStreetMap"
    assert "Tickets for State of the Map 2017 are" in item.text and "<" not in item.text
    assert item.html and "<img" in item.html
    assert item.media[0] == MediaRef(
        "https://blog.openstreetmap.org/wp-content/uploads/2017/05/Wiki-c-ooruri-300x212.jpg",
        "image",
    )
    assert all("768x543" not in ref.url for ref in item.media), "srcset variants are not images"
    assert result.complete_since == min(i.published_at for i in result.items if i.published_at)


def test_nytimes_feed_with_media_content(feed: Feed) -> None:
    serve_file(feed, "rss-media-content-nytimes.xml")
    result = feed.fetch()
    item = first(result)
    assert len(result.items) == 15
    assert (
        item.permalink
        == item.native_id
        == (
            "https://bits.blogs.nytimes.com/2016/02/09/daily-report-a-net-neutrality-setback-for-facebook-in-india/"
        )
    )
    assert item.published_at == datetime(2016, 2, 9, 14, 36, 54, tzinfo=UTC)
    assert item.author == "By Jim Kerstetter"
    assert item.media == [
        MediaRef(
            "https://static01.nyt.com/images/2011/11/30/technology/"
            "bits-daily-report/bits-daily-report-thumbStandard-v5.png",
            "image",
        )
    ]
    assert item.text.startswith("In the United States, the social media giant")


def test_atom_feed_uses_updated_and_img_alt(feed: Feed) -> None:
    serve_file(feed, "atom-xkcd.xml", {"Content-Type": "application/atom+xml"})
    result = feed.fetch()
    item = first(result)
    assert [i.native_id for i in result.items] == [
        f"https://xkcd.com/{n}/" for n in (1840, 1839, 1838, 1837)
    ]
    assert item.permalink == "https://xkcd.com/1840/"
    assert item.published_at == datetime(2017, 5, 22, tzinfo=UTC), "no <published>: <updated>"
    assert item.media == [
        MediaRef(
            "https://imgs.xkcd.com/comics/genetic_testing_results.png",
            "image",
            "That's very exciting! The bad news is that it's a risk factor for a lot of things.",
        )
    ]
    assert result.complete_since == datetime(2017, 5, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "content_type",
    ["application/rss+xml; charset=ISO-8859-1", "text/xml", "application/octet-stream"],
)
def test_mediarss_enclosure_feed_with_mismatched_encoding(feed: Feed, content_type: str) -> None:
    serve_file(feed, "rss-mediarss-enclosure.xml", {"Content-Type": content_type})
    item = first(feed.fetch())
    jpg = "http://i.mol.im/i/pix/2013/02/03/article-2272640-174FCEE2000005DC-697_154x115.jpg"
    assert item.media == [MediaRef(jpg, "image")], "one image; video enclosure and content left out"
    assert item.published_at == datetime(2013, 2, 3, 4, 13, 3, tzinfo=UTC)
    assert item.raw["media_credit"][0]["content"] == "© Bettmann/CORBIS", (
        "UTF-8 bytes, not mojibake"
    )
    assert "Black Dahlia" in (item.title or "")


# -- edge cases on small feeds --------------------------------------------------------------------
def rss(item: str, channel: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>t</title><link>https://ex.org/</link>{channel}<item>{item}</item>"
        f"</channel></rss>"
    ).encode()


EDGE_CASES = [
    (
        "guid isPermaLink=false is an id, the link is the permalink",
        rss('<guid isPermaLink="false">abc-1</guid><link>https://ex.org/p/1</link>'),
        {"native_id": "abc-1", "permalink": "https://ex.org/p/1"},
    ),
    (
        "a permalink guid without a link is the permalink",
        rss("<guid>https://ex.org/p/2</guid>"),
        {"native_id": "https://ex.org/p/2", "permalink": "https://ex.org/p/2"},
    ),
    (
        "no guid: the link is the id",
        rss("<link>https://ex.org/p/3</link>"),
        {"native_id": "https://ex.org/p/3", "permalink": "https://ex.org/p/3"},
    ),
    (
        "relative link resolved against the feed URL",
        rss('<guid isPermaLink="false">x</guid><link>/p/4</link>'),
        {"permalink": "{base}/p/4"},
    ),
    (
        "zone name EST is five hours behind UTC",
        rss("<guid>https://ex.org/5</guid><pubDate>Tue, 09 May 2017 13:00:50 EST</pubDate>"),
        {"published_at": datetime(2017, 5, 9, 18, 0, 50, tzinfo=UTC)},
    ),
    (
        "numeric offset",
        rss("<guid>https://ex.org/6</guid><pubDate>Tue, 09 May 2017 13:00:50 +0200</pubDate>"),
        {"published_at": datetime(2017, 5, 9, 11, 0, 50, tzinfo=UTC)},
    ),
    ("no date at all", rss("<guid>https://ex.org/7</guid>"), {"published_at": None}),
    (
        "relative <img> resolved, data: image skipped, text without tags",
        rss(
            "<guid>https://ex.org/8</guid><description>&lt;p&gt;Hi &lt;b&gt;there&lt;/b&gt;."
            '&lt;img src="i/a.png" alt="A"&gt;'
            '&lt;img src="data:image/gif;base64,R0l="&gt;&lt;/p&gt;'
            "</description>"
        ),
        {"media": [MediaRef("{base}/feed/i/a.png", "image", "A")], "text": "Hi there."},
    ),
    (
        "video media:content and audio enclosure are not images; thumbnail is",
        rss(
            "<guid>https://ex.org/9</guid>"
            '<media:content url="https://ex.org/v.mp4" medium="video"/>'
            '<enclosure url="https://ex.org/a.mp3" type="audio/mpeg" length="1"/>'
            '<media:thumbnail url="https://ex.org/v.jpg"/>'
        ),
        {"media": [MediaRef("https://ex.org/v.jpg", "image")]},
    ),
    (
        "same image from enclosure and <img> once, alt from the <img>",
        rss(
            '<guid>https://ex.org/10</guid><enclosure url="https://ex.org/c.jpg" type="image/jpeg" '
            'length="1"/>'
            '<description>&lt;img src="https://ex.org/c.jpg" alt="Choir"&gt;</description>'
        ),
        {"media": [MediaRef("https://ex.org/c.jpg", "image", "Choir")]},
    ),
    (
        "a guid repeated in the feed yields one item, the first",
        rss(
            "<guid>https://ex.org/11</guid><title>first</title></item>"
            "<item><guid>https://ex.org/11</guid><title>again</title>"
        ),
        {"native_id": "https://ex.org/11", "title": "first"},
    ),
    (
        "atom: xml:base resolves relative links",
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://ex.org/blog/">'
        b'<title>t</title><id>f</id><entry><id>tag:ex.org,2024:1</id><link href="post/1"/>'
        b"<published>2024-01-01T00:00:00-05:00</published></entry></feed>",
        {
            "native_id": "tag:ex.org,2024:1",
            "permalink": "https://ex.org/blog/post/1",
            "published_at": datetime(2024, 1, 1, 5, 0, tzinfo=UTC),
        },
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in EDGE_CASES], ids=[c[0] for c in EDGE_CASES]
)
def test_entry_mapping(feed: Feed, body: bytes, expected: dict[str, Any]) -> None:
    feed.response = (200, RSS_TYPE, body)
    result = feed.fetch()
    assert len(result.items) == 1
    item = first(result)
    base = feed.fake.base_url
    for name, want in expected.items():
        if isinstance(want, str):
            want = want.format(base=base)
        if name == "media":
            want = [MediaRef(m.url.format(base=base), m.role, m.alt) for m in want]
        assert getattr(item, name) == want, name


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (b"<!doctype html><html><body><h1>Welcome</h1></body></html>", "malformed"),
        (b'{"posts": []}', "malformed"),
        (b'<rss version="2.0"><channel><item><guid>https://ex.org/1</guid><title>cut off', 1),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>', 0),
    ],
    ids=[
        "an HTML page is not a feed",
        "JSON is not a feed",
        "truncated feed with an entry still yields it",
        "valid feed with no items is empty, not malformed",
    ],
)
def test_malformed_bodies(feed: Feed, body: bytes, outcome: str | int) -> None:
    feed.response = (200, RSS_TYPE, body)
    if isinstance(outcome, int):
        result = feed.fetch()
        assert len(result.items) == outcome
        assert result.complete_since is None, "no dated item: no completeness claim"
        if outcome:
            assert result.notes, "the parser's complaint is kept as a note"
        return
    with pytest.raises(SkippableError) as caught:
        feed.fetch()
    assert caught.value.reason == outcome


# -- incremental fetching -------------------------------------------------------------------------
def test_window_since_drops_older_items_and_bounds_the_claim(feed: Feed) -> None:
    serve_file(feed, "atom-xkcd.xml")
    since = datetime(2017, 5, 18, tzinfo=UTC)
    result = feed.fetch(since=since)
    assert [i.native_id for i in result.items] == [
        "https://xkcd.com/1840/",
        "https://xkcd.com/1839/",
    ]
    assert result.complete_since == since, "older items were not returned, so not claimed"
    assert result.cursor["newest"] == "2017-05-22T00:00:00+00:00"


def test_conditional_refetch_and_not_modified(feed: Feed) -> None:
    body = (FEEDS / "atom-xkcd.xml").read_bytes()
    etag, modified = '"xkcd-1840"', "Mon, 22 May 2017 00:00:00 GMT"

    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"ETag": etag, "Last-Modified": modified}, body

    feed.fake.route("/feed/", conditional)
    first_result = feed.fetch()
    assert first_result.cursor == {
        "etag": etag,
        "last_modified": modified,
        "newest": "2017-05-22T00:00:00+00:00",
        "horizon": "2000-01-01T00:00:00+00:00",  # the first fetch's since: items kept back to it
    }
    second = feed.fetch(cursor=first_result.cursor)
    assert second.items == [] and second.complete_since is None
    assert second.cursor == first_result.cursor
    sent = feed.fake.requests[-1].headers
    assert sent["If-None-Match"] == etag and sent["If-Modified-Since"] == modified
    rescan = feed.fetch(cursor=first_result.cursor, full_rescan=True)
    assert len(rescan.items) == 4, "a full re-scan is not conditional"
    assert "If-None-Match" not in feed.fake.requests[-1].headers


def test_api_base_replaces_the_feed_host(feed: Feed) -> None:
    serve_file(feed, "atom-xkcd.xml")
    assert len(feed.fetch(api_base=True).items) == 4
    assert feed.fake.requests[-1].path == "/feed/" and feed.fake.requests[-1].arg("type") == "rss"


@pytest.mark.parametrize(("status", "reason"), [(404, "not_found"), (401, "auth"), (410, "gone")])
def test_http_failures_skip_the_account(feed: Feed, status: int, reason: str) -> None:
    feed.response = (status, {}, "nope")
    with pytest.raises(SkippableError) as caught:
        feed.fetch()
    assert caught.value.reason == reason


def test_incremental_night_keeps_every_feed_item_back_to_the_horizon() -> None:
    """The feed is downloaded whole, so an older item's edit is seen the next night, not at the
    next re-scan: a narrow window since does not drop items the first fetch kept."""
    from datetime import UTC, datetime

    from connectors.base import FetchWindow
    from connectors.rss import _horizon

    first = FetchWindow(since=datetime(2026, 8, 1, tzinfo=UTC), cursor={})
    assert _horizon(first) == datetime(2026, 8, 1, tzinfo=UTC)
    later = FetchWindow(since=datetime(2026, 11, 20, tzinfo=UTC),
                        cursor={"horizon": "2026-08-01T00:00:00+00:00"})
    assert _horizon(later) == datetime(2026, 8, 1, tzinfo=UTC)
    rescan = FetchWindow(since=datetime(2026, 7, 1, tzinfo=UTC), full_rescan=True,
                         cursor={"horizon": "2026-08-01T00:00:00+00:00"})
    assert _horizon(rescan) == datetime(2026, 7, 1, tzinfo=UTC)
