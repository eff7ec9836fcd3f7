"""The `rss` connector on real feeds (tests/fixtures/http/rss/, copied from parser test corpora)
and on small synthetic feeds for edge cases, all served from loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import FetchResult, FetchSettings, FetchWindow, Item, MediaRef
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
    assert result.complete_since is None, "a feed is never a complete listing"


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
    assert result.complete_since is None


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
def test_window_since_drops_older_items_and_makes_no_claim(feed: Feed) -> None:
    serve_file(feed, "atom-xkcd.xml")
    since = datetime(2017, 5, 18, tzinfo=UTC)
    result = feed.fetch(since=since)
    assert [i.native_id for i in result.items] == [
        "https://xkcd.com/1840/",
        "https://xkcd.com/1839/",
    ]
    assert result.complete_since is None, "a feed is never evidence of deletion"
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
        # each item's permalink, to re-check when it leaves the feed
        "seen": {f"https://xkcd.com/{n}/": f"https://xkcd.com/{n}/" for n in range(1837, 1841)},
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
    later = FetchWindow(
        since=datetime(2026, 11, 20, tzinfo=UTC), cursor={"horizon": "2026-08-01T00:00:00+00:00"}
    )
    assert _horizon(later) == datetime(2026, 8, 1, tzinfo=UTC)
    rescan = FetchWindow(
        since=datetime(2026, 7, 1, tzinfo=UTC),
        full_rescan=True,
        cursor={"horizon": "2026-08-01T00:00:00+00:00"},
    )
    assert _horizon(rescan) == datetime(2026, 7, 1, tzinfo=UTC)


# -- what a feed says, kept whole (titles, ids, encodings) -----------------------------------------
def rss(items: str, encoding: str = "UTF-8") -> str:
    """An RSS 2.0 document shaped like WordPress's (content:encoded, dc:creator)."""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>District news</title>'
        f"<link>https://news.example-schools.org</link><description>News</description>{items}"
        "</channel></rss>"
    )


def rss_item(number: int, day: int, link: bool = True, guid: str | None = None) -> str:
    when = f"{day:02d} Dec 2025 15:00:00 +0000"
    page = f"https://news.example-schools.org/{number}/"
    return (
        f"<item><title>Item {number}</title>"
        + (f"<link>{page}</link>" if link else "")
        + f"<pubDate>{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][day % 7]}, {when}</pubDate>"
        + f"<guid>{guid or page}</guid><description>Body {number}</description></item>"
    )


def test_html_titles_lose_markup_and_entities(feed: Feed) -> None:
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Board</title><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>"
        "<updated>2025-12-03T10:00:00Z</updated>"
        '<entry><title type="html">AT&amp;amp;T &lt;b&gt;news&lt;/b&gt;</title>'
        '<link rel="alternate" href="https://news.example-schools.org/att/"/>'
        "<id>tag:news.example-schools.org,2025:att</id><updated>2025-12-03T10:00:00Z</updated>"
        '<content type="html">&lt;p&gt;Grant&lt;/p&gt;</content></entry>'
        '<entry><title type="text">Less &lt;than&gt; more</title>'
        '<link rel="alternate" href="https://news.example-schools.org/lt/"/>'
        "<id>tag:news.example-schools.org,2025:lt</id><updated>2025-12-02T10:00:00Z</updated>"
        "</entry></feed>"
    )
    feed.response = (200, {"Content-Type": "application/atom+xml"}, atom.encode())
    result = feed.fetch()
    assert [i.title for i in result.items] == ["AT&T news", "Less <than> more"]
    # An RSS title with escaped markup, as WordPress writes it.
    feed.response = (
        200,
        RSS_TYPE,
        rss(
            "<item><title>Bus &amp;amp; &lt;em&gt;rail&lt;/em&gt; changes</title>"
            "<link>https://news.example-schools.org/bus/</link>"
            "<guid>https://news.example-schools.org/?p=9</guid></item>"
        ).encode(),
    )
    assert feed.fetch().items[0].title == "Bus & rail changes"


def test_non_web_ids_are_never_permalinks(feed: Feed) -> None:
    items = rss_item(1, 2, link=False, guid="urn:uuid:0b7c4c2e-2f7a-4e0d-9a55-2b8c7a1f0e11")
    items += rss_item(2, 3, link=False, guid="tag:news.example-schools.org,2025:2")
    items += rss_item(3, 4)
    feed.response = (200, RSS_TYPE, rss(items).encode())
    result = feed.fetch()
    permalinks = {i.native_id: i.permalink for i in result.items}
    feed_url = feed.fake.base_url + "/feed/?type=rss"
    assert permalinks["urn:uuid:0b7c4c2e-2f7a-4e0d-9a55-2b8c7a1f0e11"] == feed_url
    assert permalinks["tag:news.example-schools.org,2025:2"] == feed_url
    assert (
        permalinks["https://news.example-schools.org/3/"] == "https://news.example-schools.org/3/"
    )
    assert set(result.cursor["seen"]) == {"https://news.example-schools.org/3/"}


@pytest.mark.parametrize(
    ("codec", "headers"),
    [
        ("utf-16", {"Content-Type": "text/xml"}),  # with BOM, served without a charset
        ("utf-16-le", {"Content-Type": "text/xml"}),  # no BOM: the declaration says it
        ("utf-16-be", {}),  # no Content-Type at all
        ("utf-8", {}),
    ],
    ids=["utf16-bom-text-xml", "utf16le-text-xml", "utf16be-untyped", "utf8-untyped"],
)
def test_feeds_without_charset_or_type_are_read_by_their_declaration(
    feed: Feed, codec: str, headers: dict[str, str]
) -> None:
    body = rss(
        rss_item(1, 2).replace("Item 1", "Élèves à l'école"),
        encoding="utf-16" if codec.startswith("utf-16") else "UTF-8",
    ).encode(codec)
    feed.response = (200, headers, body)
    result = feed.fetch()
    assert [i.title for i in result.items] == ["Élèves à l'école"]
    assert result.notes == [], "no encoding or media-type warning"


# -- a feed is never evidence of deletion ----------------------------------------------------------
def test_item_that_rotated_out_of_the_feed_is_not_gone_but_a_404_permalink_is(
    feed: Feed,
) -> None:
    pages = {"/1/": 200, "/2/": 404, "/3/": 410}
    for path, status in pages.items():
        feed.fake.route(path, lambda request, status=status: (status, {}, "page"))
    feed.response = (
        200,
        RSS_TYPE,
        rss(rss_item(4, 5) + rss_item(3, 4) + rss_item(2, 3) + rss_item(1, 2)).encode(),
    )
    first = feed.fetch(api_base=True)
    assert first.gone == {} and first.complete_since is None
    feed.response = (200, RSS_TYPE, rss(rss_item(5, 6) + rss_item(4, 5)).encode())
    second = feed.fetch(cursor=first.cursor, api_base=True)
    assert second.complete_since is None
    assert set(second.gone) == {
        "https://news.example-schools.org/2/",
        "https://news.example-schools.org/3/",
    }
    assert "answered HTTP 404 when re-checked" in second.gone["https://news.example-schools.org/2/"]
    assert "answered HTTP 410" in second.gone["https://news.example-schools.org/3/"]
    asked = [r.path for r in feed.fake.requests if r.path in pages]
    assert sorted(asked) == ["/1/", "/2/", "/3/"], "each missing item's permalink asked once"
    # Re-checked items are forgotten: the next fetch asks nothing again.
    assert set(second.cursor["seen"]) == {
        "https://news.example-schools.org/5/",
        "https://news.example-schools.org/4/",
    }


def test_a_huge_feed_is_capped_and_recorded_as_partial(feed: Feed) -> None:
    items = "".join(rss_item(n, 1 + n % 28) for n in range(1, 3001))
    feed.response = (200, RSS_TYPE, rss(items).encode())
    http_feed = feed
    account = Account(
        id="news", kind="sponsored", platform="rss", locator=http_feed.fake.base_url + "/feed/"
    )
    http = HttpClient(account.id, "sponsored", RssConnector.api_hosts(account), sleep=no_sleep)
    connector = RssConnector(
        account, http, FixedClock(datetime(2026, 1, 1, tzinfo=UTC)), FetchSettings(max_items=500)
    )
    started = time.process_time()
    result = connector.fetch(FetchWindow(since=LONG_AGO, cursor={}))
    assert time.process_time() - started < 10
    assert len(result.items) == 500
    assert [i.native_id for i in result.items[:2]] == [
        "https://news.example-schools.org/1/",
        "https://news.example-schools.org/2/",
    ], "the feed's first entries are the ones kept"
    assert result.cut_short == "item_limit"
    assert any("3000 entries" in note for note in result.notes)
    assert not any("warning" in note for note in result.notes), "the cut feed is well-formed"
