"""The Bluesky connector against a fake public AppView serving the recorded AT Protocol bodies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import FetchResult, FetchWindow, Item
from connectors.bluesky import (
    BlueskyConnector,
    embed_media,
    parse_locator,
    parse_time,
    web_permalink,
)
from connectors.errors import SkippableError
from connectors.http import HttpClient, HttpSettings
from demo.fakeplatform import Request, Response
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from tests.connectors.contract import fetch_counting, started
from tests.connectors.scenarios.bluesky import (
    DID,
    FEED,
    HANDLE,
    PROFILE,
    THREAD,
    BlueskyScenario,
    load,
    reply_to,
    thread_view,
)

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
OWN_REPLY = f"at://{DID}/app.bsky.feed.post/3kk7jmdq7ke23"
OWN_IMAGES = f"at://{DID}/app.bsky.feed.post/3kk6hpyu36f2i"
FIRST_REPOSTED = "at://did:plc:snhe2oxrn74k3m24ffw2mfie/app.bsky.feed.post/3kk7jev7emt2n"
RECORD_WITH_MEDIA = "at://did:plc:wyofccgy5u3dt3pzdgcxh7po/app.bsky.feed.post/3kk37n5vha32v"
OWN_WITH_REPLY = f"at://{DID}/app.bsky.feed.post/3kk6gii2d2o2w"  # replyCount 1


@dataclass
class AppView:
    scenario: BlueskyScenario
    sleeps: list[float] = field(default_factory=list)

    @property
    def fake(self) -> Any:
        return self.scenario.fake

    def connector(
        self, kind: str = "employee", settings: HttpSettings | None = None, locator: str = HANDLE
    ) -> BlueskyConnector:
        account = Account(
            id="b1",
            kind=kind,
            platform="bluesky",
            locator=locator,
            api_base=self.fake.base_url,
            owner="E1" if kind == "employee" else None,
        )
        http = HttpClient(
            account_id="b1",
            basis="test",
            allowed_hosts=BlueskyConnector.api_hosts(account),
            settings=settings or HttpSettings(max_attempts=3),
            sleep=self.sleeps.append,
        )
        return BlueskyConnector(account, http, FixedClock(self.scenario.now))

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
def appview() -> Iterator[AppView]:
    with started(BlueskyScenario()) as scenario:
        yield AppView(scenario)


def by_id(result: FetchResult) -> dict[str, Item]:
    return {i.native_id: i for i in result.items}


def feed_post(uri: str) -> dict[str, Any]:
    return next(
        e["post"]
        for e in load("author-feed.json")["feed"]
        if e["post"]["uri"] == uri and not e.get("reason")
    )


# -- paging and incremental ---------------------------------------------------------------------
def test_author_feed_is_paged_by_cursor_until_the_last_page_has_none(appview: AppView) -> None:
    result, requests = appview.fetch()
    pages = [r for r in requests if r.path == FEED]
    assert [p.arg("actor") for p in pages] == [DID] * 3  # 50 entries at 20 a page
    assert pages[0].arg("limit") == "100" and pages[0].arg("cursor") is None
    assert all("::" in str(p.arg("cursor")) for p in pages[1:])
    assert len([i for i in result.items if i.kind != "profile"]) == 50
    assert result.complete_since == SINCE
    assert result.cursor == {"newest": "2024-01-30T16:06:44.448000+00:00"}


def test_paging_stops_at_the_first_entry_older_than_since(appview: AppView) -> None:
    since = datetime(2024, 1, 30, 5, 0, tzinfo=UTC)
    result, requests = appview.fetch(since=since)
    assert len([r for r in requests if r.path == FEED]) == 2
    kept = [i for i in result.items if i.kind != "profile"]
    assert kept and all(
        i.published_at and i.published_at >= since - timedelta(hours=12) for i in kept
    )
    assert len(kept) < 50 and result.complete_since == since


def test_second_night_reads_only_down_to_the_stored_newest_entry(appview: AppView) -> None:
    first, _ = appview.fetch()
    new_uri = appview.scenario.add_item()
    second, requests = appview.fetch(cursor=first.cursor)
    assert [r.arg("cursor") for r in requests if r.path == FEED] == [None]
    assert [i.native_id for i in second.items if i.kind != "profile"] == [new_uri]
    assert second.cursor["newest"] > first.cursor["newest"]
    assert second.complete_since is None


def test_full_rescan_walks_the_whole_window_despite_the_cursor(appview: AppView) -> None:
    first, _ = appview.fetch()
    rescan, requests = appview.fetch(cursor=first.cursor, full_rescan=True)
    assert len([r for r in requests if r.path == FEED]) == 3
    assert rescan.complete_since == SINCE and len(rescan.items) == len(first.items)


def test_repeating_cursor_stops_paging_and_keeps_the_old_cursor(appview: AppView) -> None:
    appview.scenario.repeat_cursor = True
    result, requests = appview.fetch(
        cursor={"newest": "2020-01-01T00:00:00+00:00"}, full_rescan=True
    )
    assert len([r for r in requests if r.path == FEED]) == 2
    assert result.complete_since is None
    assert result.cursor == {"newest": "2020-01-01T00:00:00+00:00"}
    assert any("repeats" in n for n in result.notes)


def test_empty_feed_yields_only_the_profile(appview: AppView) -> None:
    appview.scenario.make_empty()
    result, _ = appview.fetch()
    assert [i.kind for i in result.items] == ["profile"]
    assert result.complete_since == SINCE


# -- mapping ------------------------------------------------------------------------------------
def test_profile_has_bio_avatar_banner_and_links(appview: AppView) -> None:
    profile = by_id(appview.fetch()[0])["profile"]
    assert profile.text.startswith("Dart/Flutter & atproto enthusiast")
    assert profile.extra["display_name"] == "OSMOTE"
    assert profile.extra["links"] == ["https://github.com/myConsciousness/atproto.dart"]
    assert profile.extra["website"] is None and profile.extra["emails"] == []
    assert [m.role for m in profile.media] == ["avatar", "banner"]
    assert profile.permalink == f"https://bsky.app/profile/{HANDLE}"


def test_profile_website_field_and_emails_in_the_bio(appview: AppView) -> None:
    appview.scenario.profile.update(
        website="https://school.example/ms-b", description="Room 12. Parents: msb@school.example"
    )
    profile = by_id(appview.fetch()[0])["profile"]
    assert profile.extra["website"] == "https://school.example/ms-b"
    assert profile.extra["links"] == ["https://school.example/ms-b"]
    assert profile.extra["emails"] == ["msb@school.example"]


def test_repost_is_a_share_of_the_original_at_its_permalink(appview: AppView) -> None:
    share = by_id(appview.fetch()[0])[f"repost:{FIRST_REPOSTED}"]
    assert share.kind == "share" and share.author == HANDLE
    assert share.permalink == (
        "https://bsky.app/profile/rikergoogling.bsky.social/post/3kk7jev7emt2n"
    )
    assert share.published_at == datetime(2024, 1, 30, 16, 6, 44, 448000, tzinfo=UTC)
    assert share.extra["shared"]["native_id"] == FIRST_REPOSTED
    assert share.text == share.extra["shared"]["text"] == "species who prefer anal"


def test_self_repost_and_the_post_itself_are_distinct_items(appview: AppView) -> None:
    items = by_id(appview.fetch()[0])
    uri = f"at://{DID}/app.bsky.feed.post/3kk6cgu7o6n2o"
    assert (items[uri].kind, items[f"repost:{uri}"].kind) == ("post", "share")


def test_authors_own_reply_is_a_post_with_its_parent(appview: AppView) -> None:
    item = by_id(appview.fetch()[0])[OWN_REPLY]
    parent = feed_post(OWN_REPLY)["record"]["reply"]["parent"]["uri"]
    assert (item.kind, item.parent_native_id) == ("post", parent)
    assert item.permalink == f"https://bsky.app/profile/{HANDLE}/post/3kk7jmdq7ke23"


def test_every_image_in_the_feed_is_captured_with_alt_text(appview: AppView) -> None:
    items = by_id(appview.fetch()[0])
    own = items[OWN_IMAGES]
    expected = appview.scenario.serve(feed_post(OWN_IMAGES))["embed"]["images"]
    assert [(m.url, m.alt) for m in own.media] == [
        (i["fullsize"], i["alt"] or None) for i in expected
    ]
    quoted = sum(len(i.extra.get("quoted", {}).get("images", [])) for i in items.values())
    assert quoted == 2  # the recorded feed quotes two posts with an image each
    assert sum(len(i.media) for i in items.values() if i.kind != "profile") == 11 + quoted
    assert all(m.url.startswith(appview.fake.base_url) for i in items.values() for m in i.media)


def test_every_media_url_downloads_as_an_image_through_the_allow_list(appview: AppView) -> None:
    connector = appview.connector()
    result = connector.fetch(FetchWindow(SINCE, {}))
    urls = {m.url for i in result.items for m in i.media}
    assert len(urls) == 15  # 11 in posts, 2 in quoted posts, avatar and banner
    assert {connector.http.get_bytes(url)[1] for url in urls} == {"image/png"}


def test_record_with_media_keeps_its_images_and_the_quoted_post(appview: AppView) -> None:
    item = by_id(appview.fetch()[0])[f"repost:{RECORD_WITH_MEDIA}"]
    assert [(m.role, m.alt) for m in item.media] == [("image", "tim allen with a speech bubble")]
    assert "feed_fullsize" in item.media[0].url
    assert item.extra["quoted"]["author"] == "stellarinvolute.bsky.social"
    assert item.extra["quoted"]["text"].startswith("Are you ever like, for the evening")


@pytest.mark.parametrize(
    ("fixture", "own_images", "quoted_text", "quoted_images"),
    [
        ("post-thread-recordwithmedia.json", 1, "test", 0),
        ("post-thread-recordwithmedia-alt.json", 1, "*David Attenborough voice*", 1),
    ],
)
def test_record_with_media_in_recorded_threads(
    fixture: str, own_images: int, quoted_text: str, quoted_images: int
) -> None:
    post = load(fixture)["thread"]["post"]
    item = BlueskyConnector.post_item(None, post)  # type: ignore[arg-type]
    # The quoted post's images are shown by the quote, so they are the item's media too.
    assert len(item.media) == own_images + quoted_images
    assert all(m.url.endswith("@jpeg") for m in item.media)
    assert item.extra["quoted"]["text"].startswith(quoted_text)
    assert [m.url for m in item.media[own_images:]] == item.extra["quoted"]["images"]
    assert item.published_at == parse_time(post["record"]["createdAt"])


@pytest.mark.parametrize(
    ("embed", "expected"),
    [
        (
            {
                "$type": "app.bsky.embed.images#view",
                "images": [
                    {"thumb": "t1", "fullsize": "https://c/f1", "alt": "kids at recess"},
                    {"thumb": "t2", "fullsize": "https://c/f2", "alt": ""},
                ],
            },
            [("https://c/f1", "image", "kids at recess"), ("https://c/f2", "image", None)],
        ),
        (
            {
                "$type": "app.bsky.embed.video#view",
                "cid": "c",
                "playlist": "https://v/p.m3u8",
                "thumbnail": "https://v/thumbnail.jpg",
                "alt": "band concert",
            },
            [("https://v/thumbnail.jpg", "video_thumbnail", "band concert")],
        ),
        (
            {
                "$type": "app.bsky.embed.external#view",
                "external": {
                    "uri": "https://news",
                    "title": "News",
                    "description": "",
                    "thumb": "https://c/t",
                },
            },
            [("https://c/t", "image", None)],
        ),
        (
            {
                "$type": "app.bsky.embed.recordWithMedia#view",
                "record": {"record": {}},
                "media": {"$type": "app.bsky.embed.video#view", "thumbnail": "https://v/t.jpg"},
            },
            [("https://v/t.jpg", "video_thumbnail", None)],
        ),
        # Near misses: a plain quote has no media of its own; a card without thumb has none.
        ({"$type": "app.bsky.embed.record#view", "record": {}}, []),
        ({"$type": "app.bsky.embed.external#view", "external": {"uri": "https://news"}}, []),
        (None, []),
    ],
)
def test_embed_kinds_map_to_media(
    embed: dict[str, Any] | None, expected: list[tuple[str, str, str | None]]
) -> None:
    assert [(m.url, m.role, m.alt) for m in embed_media(embed)] == expected


@pytest.mark.parametrize(
    ("uri", "handle", "permalink"),
    [
        (
            "at://did:plc:abc/app.bsky.feed.post/3kk7",
            "ms-b.bsky.social",
            "https://bsky.app/profile/ms-b.bsky.social/post/3kk7",
        ),
        (
            "at://did:plc:abc/app.bsky.feed.post/3kk7",
            "handle.invalid",
            "https://bsky.app/profile/did:plc:abc/post/3kk7",
        ),
        (
            "at://did:plc:abc/app.bsky.feed.post/3kk7",
            None,
            "https://bsky.app/profile/did:plc:abc/post/3kk7",
        ),
    ],
)
def test_web_permalink_from_the_at_uri(uri: str, handle: str | None, permalink: str) -> None:
    assert web_permalink(uri, handle) == permalink


@pytest.mark.parametrize(
    ("created", "indexed", "expected"),
    [
        (
            "2024-01-30T15:58:35.045Z",
            "2024-01-30T16:00:00Z",
            datetime(2024, 1, 30, 15, 58, 35, 45000, tzinfo=UTC),
        ),
        (
            "2024-01-30T17:58:35+02:00",
            "2024-01-30T16:00:00Z",
            datetime(2024, 1, 30, 15, 58, 35, tzinfo=UTC),
        ),
        (
            "2024-01-30T15:58:35",
            "2024-01-30T16:00:00Z",
            datetime(2024, 1, 30, 15, 58, 35, tzinfo=UTC),
        ),
        ("yesterday", "2024-01-30T16:00:00Z", datetime(2024, 1, 30, 16, 0, tzinfo=UTC)),
        (None, "2024-01-30T16:00:00Z", datetime(2024, 1, 30, 16, 0, tzinfo=UTC)),
    ],
)
def test_published_at_is_created_at_in_utc_else_indexed_at(
    created: str | None, indexed: str, expected: datetime
) -> None:
    post = feed_post(OWN_REPLY)
    post["record"]["createdAt"] = created
    post["indexedAt"] = indexed
    published = BlueskyConnector.post_item(None, post).published_at  # type: ignore[arg-type]
    assert published == expected and published.utcoffset() == timedelta(0)


# -- replies --------------------------------------------------------------------------------------
def test_sponsored_account_captures_thread_replies_as_comments(appview: AppView) -> None:
    parent = feed_post(OWN_WITH_REPLY)
    someone_else = next(e["post"] for e in appview.scenario.feed if e.get("reason"))
    visitor = reply_to(parent, someone_else, "3kvis1")
    nested = reply_to(visitor, parent, "3kvis2")
    appview.scenario.replies[parent["uri"]] = [
        thread_view(visitor, [thread_view(nested)]),
        {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://gone", "notFound": True},
    ]
    result, requests = appview.fetch(kind="sponsored")
    items = by_id(result)
    assert (items[visitor["uri"]].kind, items[visitor["uri"]].parent_native_id) == (
        "comment",
        parent["uri"],
    )
    assert items[nested["uri"]].parent_native_id == visitor["uri"]
    assert "at://gone" not in items
    threads = [r for r in requests if r.path == THREAD]
    own_with_replies = [
        e for e in appview.scenario.feed if not e.get("reason") and e["post"].get("replyCount")
    ]
    assert len(threads) == len(own_with_replies) == 4
    assert {r.arg("parentHeight") for r in threads} == {"0"}


def test_unreadable_thread_is_noted_and_the_rest_kept(appview: AppView) -> None:
    appview.scenario.on(THREAD, (400, {}, {"error": "NotFound", "message": "Post not found"}))
    result, _ = appview.fetch(kind="sponsored")
    assert len(result.items) == 51
    assert len([n for n in result.notes if "not read" in n]) == 4


def test_pinned_entry_does_not_duplicate_its_post(appview: AppView) -> None:
    pinned = {**appview.scenario.feed[2], "reason": {"$type": "app.bsky.feed.defs#reasonPin"}}
    appview.scenario.feed.insert(0, pinned)
    result, _ = appview.fetch()
    assert len(result.items) == 51
    assert len({i.native_id for i in result.items}) == 51


def test_employee_account_reads_no_threads(appview: AppView) -> None:
    _, requests = appview.fetch(kind="employee")
    assert not [r for r in requests if r.path == THREAD]


# -- faults -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((400, {}, {"error": "InvalidRequest", "message": "Profile not found"}), "not_found"),
        ((400, {}, {"error": "AccountTakedown", "message": "Account has been taken down"}), "gone"),
        (
            (400, {}, {"error": "BlockedByActor", "message": "Requester is blocked by actor"}),
            "forbidden",
        ),
        # Near miss: some other InvalidRequest is a plain HTTP error, not "not found".
        (
            (400, {}, {"error": "InvalidRequest", "message": "Error: actor must be a valid did"}),
            "http_error",
        ),
        ((200, {"Content-Type": "application/json"}, b'{"did": '), "malformed"),
        ((200, {}, {"error": "no did here"}), "malformed"),
    ],
)
def test_profile_failures_skip_the_account_with_a_reason(
    appview: AppView, answer: Response, reason: str
) -> None:
    appview.scenario.on(PROFILE, answer)
    with pytest.raises(SkippableError) as caught:
        appview.fetch()
    assert caught.value.reason == reason


def test_unknown_actor_is_not_found(appview: AppView) -> None:
    with pytest.raises(SkippableError) as caught:
        appview.fetch(locator="nobody.bsky.social")
    assert caught.value.reason == "not_found" and "Profile not found" in str(caught.value)


def test_feed_without_a_feed_list_is_malformed(appview: AppView) -> None:
    appview.scenario.on(FEED, (200, {}, {"cursor": "x"}))
    with pytest.raises(SkippableError) as caught:
        appview.fetch()
    assert caught.value.reason == "malformed"


def test_429_waits_until_ratelimit_reset_then_succeeds(appview: AppView) -> None:
    reset = int(appview.scenario.now.timestamp()) + 30
    appview.scenario.on(
        PROFILE,
        (
            429,
            {"ratelimit-reset": str(reset)},
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        ),
        (200, {}, appview.scenario.profile),
    )
    result, _ = appview.fetch()
    assert appview.sleeps == [30.0] and len(result.items) == 51


def test_429_without_ratelimit_reset_falls_back_to_retry_after(appview: AppView) -> None:
    appview.scenario.on(
        PROFILE,
        (429, {"Retry-After": "9"}, {"error": "RateLimitExceeded"}),
        (200, {}, appview.scenario.profile),
    )
    appview.fetch()
    assert appview.sleeps == [9.0]


def test_429_with_a_distant_reset_skips_as_rate_limited(appview: AppView) -> None:
    reset = int(appview.scenario.now.timestamp()) + 3600
    appview.scenario.on(
        FEED, (429, {"ratelimit-reset": str(reset)}, {"error": "RateLimitExceeded"})
    )
    with pytest.raises(SkippableError) as caught:
        appview.fetch()
    assert caught.value.reason == "rate_limited"


def test_server_error_is_retried_then_succeeds(appview: AppView) -> None:
    appview.scenario.on(PROFILE, (502, {}, "bad gateway"), (200, {}, appview.scenario.profile))
    result, requests = appview.fetch()
    assert len([r for r in requests if r.path == PROFILE]) == 2 and len(result.items) == 51


def test_stall_longer_than_the_read_timeout_is_retried_then_skipped(appview: AppView) -> None:
    def stall(request: Request) -> Response:
        time.sleep(0.6)
        return 200, {}, {"feed": []}

    appview.fake.route(FEED, stall)
    with pytest.raises(SkippableError) as caught:
        appview.fetch(settings=HttpSettings(read_timeout=0.2, max_attempts=2))
    assert caught.value.reason == "transient_exhausted"


def test_no_token_or_auth_header_is_sent(appview: AppView) -> None:
    _, requests = appview.fetch()
    assert not any("Authorization" in r.headers for r in requests)


@pytest.mark.parametrize(
    ("locator", "actor"),
    [
        ("osmote.net", "osmote.net"),
        ("@osmote.net", "osmote.net"),
        ("https://bsky.app/profile/osmote.net", "osmote.net"),
        ("https://bsky.app/profile/did:plc:etdcb47v54mwv2wdufhi4tu6/", DID),
        (DID, DID),
    ],
)
def test_locator_forms(locator: str, actor: str) -> None:
    assert parse_locator(locator) == actor


@pytest.mark.parametrize("locator", ["https://bsky.app/", "https://bsky.app/search/osmote"])
def test_urls_that_are_not_profiles_are_rejected(locator: str) -> None:
    with pytest.raises(SkippableError):
        parse_locator(locator)


# -- link cards ----------------------------------------------------------------------------------
CARD_URL = "https://www.example-schools.org/news/spring-concert"


def with_link_card(post: dict[str, Any]) -> None:
    """Give a post a link card in the AppView's hydrated shape (app.bsky.embed.external#view)
    with the record's own embed and a link facet, as the AppView returns them."""
    thumb = f"https://cdn.bsky.app/img/feed_thumbnail/plain/{DID}/bafkreicard@jpeg"
    post["embed"] = {
        "$type": "app.bsky.embed.external#view",
        "external": {
            "uri": CARD_URL,
            "title": "Spring concert tickets",
            "description": "Join the choir on May 2 in the high school gym.",
            "thumb": thumb,
        },
    }
    post["record"]["embed"] = {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": CARD_URL,
            "title": "Spring concert tickets",
            "description": "Join the choir on May 2 in the high school gym.",
            "thumb": {
                "$type": "blob",
                "ref": {"$link": "bafkreicard"},
                "mimeType": "image/jpeg",
                "size": 41234,
            },
        },
    }
    post["record"]["text"] = "Tickets: example-schools.org/news/spri..."
    post["record"]["facets"] = [
        {
            "index": {"byteStart": 9, "byteEnd": 41},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": CARD_URL}],
        }
    ]


def test_link_card_url_is_a_link_and_its_title_and_description_are_text(
    appview: AppView,
) -> None:
    entry = next(e for e in appview.scenario.feed if not e.get("reason"))
    with_link_card(entry["post"])
    item = by_id(appview.fetch()[0])[entry["post"]["uri"]]
    assert item.extra["links"] == [CARD_URL]
    assert item.text == (
        "Tickets: example-schools.org/news/spri...\n\n"
        "Spring concert tickets\nJoin the choir on May 2 in the high school gym."
    )
    assert [(m.role, m.alt) for m in item.media] == [("image", None)], (
        "the card's title is not alt text: only the author writes alt text"
    )


def test_card_beside_a_quote_is_read_too(appview: AppView) -> None:
    entry = next(e for e in appview.scenario.feed if not e.get("reason"))
    with_link_card(entry["post"])
    card = entry["post"]["embed"]
    entry["post"]["embed"] = {
        "$type": "app.bsky.embed.recordWithMedia#view",
        "record": {
            "record": {
                "$type": "app.bsky.embed.record#viewNotFound",
                "uri": OWN_IMAGES,
                "notFound": True,
            }
        },
        "media": card,
    }
    item = by_id(appview.fetch()[0])[entry["post"]["uri"]]
    assert item.extra["card"]["uri"] == CARD_URL and CARD_URL in item.extra["links"]
    assert "Spring concert tickets" in item.text
