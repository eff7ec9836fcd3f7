"""The Facebook connector against a fake Graph API serving the recorded sample bodies."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import FetchSettings, FetchWindow
from connectors.errors import SkippableError
from connectors.facebook import FacebookConnector, post_media
from connectors.http import HttpClient, HttpSettings
from demo.fakeplatform import FakePlatform
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from tests.connectors.contract import started
from tests.connectors.scenarios.facebook import (
    FIRST_POST,
    PAGE,
    TOKEN,
    FacebookScenario,
    graph_error,
)
from tests.connectors.scenarios.facebook import load as load_fixture

SINCE = FacebookScenario.since
Answer = tuple[int, dict[str, str], Any]


def load(name: str) -> Any:
    return load_fixture("facebook", name)


@pytest.fixture
def script() -> Iterator[FacebookScenario]:
    with started(FacebookScenario()) as scenario:
        yield scenario


@pytest.fixture
def fake(script: FacebookScenario) -> FakePlatform:
    return script.fake


def connector(
    fake: FakePlatform, sleeps: list[float], kind: str = "sponsored", max_pages: int = 50
) -> FacebookConnector:
    extra = {"owner": "e100"} if kind == "employee" else {}
    account = Account(
        id="fb-district",
        kind=kind,
        platform="facebook",
        locator=PAGE,
        api_base=f"{fake.base_url}/v19.0",
        token_env="FB_TOKEN",
        **extra,
    )
    http = HttpClient(
        account_id=account.id,
        basis=kind,
        allowed_hosts={fake.host},
        secrets=[TOKEN],
        sleep=sleeps.append,
        settings=HttpSettings(connect_timeout=1, read_timeout=2, max_attempts=3),
    )
    return FacebookConnector(
        account,
        http,
        FixedClock(datetime(2021, 7, 12, tzinfo=UTC)),
        FetchSettings(max_pages=max_pages),
        token=TOKEN,
    )


def test_fetch_reads_profile_every_post_over_two_pages_and_comments(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    by_id = {i.native_id: i for i in result.items}
    posts = [i for i in result.items if i.kind in ("post", "share")]
    assert len(by_id) == len(result.items)
    assert len(posts) == 6 and "565225540184937_4018908568149933" in by_id  # page 2's album
    assert all(p.permalink.startswith("https://www.facebook.com/") for p in posts)
    assert all(p.published_at and p.published_at.utcoffset() == timedelta(0) for p in posts)
    assert by_id[FIRST_POST].published_at == datetime(2021, 7, 9, 19, 9, 52, tzinfo=UTC)
    profile = by_id["profile"]
    assert profile.text.startswith("The Facebook Page celebrates")
    assert profile.extra["display_name"] == "Facebook"
    assert profile.extra["links"] == ["http://www.facebook.com"]
    assert [m.role for m in profile.media] == ["avatar"]
    assert result.complete_since == SINCE
    assert result.cursor == {"newest": "2021-07-09T19:09:52+00:00"}


def test_album_photos_and_video_thumbnail_are_all_captured(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    by_id = {i.native_id: i for i in result.items}
    album = by_id["565225540184937_4018908568149933"]
    assert len(album.media) == 7 and {m.role for m in album.media} == {"image"}
    video = by_id["19292868552_10158333323653553"]
    assert [m.role for m in video.media] == ["video_thumbnail"]
    share = by_id["19292868552_10158347294088553"]
    assert share.extra["links"][0].startswith("https://engineering.fb.com/")


def test_a_shared_story_is_a_share_carrying_the_shared_items_words(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    by_id = {i.native_id: i for i in result.items}
    share = by_id["19292868552_10158347294088553"]  # recorded status_type: shared_story
    assert share.kind == "share"
    assert share.text.startswith(load("page-feed.json")["data"][1]["message"])
    assert "Peering automation at Facebook" in share.text
    assert "new automated peering method" in share.text
    photo = by_id[FIRST_POST]  # added_photos: its own words only, kind post
    assert photo.kind == "post" and photo.text == load("page-feed.json")["data"][0]["message"]


def test_sponsored_page_keeps_every_comment_and_reply_linked_to_its_parent(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    comments = {i.native_id: i for i in result.items if i.kind == "comment"}
    assert set(comments) == {
        "10158349356748553_4001",
        "10158349356748553_4002",
        "10158349356748553_4003",
    }
    assert comments["10158349356748553_4001"].parent_native_id == FIRST_POST
    assert comments["10158349356748553_4002"].parent_native_id == "10158349356748553_4001"
    assert comments["10158349356748553_4001"].author == "Pat Visitor"
    assert len(comments["10158349356748553_4003"].media) == 1
    assert fake.requests_to(f"/v19.0/{PAGE}/feed")  # sponsored pages read the whole feed


def test_employee_page_reads_own_posts_and_keeps_only_its_own_replies(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    result = connector(fake, [], kind="employee").fetch(FetchWindow(since=SINCE, cursor={}))
    comments = [i for i in result.items if i.kind == "comment"]
    assert [c.native_id for c in comments] == ["10158349356748553_4002"]
    assert fake.requests_to(f"/v19.0/{PAGE}/posts") and not fake.requests_to(f"/v19.0/{PAGE}/feed")


def test_token_travels_in_the_authorization_header_not_the_url(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    conn = connector(fake, [])
    conn.fetch(FetchWindow(since=SINCE, cursor={}))
    first = fake.requests[0]
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in first.query
    assert all(TOKEN not in record.url for record in conn.http.records)


def test_second_night_asks_only_for_posts_since_the_stored_cursor(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    first = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    new_post = {
        "id": f"{PAGE}_999",
        "message": "New post",
        "created_time": "2021-07-10T08:00:00+0000",
        "permalink_url": f"https://www.facebook.com/{PAGE}/posts/999/",
        "comments": {"data": [], "summary": {"total_count": 0}},
    }
    script.page1["data"].insert(0, new_post)
    fake.requests.clear()
    since = datetime.fromisoformat(first.cursor["newest"]) - timedelta(hours=1)
    second = connector(fake, []).fetch(FetchWindow(since=since, cursor=first.cursor))
    feed_requests = fake.requests_to(f"/v19.0/{PAGE}/feed") + fake.requests_to(f"/v10.0/{PAGE}/")
    assert [r.arg("since") for r in feed_requests] == [str(int(since.timestamp()))]
    posts = [i.native_id for i in second.items if i.kind in ("post", "share")]
    assert posts == [f"{PAGE}_999", FIRST_POST]
    # Comments are asked for only under the posts in the window, and not under the new one (0).
    assert [r.path for r in fake.requests_to("/v19.0/") if r.path.endswith("/comments")] == [
        f"/v19.0/{FIRST_POST}/comments"
    ]
    assert second.cursor == {"newest": "2021-07-10T08:00:00+00:00"}
    assert second.complete_since == since


def test_full_rescan_window_reaches_back_past_the_cursor(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    window = FetchWindow(
        since=SINCE, cursor={"newest": "2021-07-09T19:09:52+00:00"}, full_rescan=True
    )
    result = connector(fake, []).fetch(window)
    assert len([i for i in result.items if i.kind in ("post", "share")]) == 6
    assert result.cursor == {"newest": "2021-07-09T19:09:52+00:00"}


def test_repeating_next_link_stops_paging_and_keeps_the_old_cursor(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    looping = copy.deepcopy(script.page2)
    looping["paging"]["next"] = script.page_one(None)["paging"]["next"]  # back to page 2 again
    fake_path = f"/v10.0/{PAGE}/feed"
    script.on(fake_path, (200, {}, looping))
    old = {"newest": "2021-01-01T00:00:00+00:00"}
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor=old))
    assert len(fake.requests_to(fake_path)) == 1
    assert any("repeated" in note for note in result.notes)
    assert result.complete_since is None and result.cursor == old


def test_page_repeating_only_seen_posts_under_a_new_link_stops_paging(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    echo = copy.deepcopy(script.page_one(None))
    echo["paging"]["next"] = echo["paging"]["next"].replace("after=page2", "after=page3")
    script.on(f"/v10.0/{PAGE}/feed", (200, {}, echo))
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    assert len(fake.requests_to(f"/v10.0/{PAGE}/feed")) == 1
    assert any("repeated items" in note for note in result.notes)
    assert result.complete_since is None


def test_max_pages_ends_the_walk_without_claiming_completeness(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    result = connector(fake, [], max_pages=1).fetch(FetchWindow(since=SINCE, cursor={}))
    assert not fake.requests_to(f"/v10.0/{PAGE}/feed")
    assert result.complete_since is None and result.cursor == {}


BUC = "X-Business-Use-Case-Usage"
OK: Answer = (0, {}, None)  # placeholder: the script's normal answer

FAULTS = [
    # (name, answers for the profile request, expected skip reason or None, expected sleeps)
    ("code 4 body then success", [(400, {}, load("error-code4-rate-limit.json")), OK], None, [1.0]),
    (
        "code 32 on 403 waits the business-use-case estimate",
        [
            (
                403,
                {
                    BUC: json.dumps(
                        {
                            PAGE: [
                                {
                                    "type": "pages",
                                    "call_count": 100,
                                    "estimated_time_to_regain_access": 1,
                                }
                            ]
                        }
                    )
                },
                graph_error(32),
            ),
            OK,
        ],
        None,
        [60.0],
    ),
    ("429 with Retry-After", [(429, {"Retry-After": "2"}, {}), OK], None, [2.0]),
    ("5xx then success", [(503, {}, "<html>busy</html>"), OK], None, [1.0]),
    (
        "throttled for 30 minutes is a gap, not a wait",
        [
            (
                400,
                {BUC: json.dumps({PAGE: [{"estimated_time_to_regain_access": 30}]})},
                graph_error(80001),
            )
        ],
        "rate_limited",
        [],
    ),
    (
        "code 4 every time exhausts retries",
        [(400, {}, graph_error(4))],
        "transient_exhausted",
        [1.0, 2.0],
    ),
    ("expired token", [(400, {}, graph_error(190, subcode=463))], "auth", []),
    ("missing permission", [(403, {}, graph_error(10))], "forbidden", []),
    ("unknown page", [(400, {}, load("error-code100.json"))], "not_found", []),
    (
        "bad parameter (near miss of unknown page)",
        [(400, {}, graph_error(100, "(#100) Tried accessing nonexisting field (bogus)"))],
        "bad_request",
        [],
    ),
    (
        "malformed JSON",
        [(200, {"Content-Type": "application/json"}, '{"id": "1", "name"')],
        "malformed",
        [],
    ),
    ("JSON that is not an object", [(200, {}, ["not", "a", "page"])], "malformed", []),
]


@pytest.mark.parametrize(
    ("name", "answers", "reason", "sleeps"), FAULTS, ids=[f[0] for f in FAULTS]
)
def test_faults_are_retried_or_end_the_account_with_a_reason(
    fake: FakePlatform,
    script: FacebookScenario,
    name: str,
    answers: list[Answer],
    reason: str | None,
    sleeps: list[float],
) -> None:
    resolved = [(200, {}, script.profile) if a is OK else a for a in answers]
    script.on(f"/v19.0/{PAGE}", *resolved)
    slept: list[float] = []
    conn = connector(fake, slept)
    if reason is None:
        result = conn.fetch(FetchWindow(since=SINCE, cursor={}))
        assert len([i for i in result.items if i.kind in ("post", "share")]) == 6
    else:
        with pytest.raises(SkippableError) as caught:
            conn.fetch(FetchWindow(since=SINCE, cursor={}))
        assert caught.value.reason == reason
        assert TOKEN not in str(caught.value)
    assert slept == sleeps


@pytest.mark.parametrize(
    ("header", "value", "sleeps", "reason"),
    [
        ("X-App-Usage", {"call_count": 100, "total_cputime": 20, "total_time": 20}, [60.0], None),
        ("X-Page-Usage", {"call_count": 99, "total_cputime": 99, "total_time": 99}, [], None),
        (
            BUC,
            {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 0}]},
            [60.0],
            None,
        ),
        (
            BUC,
            {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 10}]},
            [],
            "rate_limited",
        ),
    ],
    ids=["app usage full", "page usage 99 (near miss)", "buc full no estimate", "buc 10 minutes"],
)
def test_usage_headers_pace_the_next_call(
    fake: FakePlatform,
    script: FacebookScenario,
    header: str,
    value: dict[str, Any],
    sleeps: list[float],
    reason: str | None,
) -> None:
    script.on(f"/v19.0/{PAGE}", (200, {header: json.dumps(value)}, script.profile))
    slept: list[float] = []
    if reason is None:
        connector(fake, slept).fetch(FetchWindow(since=SINCE, cursor={}))
    else:
        with pytest.raises(SkippableError) as caught:
            connector(fake, slept).fetch(FetchWindow(since=SINCE, cursor={}))
        assert caught.value.reason == reason
        assert len(fake.requests) == 1  # nothing more was asked of a throttled page
    assert slept == sleeps


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (load("post-album-subattachments.json"), ["image"] * 7),
        (
            {
                "attachments": {
                    "data": [
                        {
                            "type": "video_autoplay",
                            "media": {"image": {"src": "https://x.fbcdn.net/v.jpg"}},
                        }
                    ]
                },
                "full_picture": "https://x.fbcdn.net/v-full.jpg",
            },
            ["video_thumbnail"],
        ),
        ({"full_picture": "https://x.fbcdn.net/only.jpg"}, ["image"]),
        ({"attachments": {"data": [{"type": "share", "url": "https://example.org/"}]}}, []),
        ({"message": "text only"}, []),
    ],
    ids=[
        "album",
        "video uses thumbnail not full_picture",
        "full_picture fallback",
        "share without image",
        "text only",
    ],
)
def test_post_media_roles(row: dict[str, Any], expected: list[str]) -> None:
    assert [m.role for m in post_media(row)] == expected


def test_a_photos_description_is_its_alt_text_but_a_shares_is_not() -> None:
    photo = {"type": "photo", "media": {"image": {"src": "https://x.fbcdn.net/p.jpg"}}}
    album = {
        "status_type": "added_photos",
        "attachments": {
            "data": [
                {
                    "type": "album",
                    "subattachments": {
                        "data": [
                            {**photo, "description": " Third graders at the science fair "},
                            {**photo, "media": {"image": {"src": "https://x.fbcdn.net/q.jpg"}}},
                        ]
                    },
                }
            ]
        },
    }
    assert [m.alt for m in post_media(album)] == ["Third graders at the science fair", None]
    shared = {
        "status_type": "shared_story",
        "attachments": {"data": [{**photo, "description": "The shared article's text"}]},
    }
    assert [m.alt for m in post_media(shared)] == [None]


def test_a_stall_longer_than_the_read_timeout_is_retried(
    fake: FakePlatform, script: FacebookScenario
) -> None:
    stalls = [True]
    serve = script.serve
    release, stalled_done = threading.Event(), threading.Event()

    def stalling(request: Any) -> Any:
        if request.path == f"/v19.0/{PAGE}/feed" and stalls:
            stalls.pop()
            release.wait(1.0)  # longer than the 0.3 s read timeout below
            try:
                return serve(request)
            finally:
                stalled_done.set()
        return serve(request)

    script.serve = stalling  # type: ignore[method-assign]
    slept: list[float] = []
    conn = connector(fake, slept)
    conn.http.settings = HttpSettings(connect_timeout=1, read_timeout=0.3, max_attempts=3)
    result = conn.fetch(FetchWindow(since=SINCE, cursor={}))
    assert len([i for i in result.items if i.kind in ("post", "share")]) == 6
    assert slept == [1.0] and len(fake.requests_to(f"/v19.0/{PAGE}/feed")) == 2
    assert any(r.outcome == "timeout" for r in conn.http.records)
    release.set()  # let the abandoned request finish while its server still runs
    assert stalled_done.wait(5)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((403, {}, graph_error(10, "(#10) Permission denied")), None),
        ((400, {}, load("error-code100.json")), None),
        ((400, {}, graph_error(190)), "auth"),
    ],
    ids=["comments forbidden on one post", "post deleted meanwhile", "token revoked (near miss)"],
)
def test_one_posts_unreadable_comments_are_a_note_but_a_bad_token_ends_the_account(
    fake: FakePlatform, script: FacebookScenario, answer: Answer, reason: str | None
) -> None:
    script.on(f"/v19.0/{FIRST_POST}/comments", answer)
    if reason is None:
        result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
        assert not [i for i in result.items if i.kind == "comment"]
        assert len([i for i in result.items if i.kind in ("post", "share")]) == 6
        assert any(FIRST_POST in note and "not read" in note for note in result.notes)
        assert result.complete_since == SINCE
    else:
        with pytest.raises(SkippableError) as caught:
            connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
        assert caught.value.reason == reason


def test_a_share_attachment_beside_an_album_keeps_no_alt_text() -> None:
    photo = {"media": {"image": {"src": "https://scontent.example/1.jpg"}}, "type": "photo"}
    row = {
        "attachments": {
            "data": [
                {
                    "type": "album",
                    "subattachments": {
                        "data": [
                            {**photo, "description": " Two students at the lab bench "},
                            {**photo, "media": {"image": {"src": "https://scontent.example/2"}}},
                        ]
                    },
                },
                {
                    "type": "share",
                    "media": {"image": {"src": "https://scontent.example/3.jpg"}},
                    "description": "The shared article's summary",
                },
            ]
        }
    }
    assert [m.alt for m in post_media(row)] == ["Two students at the lab bench", None, None]
