"""The YouTube connector against a fake Data API v3 serving the recorded sample bodies."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import FetchWindow
from connectors.errors import SkippableError
from connectors.http import HttpClient, HttpSettings
from connectors.youtube import YouTubeConnector
from demo.fakeplatform import FakePlatform
from hallmonitor.clock import FixedClock
from tests.connectors.contract import started
from tests.connectors.scenarios.youtube import (
    KEY,
    YouTubeScenario,
    load,
    page_token,
    youtube_error,
)

ITEMS = "/youtube/v3/playlistItems"
CHANNELS = "/youtube/v3/channels"
Answer = tuple[int, dict[str, str], Any]


@pytest.fixture
def script() -> Iterator[YouTubeScenario]:
    with started(YouTubeScenario()) as scenario:
        yield scenario


@pytest.fixture
def fake(script: YouTubeScenario) -> FakePlatform:
    return script.fake


def connector(script: YouTubeScenario, sleeps: list[float]) -> YouTubeConnector:
    account = script.account(script.fake.base_url)
    http = HttpClient(
        account_id=account.id,
        basis="sponsored",
        allowed_hosts={script.fake.host},
        secrets=[KEY],
        sleep=sleeps.append,
        settings=HttpSettings(connect_timeout=1, read_timeout=2, max_attempts=3),
    )
    return YouTubeConnector(account, http, FixedClock(script.now), token=KEY)


def fetch(
    script: YouTubeScenario,
    since: datetime | None = None,
    cursor: dict[str, Any] | None = None,
    sleeps: list[float] | None = None,
) -> Any:
    window = FetchWindow(since=since or script.since, cursor=cursor or {})
    return connector(script, sleeps if sleeps is not None else []).fetch(window)


def test_fetch_reads_channel_profile_and_every_upload_over_two_pages(
    script: YouTubeScenario, fake: FakePlatform
) -> None:
    result = fetch(script)
    videos = [i for i in result.items if i.kind == "post"]
    assert len(videos) == 13 and len({v.native_id for v in videos}) == 13
    assert [r.arg("pageToken") for r in fake.requests_to(ITEMS)] == [None, "CAoQAA"]
    first = next(v for v in videos if v.native_id == "CvTApw9X8aA")
    assert first.permalink == "https://www.youtube.com/watch?v=CvTApw9X8aA"
    assert first.published_at == datetime(2019, 11, 21, 22, 17, 43, tzinfo=UTC)
    assert first.title and first.text.startswith(first.title + "\n\nKyle Paul")
    assert [(m.role, m.url) for m in first.media] == [
        ("video_thumbnail", "https://i.ytimg.com/vi/CvTApw9X8aA/maxresdefault.jpg")
    ]
    profile = next(i for i in result.items if i.kind == "profile")
    assert profile.extra["display_name"] == "Google Developers"
    assert profile.text.startswith("The Google Developers channel")
    assert [m.role for m in profile.media] == ["avatar", "banner"]
    assert "s800" in profile.media[0].url  # the largest channel thumbnail
    assert result.complete_since == script.since
    assert result.cursor == {"newest": "2019-11-23T00:49:59+00:00"}


def test_api_key_travels_in_a_header_and_never_in_a_logged_url(script: YouTubeScenario) -> None:
    conn = connector(script, [])
    conn.fetch(FetchWindow(since=script.since, cursor={}))
    assert all(
        r.headers.get("X-Goog-Api-Key") == KEY and "key" not in r.query
        for r in script.fake.requests
    )
    assert all(KEY not in record.url for record in conn.http.records)


def test_handle_locator_asks_channels_for_handle(script: YouTubeScenario) -> None:
    script.locator = "@googledevelopers"
    result = fetch(script)
    assert script.fake.requests_to(CHANNELS)[0].arg("forHandle") == "@googledevelopers"
    assert len([i for i in result.items if i.kind == "post"]) == 13


def test_second_night_reads_only_the_first_page(script: YouTubeScenario) -> None:
    first = fetch(script)
    new_id = script.add_item()
    script.fake.requests.clear()
    since = datetime.fromisoformat(first.cursor["newest"]) - timedelta(minutes=1)
    second = fetch(script, since=since, cursor=first.cursor)
    assert [r.arg("pageToken") for r in script.fake.requests_to(ITEMS)] == [None]
    assert [i.native_id for i in second.items if i.kind == "post"] == [new_id, "Fu2bldybpkA"]
    assert second.cursor["newest"] > first.cursor["newest"]
    assert second.complete_since == since


def placeholder(video_id: str, title: str, privacy: str | None) -> dict[str, Any]:
    snippet = {
        "publishedAt": "2019-11-22T12:00:00Z",
        "title": title,
        "thumbnails": {},
        "description": "This video is unavailable.",
        "resourceId": {"kind": "youtube#video", "videoId": video_id},
    }
    row: dict[str, Any] = {
        "kind": "youtube#playlistItem",
        "id": f"PI{video_id}",
        "snippet": snippet,
    }
    if privacy:
        row["status"] = {"privacyStatus": privacy}
    return row


@pytest.mark.parametrize(
    ("row", "kept"),
    [
        (placeholder("priv0000001", "Private video", "private"), False),
        (placeholder("dele0000001", "Deleted video", "privacyStatusUnspecified"), False),
        (placeholder("priv0000002", "Robotics night", "private"), False),
        (placeholder("unli0000001", "Private video tips", "unlisted"), True),
        (placeholder("publ0000001", "Concert", None), True),
    ],
    ids=[
        "private placeholder",
        "deleted placeholder",
        "private by status",
        "unlisted with a similar title (near miss)",
        "public without status",
    ],
)
def test_private_and_deleted_placeholders_are_skipped_with_a_note(
    script: YouTubeScenario, row: dict[str, Any], kept: bool
) -> None:
    script.items.insert(3, row)
    result = fetch(script)
    video_id = row["snippet"]["resourceId"]["videoId"]
    assert (video_id in {i.native_id for i in result.items}) is kept
    assert any(video_id in note for note in result.notes) is not kept


def test_video_published_at_prefers_content_details_over_playlist_time(
    script: YouTubeScenario,
) -> None:
    row = copy.deepcopy(script.items[0])
    row["contentDetails"] = {"videoId": "Fu2bldybpkA", "videoPublishedAt": "2019-10-01T09:00:00Z"}
    script.items[0] = row
    video = next(i for i in fetch(script).items if i.native_id == "Fu2bldybpkA")
    assert video.published_at == datetime(2019, 10, 1, 9, tzinfo=UTC)


def test_quota_exceeded_skips_the_account_without_retrying(script: YouTubeScenario) -> None:
    script.on(ITEMS, (403, {}, load("error-quota-exceeded.json")))
    sleeps: list[float] = []
    with pytest.raises(SkippableError) as caught:
        fetch(script, sleeps=sleeps)
    assert caught.value.reason == "quota"
    assert len(script.fake.requests_to(ITEMS)) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("path", "answers", "reason", "sleeps"),
    [
        (ITEMS, [(403, {}, youtube_error(403, "rateLimitExceeded", "slow down"))], None, [1.0]),
        (ITEMS, [(500, {}, "<html>error</html>"), (503, {}, {})], None, [1.0, 2.0]),
        (ITEMS, [(403, {}, youtube_error(403, "forbidden", "Forbidden"))], "forbidden", []),
        (ITEMS, [(404, {}, youtube_error(404, "playlistNotFound", "gone"))], "not_found", []),
        (CHANNELS, [(400, {}, youtube_error(400, "keyInvalid", "Bad key"))], "auth", []),
        (
            CHANNELS,
            [(200, {}, {"kind": "youtube#channelListResponse", "pageInfo": {}})],
            "not_found",
            [],
        ),
        (CHANNELS, [(200, {"Content-Type": "application/json"}, '{"items": [')], "malformed", []),
        (ITEMS, [(200, {}, {"items": {"not": "a list"}})], "malformed", []),
    ],
    ids=[
        "rateLimitExceeded is retried (near miss of quota)",
        "5xx twice then ok",
        "other 403 is forbidden",
        "playlist gone",
        "bad key",
        "channel not found",
        "malformed JSON",
        "items not a list",
    ],
)
def test_faults_are_retried_or_end_the_account_with_a_reason(
    script: YouTubeScenario,
    path: str,
    answers: list[Answer],
    reason: str | None,
    sleeps: list[float],
) -> None:
    script.on(path, *answers)  # then the normal answers
    slept: list[float] = []
    if reason is None:
        result = fetch(script, sleeps=slept)
        assert len([i for i in result.items if i.kind == "post"]) == 13
    else:
        with pytest.raises(SkippableError) as caught:
            fetch(script, sleeps=slept)
        assert caught.value.reason == reason
        assert KEY not in str(caught.value)
    assert slept == sleeps


def test_repeating_page_token_stops_paging_and_keeps_the_old_cursor(
    script: YouTubeScenario,
) -> None:
    normal = script._playlist_items  # noqa: SLF001

    def looping(request: Any) -> Any:
        status, headers, body = normal(request)
        body["nextPageToken"] = page_token(10)  # page 2 points at itself
        return status, headers, body

    script.fake.prefix_routes.insert(0, (ITEMS, looping))  # ahead of the scenario's route
    old = {"newest": "2019-01-01T00:00:00+00:00"}
    result = fetch(script, cursor=old)
    assert [r.arg("pageToken") for r in script.fake.requests_to(ITEMS)] == [None, "CAoQAA"]
    assert any("repeated" in note for note in result.notes)
    assert result.complete_since is None and result.cursor == old


def test_upload_during_paging_repeats_a_video_that_is_kept_once(
    script: YouTubeScenario, fake: FakePlatform
) -> None:
    normal = script._playlist_items  # noqa: SLF001

    def upload_after_first_page(request: Any) -> Any:
        answer = normal(request)
        if request.arg("pageToken") is None:
            script.add_item()  # every later page now starts one video later
        return answer

    script.fake.prefix_routes.insert(0, (ITEMS, upload_after_first_page))
    result = fetch(script)
    ids = [i.native_id for i in result.items if i.kind == "post"]
    assert len(fake.requests_to(ITEMS)) == 2
    assert len(ids) == len(set(ids)) == 13, "the repeated video is kept once"
    assert result.complete_since == script.since
