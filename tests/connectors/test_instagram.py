"""The Instagram connector against a fake Graph API serving the recorded sample bodies."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import FetchWindow
from connectors.errors import SkippableError
from connectors.http import HttpClient, HttpSettings
from connectors.instagram import InstagramConnector, media_refs
from demo.fakeplatform import FakePlatform
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from tests.connectors.contract import started
from tests.connectors.scenarios.facebook import TOKEN, graph_error
from tests.connectors.scenarios.facebook import load as load_fixture
from tests.connectors.scenarios.instagram import CAROUSEL, COMMENTED, IG, InstagramScenario

SINCE = InstagramScenario.since
Answer = tuple[int, dict[str, str], Any]


def load(name: str) -> Any:
    return load_fixture("instagram", name)


@pytest.fixture
def script() -> Iterator[InstagramScenario]:
    with started(InstagramScenario()) as scenario:
        yield scenario


@pytest.fixture
def fake(script: InstagramScenario) -> FakePlatform:
    return script.fake


def connector(fake: FakePlatform, sleeps: list[float],
              kind: str = "sponsored") -> InstagramConnector:
    extra = {"owner": "e100"} if kind == "employee" else {}
    account = Account(id="ig-district", kind=kind, platform="instagram", locator=IG,
                      api_base=f"{fake.base_url}/v19.0", token_env="IG_TOKEN", **extra)
    http = HttpClient(account_id=account.id, basis=kind, allowed_hosts={fake.host},
                      secrets=[TOKEN], sleep=sleeps.append,
                      settings=HttpSettings(connect_timeout=1, read_timeout=2, max_attempts=3))
    return InstagramConnector(account, http, FixedClock(datetime(2021, 8, 20, tzinfo=UTC)),
                              token=TOKEN)


def test_fetch_reads_profile_and_every_media_over_two_pages(
        fake: FakePlatform, script: InstagramScenario) -> None:
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    by_id = {i.native_id: i for i in result.items}
    posts = [i for i in result.items if i.kind == "post"]
    assert len(by_id) == len(result.items) and len(posts) == 4
    assert all(p.permalink.startswith("https://www.instagram.com/p/") for p in posts)
    assert all(p.published_at and p.published_at.tzinfo is not None for p in posts)
    assert by_id["17895731045244887"].published_at == datetime(2021, 8, 13, 8, 25, 28, tzinfo=UTC)
    profile = by_id["profile"]
    assert profile.text.startswith("Follow us for updates")
    assert profile.extra["display_name"] == "Facebook for Developers"
    assert profile.permalink == "https://www.instagram.com/facebookfordevelopers/"
    assert [m.role for m in profile.media] == ["avatar"]
    assert result.complete_since == SINCE
    assert result.cursor == {"newest": "2021-08-13T08:25:28+00:00"}
    assert fake.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_carousel_children_are_expanded_with_video_as_thumbnail(
        fake: FakePlatform, script: InstagramScenario) -> None:
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    carousel = next(i for i in result.items if i.native_id == CAROUSEL)
    assert [m.role for m in carousel.media] == ["image", "image", "video_thumbnail"]
    assert not any(m.url.endswith(".mp4") or ".mp4?" in m.url for m in carousel.media)


def test_comments_and_replies_are_read_only_where_the_count_is_not_zero(
        fake: FakePlatform, script: InstagramScenario) -> None:
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    comments = {i.native_id: i for i in result.items if i.kind == "comment"}
    assert comments["17858893269000001"].parent_native_id == COMMENTED
    assert comments["17858893269000002"].parent_native_id == "17858893269000001"
    assert comments["17858893269000003"].author == "sam.parent"
    asked = [r.path for r in fake.requests if r.path.endswith("/comments")]
    assert asked == [f"/v19.0/{COMMENTED}/comments"]


def test_employee_account_keeps_only_its_own_replies(
        fake: FakePlatform, script: InstagramScenario) -> None:
    result = connector(fake, [], kind="employee").fetch(FetchWindow(since=SINCE, cursor={}))
    assert [i.native_id for i in result.items if i.kind == "comment"] == ["17858893269000002"]


def test_second_night_asks_only_for_media_since_the_stored_cursor(
        fake: FakePlatform, script: InstagramScenario) -> None:
    first = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    fake.requests.clear()
    since = datetime.fromisoformat(first.cursor["newest"]) - timedelta(minutes=10)
    second = connector(fake, []).fetch(FetchWindow(since=since, cursor=first.cursor))
    media_requests = [r for r in fake.requests if r.path.endswith("/media")]
    assert [r.arg("since") for r in media_requests] == [str(int(since.timestamp()))]
    assert [i.native_id for i in second.items if i.kind == "post"] == ["17895731045244887"]
    assert second.cursor == first.cursor and second.complete_since == since


def test_repeating_next_link_stops_paging(fake: FakePlatform, script: InstagramScenario) -> None:
    looping = copy.deepcopy(script.page2)
    looping["paging"]["next"] = script.page_one(None)["paging"]["next"]
    script.on(f"/v6.0/{IG}/media", (200, {}, looping))
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    assert len([r for r in fake.requests if r.path == f"/v6.0/{IG}/media"]) == 1
    assert result.complete_since is None and result.cursor == {}


@pytest.mark.parametrize(("answers", "reason", "sleeps"), [
    ([(400, {}, graph_error(80002)), None], None, [1.0]),
    ([(403, {}, graph_error(4)), (500, {}, "oops"), None], None, [1.0, 2.0]),
    ([(429, {"Retry-After": "3"}, {}), None], None, [3.0]),
    ([(400, {}, graph_error(190))], "auth", []),
    ([(200, {"Content-Type": "application/json"}, "{not json")], "malformed", []),
    ([(200, {}, {"data": "not-a-list"})], "malformed", []),
], ids=["80002 then ok", "code 4 then 5xx then ok", "429 Retry-After", "expired token",
        "malformed JSON", "data is not a list"])
def test_faults_on_the_media_edge(fake: FakePlatform, script: InstagramScenario, answers: list[Any],
                                  reason: str | None, sleeps: list[float]) -> None:
    script.on(f"/v19.0/{IG}/media",
              *[a if a is not None else (200, {}, script.page_one(None)) for a in answers])
    slept: list[float] = []
    if reason is None:
        result = connector(fake, slept).fetch(FetchWindow(since=SINCE, cursor={}))
        assert len([i for i in result.items if i.kind == "post"]) == 4
    else:
        with pytest.raises(SkippableError) as caught:
            connector(fake, slept).fetch(FetchWindow(since=SINCE, cursor={}))
        assert caught.value.reason == reason
    assert slept == sleeps


VIDEO = {"id": "1", "media_type": "VIDEO", "media_url": "https://video.cdninstagram.com/v.mp4",
         "thumbnail_url": "https://scontent.cdninstagram.com/t.jpg"}


@pytest.mark.parametrize(("row", "roles"), [
    (load("media-carousel-video-child.json"), ["image", "image", "video_thumbnail"]),
    (VIDEO, ["video_thumbnail"]),
    ({**VIDEO, "thumbnail_url": None}, []),
    ({"id": "2", "media_type": "IMAGE", "media_url": "https://scontent.cdninstagram.com/i.jpg"},
     ["image"]),
    ({"id": "3", "media_type": "IMAGE"}, []),
    ({"id": "4", "media_type": "CAROUSEL_ALBUM", "media_url": "https://s.cdninstagram.com/c.jpg"},
     ["image"]),
], ids=["carousel", "video thumbnail", "video without thumbnail", "image",
        "copyright-flagged image without media_url", "carousel without children falls back"])
def test_media_refs(row: dict[str, Any], roles: list[str]) -> None:
    assert [m.role for m in media_refs(row)] == roles


def test_media_without_url_or_permalink_is_kept_with_a_note(
        fake: FakePlatform, script: InstagramScenario) -> None:
    flagged = {"id": "17800000000000001", "caption": "flagged", "media_type": "IMAGE",
               "timestamp": "2021-08-14T08:00:00+0000", "comments_count": 0}
    script.page1["data"].insert(0, flagged)
    result = connector(fake, []).fetch(FetchWindow(since=SINCE, cursor={}))
    item = next(i for i in result.items if i.native_id == "17800000000000001")
    assert item.media == [] and item.permalink == "https://www.instagram.com/facebookfordevelopers/"
    assert any("17800000000000001" in n and "permalink" in n for n in result.notes)
    assert any("17800000000000001" in n and "image URL" in n for n in result.notes)
