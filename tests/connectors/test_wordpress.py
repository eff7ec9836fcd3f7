"""The WordPress connector against a fake site serving the recorded REST API `_embed` posts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import FetchResult, FetchSettings, FetchWindow, Item
from connectors.errors import SkippableError
from connectors.html import html_to_text, img_refs
from connectors.http import HttpClient, HttpSettings
from connectors.wordpress import WordPressConnector, parse_gmt
from demo.fakeplatform import Request, Response
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from tests.connectors.contract import fetch_counting, started
from tests.connectors.scenarios.wordpress import (
    COMMENTS,
    INDEX,
    POSTS,
    WordPressScenario,
    load,
)

SINCE = datetime(2016, 1, 1, tzinfo=UTC)


@dataclass
class Site:
    scenario: WordPressScenario
    sleeps: list[float] = field(default_factory=list)

    @property
    def fake(self) -> Any:
        return self.scenario.fake

    def connector(
        self, kind: str = "employee", settings: HttpSettings | None = None, max_pages: int = 50
    ) -> WordPressConnector:
        account = Account(
            id="w1",
            kind=kind,
            platform="wordpress",
            locator=self.fake.base_url,
            owner="E1" if kind == "employee" else None,
        )
        http = HttpClient(
            account_id="w1",
            basis="test",
            allowed_hosts=WordPressConnector.api_hosts(account),
            settings=settings or HttpSettings(max_attempts=3),
            sleep=self.sleeps.append,
        )
        return WordPressConnector(
            account,
            http,
            FixedClock(self.scenario.now),
            settings=FetchSettings(max_pages=max_pages),
        )

    def fetch(
        self,
        cursor: dict[str, Any] | None = None,
        since: datetime = SINCE,
        full_rescan: bool = False,
        **opts: Any,
    ) -> tuple[FetchResult, list[Request]]:
        window = FetchWindow(since, cursor or {}, full_rescan)
        return fetch_counting(self.fake, self.connector(**opts), window)


@pytest.fixture
def site() -> Iterator[Site]:
    with started(WordPressScenario()) as scenario:
        yield Site(scenario)


def by_id(result: FetchResult) -> dict[str, Item]:
    return {i.native_id: i for i in result.items}


def posts_of(result: FetchResult) -> list[Item]:
    return [i for i in result.items if i.kind == "post"]


# -- paging and incremental ---------------------------------------------------------------------
def test_posts_are_paged_until_x_wp_total_pages(site: Site) -> None:
    result, requests = site.fetch()
    pages = [r for r in requests if r.path == POSTS]
    assert [p.arg("page") for p in pages] == ["1", "2", "3"]
    assert {(p.arg("per_page"), p.arg("_embed"), p.arg("after")) for p in pages} == {
        ("100", "1", "2016-01-01T00:00:00Z")
    }
    assert [i.native_id for i in posts_of(result)] == ["57", "54", "42", "36", "33"]
    assert result.complete_since == SINCE
    assert result.cursor == {"newest_gmt": "2016-10-25T18:25:24Z"}


def test_without_total_pages_the_invalid_page_number_400_is_the_end(site: Site) -> None:
    site.scenario.totals = False
    result, requests = site.fetch()
    assert [r.arg("page") for r in requests if r.path == POSTS] == ["1", "2", "3", "4"]
    assert len(posts_of(result)) == 5 and result.complete_since == SINCE


def test_another_400_is_an_error_not_the_end(site: Site) -> None:
    site.scenario.on(
        POSTS,
        (
            400,
            {},
            {
                "code": "rest_invalid_param",
                "message": "Invalid parameter(s): after",
                "data": {"status": 400},
            },
        ),
    )
    with pytest.raises(SkippableError) as caught:
        site.fetch()
    assert caught.value.reason == "http_error" and "rest_invalid_param" in str(caught.value)


def test_second_night_asks_only_after_the_stored_newest(site: Site) -> None:
    first, _ = site.fetch()
    new_id = site.scenario.add_item()
    second, requests = site.fetch(cursor=first.cursor)
    assert [(r.arg("after"), r.arg("page")) for r in requests if r.path == POSTS] == [
        ("2016-10-25T18:25:24Z", "1")
    ]
    assert [i.native_id for i in posts_of(second)] == [new_id]
    assert second.cursor == {"newest_gmt": "2016-10-25T19:25:24Z"}
    assert second.complete_since is None


def test_full_rescan_asks_for_everything_modified_since_the_window(site: Site) -> None:
    first, _ = site.fetch()
    since = datetime(2017, 1, 1, tzinfo=UTC)
    rescan, requests = site.fetch(cursor=first.cursor, since=since, full_rescan=True)
    pages = [r for r in requests if r.path == POSTS]
    assert {(r.arg("modified_after"), r.arg("after")) for r in pages} == {
        ("2017-01-01T00:00:00Z", None)
    }
    # All five were edited in 2017, so the rescan brings back posts published in 2016 too.
    assert len(posts_of(rescan)) == 5 and rescan.complete_since == since
    assert rescan.cursor == first.cursor


def test_rescan_keeps_only_posts_modified_in_the_window_if_the_site_ignores_the_filter(
    site: Site,
) -> None:
    site.scenario.posts[0]["modified_gmt"] = "2016-12-01T00:00:00"
    original = site.scenario._posts
    site.fake.route(
        POSTS,
        lambda request: original(  # an old WordPress: no modified_after
            Request(
                request.method,
                request.path,
                {k: v for k, v in request.query.items() if k != "modified_after"},
                request.headers,
            )
        ),
    )
    since = datetime(2017, 1, 1, tzinfo=UTC)
    rescan, _ = site.fetch(since=since, full_rescan=True)
    assert [i.native_id for i in posts_of(rescan)] == ["54", "42", "36", "33"]


def test_repeating_pages_stop_and_keep_the_old_cursor(site: Site) -> None:
    site.scenario.repeat_pages = True
    result, requests = site.fetch(cursor={"newest_gmt": "2010-01-01T00:00:00Z"}, full_rescan=True)
    assert len([r for r in requests if r.path == POSTS]) == 2
    assert result.complete_since is None
    assert result.cursor == {"newest_gmt": "2010-01-01T00:00:00Z"}
    assert any("repeats" in n for n in result.notes)


def test_page_ceiling_stops_without_claiming_completeness(site: Site) -> None:
    result, requests = site.fetch(max_pages=2)
    assert len([r for r in requests if r.path == POSTS]) == 2
    assert result.complete_since is None and result.cursor == {}
    assert result.cut_short == "page_limit", "a cut-off is partial coverage, not complete"
    assert len(posts_of(result)) == 4


def test_empty_blog_yields_only_the_profile(site: Site) -> None:
    site.scenario.make_empty()
    result, requests = site.fetch()
    assert [i.kind for i in result.items] == ["profile"]
    assert len([r for r in requests if r.path == POSTS]) == 1


# -- mapping ------------------------------------------------------------------------------------
def test_profile_is_the_site_index(site: Site) -> None:
    profile = by_id(site.fetch()[0])["profile"]
    assert (profile.kind, profile.text) == ("profile", "A demo blog about travelling")
    assert profile.extra["display_name"] == "Demo Worona"
    assert profile.permalink == profile.extra["website"] == site.fake.base_url
    assert [(m.role, m.url.rsplit("/", 1)[-1]) for m in profile.media] == [
        ("avatar", "cropped-icon.png")
    ]


def test_post_fields_map_to_the_item(site: Site) -> None:
    item = by_id(site.fetch()[0])["57"]
    assert item.permalink == f"{site.fake.base_url}/shinjuku-gyoen-national-garden/"
    assert item.title == "Shinjuku Gyoen National Garden"
    assert item.author == "Reyes Martinez"
    assert item.published_at == datetime(2016, 10, 25, 18, 25, 24, tzinfo=UTC)
    assert item.edited_at == datetime(2017, 6, 7, 12, 11, 37, tzinfo=UTC)
    assert item.text.startswith("Shinjuku Gyoen National Garden") and "<" not in item.text


def test_featured_media_and_every_content_image_are_captured(site: Site) -> None:
    items = by_id(site.fetch()[0])
    kebumen = items["42"]  # featured image plus two <img> in the content
    featured = load("posts-embed.json")[2]["_embedded"]["wp:featuredmedia"][0]
    assert kebumen.media[0].url == featured["source_url"].replace(
        "https://demo.worona.org", site.fake.base_url
    )
    assert len(kebumen.media) == 3 and len({m.url for m in kebumen.media}) == 3
    assert all(len(items[i].media) >= 2 for i in ("57", "54", "36", "33"))


def test_every_media_url_downloads_as_an_image_through_the_allow_list(site: Site) -> None:
    connector = site.connector()
    result = connector.fetch(FetchWindow(SINCE, {}))
    urls = {m.url for i in result.items for m in i.media}
    assert len(urls) >= 11  # featured + content images of five posts, and the site icon
    assert {connector.http.get_bytes(url)[1] for url in urls} == {"image/png"}


def test_embedded_error_instead_of_featured_media_is_noted(site: Site) -> None:
    site.scenario.posts[0]["_embedded"]["wp:featuredmedia"] = [
        {
            "code": "rest_forbidden",
            "message": "Sorry, you are not allowed to do that.",
            "data": {"status": 401},
        }
    ]
    result, _ = site.fetch()
    assert len(by_id(result)["57"].media) == 1  # only the <img> in the content
    assert any("rest_forbidden" in n for n in result.notes)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<p><img src="/wp-content/uploads/a.jpg" alt="Choir"></p>',
            [("https://blog.example/wp-content/uploads/a.jpg", "Choir")],
        ),
        (
            '<img data-src="https://blog.example/b.jpg" src="data:image/gif;base64,R0lGOD">',
            [("https://blog.example/b.jpg", None)],
        ),
        (
            '<img src="https://i0.wp.com/blog.example/c.jpg" alt="">',
            [("https://i0.wp.com/blog.example/c.jpg", None)],
        ),
        # Near misses: an inline data: image and an <img> without src give nothing.
        ('<img src="data:image/png;base64,iVBOR">', []),
        ('<img alt="no source">', []),
    ],
)
def test_content_images(html: str, expected: list[tuple[str, str | None]]) -> None:
    refs = img_refs(html, "https://blog.example/2016/10/post/")
    assert [(r.url, r.alt) for r in refs] == expected


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Don&#8217;t <em>miss</em> it", "Don\u2019t miss it"),
        ("Fish &amp; Chips", "Fish & Chips"),
        ("<p>One</p><p>Two<br/>Three</p>", "One\n\nTwo\nThree"),
        ("", ""),
    ],
)
def test_rendered_html_becomes_plain_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-10-25T18:25:24", datetime(2016, 10, 25, 18, 25, 24, tzinfo=UTC)),
        ("2016-10-25T18:25:24Z", datetime(2016, 10, 25, 18, 25, 24, tzinfo=UTC)),
        ("0000-00-00T00:00:00", None),  # an unpublished draft's date_gmt
        (None, None),
    ],
)
def test_gmt_dates_without_zone_are_utc(value: str | None, expected: datetime | None) -> None:
    assert parse_gmt(value) == expected


def test_unedited_post_has_no_edited_at(site: Site) -> None:
    site.scenario.posts[0]["modified_gmt"] = site.scenario.posts[0]["date_gmt"]
    assert by_id(site.fetch()[0])["57"].edited_at is None


# -- comments -------------------------------------------------------------------------------------
def test_sponsored_blog_captures_comments_linked_to_post_and_parent(site: Site) -> None:
    result, requests = site.fetch(kind="sponsored")
    items = by_id(result)
    assert (items["comment-11"].kind, items["comment-11"].parent_native_id) == ("comment", "57")
    assert items["comment-12"].parent_native_id == "comment-11"
    assert items["comment-11"].author == "A visitor"
    assert items["comment-12"].text == "Thanks! It\u2019s lovely in November too."
    assert items["comment-12"].published_at == datetime(2016, 10, 26, 9, 14, 2, tzinfo=UTC)
    assert sorted(str(r.arg("post")) for r in requests if r.path == COMMENTS) == [
        "33",
        "36",
        "42",
        "54",
        "57",
    ]


def test_unreadable_comments_are_noted_and_the_rest_kept(site: Site) -> None:
    site.scenario.on(
        COMMENTS,
        (
            401,
            {},
            {
                "code": "rest_cannot_read_post",
                "message": "Sorry, you are not allowed to read the post for this comment.",
                "data": {"status": 401},
            },
        ),
    )
    result, _ = site.fetch(kind="sponsored")
    assert len(posts_of(result)) == 5 and not [i for i in result.items if i.kind == "comment"]
    assert len([n for n in result.notes if "comments on post" in n]) == 5


def test_employee_blog_reads_no_comments(site: Site) -> None:
    _, requests = site.fetch(kind="employee")
    assert not [r for r in requests if r.path == COMMENTS]


# -- faults -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            (403, {"Content-Type": "text/html"}, "<html>Attention Required! | Cloudflare</html>"),
            "forbidden",
        ),
        (
            (403, {"cf-mitigated": "challenge", "Content-Type": "text/html"}, "<html></html>"),
            "forbidden",
        ),
        ((401, {}, {"code": "rest_not_logged_in", "message": "not logged in"}), "auth"),
        ((404, {}, {"code": "rest_no_route"}), "not_found"),
        ((200, {}, "<html><body>Maintenance</body></html>"), "malformed"),
        ((200, {}, {"routes": {}}), "malformed"),  # JSON, but not a REST index
    ],
)
def test_index_failures_skip_the_account_with_a_reason(
    site: Site, answer: Response, reason: str
) -> None:
    site.scenario.on(INDEX, answer)
    with pytest.raises(SkippableError) as caught:
        site.fetch()
    assert caught.value.reason == reason


def test_waf_429_is_retried_after_retry_after(site: Site) -> None:
    site.scenario.on(
        POSTS,
        (429, {"Retry-After": "7"}, "slow down"),
        (200, {"X-WP-TotalPages": "1"}, site.scenario.serve(site.scenario.posts)),
    )
    result, _ = site.fetch()
    assert site.sleeps == [7.0] and len(posts_of(result)) == 5


def test_server_error_is_retried_then_succeeds(site: Site) -> None:
    site.scenario.on(INDEX, (500, {}, "error"), (200, {}, site.scenario.serve(site.scenario.index)))
    result, requests = site.fetch()
    assert len([r for r in requests if r.path == INDEX]) == 2 and len(posts_of(result)) == 5


def test_malformed_posts_page_skips_the_account(site: Site) -> None:
    site.scenario.on(POSTS, (200, {"Content-Type": "application/json"}, b'[{"id": 57,'))
    with pytest.raises(SkippableError) as caught:
        site.fetch()
    assert caught.value.reason == "malformed"


def test_stall_longer_than_the_read_timeout_is_retried_then_skipped(site: Site) -> None:
    def stall(request: Request) -> Response:
        time.sleep(0.6)
        return 200, {}, []

    site.fake.route(POSTS, stall)
    with pytest.raises(SkippableError) as caught:
        site.fetch(settings=HttpSettings(read_timeout=0.2, max_attempts=2))
    assert caught.value.reason == "transient_exhausted"


@pytest.mark.parametrize(
    ("locator", "api_base", "base", "hosts"),
    [
        (
            "https://blog.school.example/",
            None,
            "https://blog.school.example",
            {"blog.school.example"},
        ),
        (
            "https://blog.school.example",
            "https://school.example/blog",
            "https://school.example/blog",
            {"school.example"},
        ),
        ("blog.school.example", None, "https://blog.school.example", {"blog.school.example"}),
    ],
)
def test_api_base_defaults_to_the_site_url(
    locator: str, api_base: str | None, base: str, hosts: set[str]
) -> None:
    account = Account(
        id="a", kind="sponsored", platform="wordpress", locator=locator, api_base=api_base
    )
    connector = WordPressConnector(account, HttpClient("a", "b", set()), FixedClock(SINCE))
    assert connector.api_base == base
    assert WordPressConnector.api_hosts(account) == hosts


def test_embedded_video_iframe_is_recorded_as_a_link(site: Site) -> None:
    post = site.scenario.posts[0]
    # The block editor's oEmbed markup for a YouTube video (core/embed block).
    post["content"]["rendered"] += (
        '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube '
        'wp-embed-aspect-16-9 wp-has-aspect-ratio"><div class="wp-block-embed__wrapper">\n'
        '<iframe loading="lazy" title="Spring concert" width="640" height="360" '
        'src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed" frameborder="0" '
        'allow="accelerometer; autoplay; encrypted-media" allowfullscreen></iframe>\n'
        "</div><figcaption>Our choir on stage</figcaption></figure>\n"
    )
    post["title"]["rendered"] = "Choir &#038; band: &#8220;live&#8221; <em>tonight</em>"
    item = by_id(site.fetch()[0])[str(post["id"])]
    assert item.extra["links"] == ["https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed"]
    assert item.text.endswith("Our choir on stage")
    assert item.title == "Choir & band: \u201clive\u201d tonight"
