"""The Mastodon connector against a fake instance serving the recorded Mastodon.py bodies."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from connectors.base import FetchResult, FetchWindow, Item
from connectors.errors import SkippableError
from connectors.html import html_to_text
from connectors.http import HttpClient, HttpSettings
from connectors.mastodon import MastodonConnector, media_refs, parse_locator
from demo.fakeplatform import Request, Response
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from tests.connectors.contract import fetch_counting, started
from tests.connectors.scenarios.mastodon import (
    ACCOUNT_ID,
    STATUSES_PATH,
    MastodonScenario,
    load,
)

SINCE = datetime(2026, 7, 1, tzinfo=UTC)
TOKEN = "mastodon-secret-token"
LOOKUP = "/api/v1/accounts/lookup"


@dataclass
class Instance:
    scenario: MastodonScenario
    sleeps: list[float] = field(default_factory=list)

    @property
    def fake(self) -> Any:
        return self.scenario.fake

    def connector(
        self, kind: str = "employee", token: str | None = None, settings: HttpSettings | None = None
    ) -> MastodonConnector:
        account = Account(
            id="m1",
            kind=kind,
            platform="mastodon",
            locator="@mastodonpy_test",
            api_base=self.fake.base_url,
            owner="E1" if kind == "employee" else None,
        )
        http = HttpClient(
            account_id="m1",
            basis="test",
            allowed_hosts=MastodonConnector.api_hosts(account),
            secrets=[token] if token else [],
            settings=settings or HttpSettings(max_attempts=3),
            sleep=self.sleeps.append,
        )
        return MastodonConnector(account, http, FixedClock(self.scenario.now), token=token)

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
def instance() -> Iterator[Instance]:
    with started(MastodonScenario()) as scenario:
        yield Instance(scenario)


def by_id(result: FetchResult) -> dict[str, Item]:
    return {i.native_id: i for i in result.items}


# -- paging and incremental ---------------------------------------------------------------------
def test_timeline_is_paged_through_link_next_until_a_page_is_not_full(instance: Instance) -> None:
    result, requests = instance.fetch()
    pages = [r for r in requests if r.path == STATUSES_PATH]
    assert len(pages) == 3  # 8 statuses at 3 a page
    assert pages[0].arg("limit") == "40" and pages[0].arg("max_id") is None
    assert [p.arg("max_id") for p in pages[1:]] == [
        s["id"] for s in (instance.scenario.timeline[2], instance.scenario.timeline[5])
    ]
    assert len([i for i in result.items if i.kind != "profile"]) == 8
    assert result.complete_since == SINCE
    assert result.cursor == {
        "account_id": ACCOUNT_ID,
        "newest_id": instance.scenario.timeline[0]["id"],
    }


def test_paging_stops_at_the_first_status_older_than_since(instance: Instance) -> None:
    since = datetime(2026, 8, 1, 13, 53, tzinfo=UTC)  # the boost (13:53:58) is the last one kept
    result, requests = instance.fetch(since=since)
    assert len([r for r in requests if r.path == STATUSES_PATH]) == 1
    posts = [i for i in result.items if i.kind != "profile"]
    assert {i.native_id for i in posts} == {s["id"] for s in instance.scenario.timeline[:2]}
    assert all(i.published_at is not None and i.published_at >= since for i in posts)
    assert result.complete_since == since


def test_second_night_asks_since_the_stored_id_and_gets_only_the_new_status(
    instance: Instance,
) -> None:
    first, _ = instance.fetch()
    new_id = instance.scenario.add_item()
    second, requests = instance.fetch(cursor=first.cursor)
    pages = [r for r in requests if r.path == STATUSES_PATH]
    assert [(p.arg("since_id"), p.arg("max_id")) for p in pages] == [
        (first.cursor["newest_id"], None)
    ]
    assert [i.native_id for i in second.items if i.kind != "profile"] == [new_id]
    assert second.cursor["newest_id"] == new_id
    assert second.complete_since is None  # it saw only what is new: no claim about the window


def test_more_new_statuses_than_a_page_walk_back_to_the_stored_id(instance: Instance) -> None:
    first, _ = instance.fetch()
    new_ids = {instance.scenario.add_item() for _ in range(4)}
    second, requests = instance.fetch(cursor=first.cursor)
    assert {i.native_id for i in second.items if i.kind != "profile"} == new_ids
    # The next link does not carry since_id (as on Mastodon): the stored id ends the walk.
    assert len([r for r in requests if r.path == STATUSES_PATH]) == 2


def test_full_rescan_ignores_the_stored_id_and_walks_the_window(instance: Instance) -> None:
    first, _ = instance.fetch()
    rescan, requests = instance.fetch(cursor=first.cursor, full_rescan=True)
    assert all(r.arg("since_id") is None for r in requests)
    assert len(rescan.items) == len(first.items)
    assert rescan.complete_since == SINCE


def test_repeating_next_link_stops_paging_and_keeps_the_old_cursor(instance: Instance) -> None:
    page = instance.scenario.serve(instance.scenario.timeline[:3])
    again = f"{instance.fake.base_url}{STATUSES_PATH}?limit=3&max_id=1"
    instance.scenario.on(STATUSES_PATH, (200, {"Link": f'<{again}>; rel="next"'}, page))
    result, requests = instance.fetch(cursor={"newest_id": "1"}, full_rescan=True)
    assert len([r for r in requests if r.path == STATUSES_PATH]) == 2
    assert result.complete_since is None
    assert result.cursor["newest_id"] == "1"
    assert any("repeat" in note for note in result.notes)


def test_empty_timeline_keeps_the_stored_cursor(instance: Instance) -> None:
    instance.scenario.make_empty()
    result, _ = instance.fetch(cursor={"newest_id": "42"})
    assert [i.kind for i in result.items] == ["profile"]
    assert result.cursor["newest_id"] == "42"


# -- mapping ------------------------------------------------------------------------------------
def test_profile_carries_bio_display_name_fields_avatar_and_header(instance: Instance) -> None:
    profile = by_id(instance.fetch()[0])["profile"]
    assert profile.kind == "profile" and profile.text == "I walk funny"
    assert profile.extra["display_name"] == "John Lennon"
    assert profile.extra["fields"] == [
        {"name": "bread", "value": "toasty."},
        {"name": "lasagna", "value": "no!!!"},
    ]
    assert [m.role for m in profile.media] == ["avatar", "banner"]
    assert profile.media[0].url.startswith(instance.fake.base_url + "/system/accounts/avatars/")
    assert profile.permalink == f"{instance.fake.base_url}/@mastodonpy_test"


@pytest.mark.parametrize(
    ("note", "fields", "website", "emails"),
    [
        # The recorded remote account: a verified "Website" field; @mention links are not websites.
        (None, None, "http://shork.xyz", []),
        (
            '<p>Room 12. Write to <a href="mailto:ms.b@school.example">ms.b@school.example</a></p>',
            [],
            None,
            ["ms.b@school.example"],
        ),
        (
            '<p>Class blog: <a href="https://blog.school.example">blog</a></p>',
            [],
            "https://blog.school.example",
            [],
        ),
        # Near miss: a hashtag link is not a website, "at" without a domain is not an e-mail.
        (
            '<p><a href="https://x.example/tags/math" class="mention hashtag">#math</a> ms.b at '
            "school</p>",
            [],
            None,
            [],
        ),
    ],
)
def test_profile_website_and_emails_come_from_note_and_fields(
    note: str | None, fields: list[Any] | None, website: str | None, emails: list[str]
) -> None:
    account = load("account-remote-docs.json")
    if note is not None:
        account["note"] = note
    if fields is not None:
        account["fields"] = fields
    profile = MastodonConnector.profile_item(None, account)  # type: ignore[arg-type]
    assert profile.extra["website"] == website
    assert profile.extra["emails"] == emails
    assert not any("@" in link.rsplit("/", 1)[-1] for link in profile.extra["links"])


def test_every_media_url_downloads_as_an_image_through_the_allow_list(instance: Instance) -> None:
    connector = instance.connector()
    result = connector.fetch(FetchWindow(SINCE, {}))
    urls = {m.url for i in result.items for m in i.media}
    assert len(urls) == 4  # two images, avatar, header
    assert {connector.http.get_bytes(url)[1] for url in urls} == {"image/png"}


def test_images_keep_alt_text_and_videos_give_their_preview(instance: Instance) -> None:
    status = load("status-with-media.json")
    item = by_id(instance.fetch()[0])[status["id"]]
    assert [(m.role, m.alt) for m in item.media] == [
        ("image", "John Lennon doing a funny walk"),
        ("image", "hololives #1 detective, watson ameliachan"),
    ]
    assert item.media[0].url.endswith("/original/963111bc1b0bd6b6.jpg")


@pytest.mark.parametrize(
    ("attachment", "expected"),
    [
        (
            {"type": "image", "url": "https://i/1.jpg", "description": "a"},
            [("https://i/1.jpg", "image", "a")],
        ),
        (
            {
                "type": "gifv",
                "url": "https://i/2.mp4",
                "preview_url": "https://i/2.png",
                "description": None,
            },
            [("https://i/2.png", "video_thumbnail", None)],
        ),
        (
            {"type": "unknown", "url": None, "remote_url": "https://r/3.jpg"},
            [("https://r/3.jpg", "image", None)],
        ),
        (
            {"type": "audio", "url": "https://i/4.mp3", "preview_url": None},
            [],
        ),  # near miss: nothing
    ],
)
def test_attachment_types_map_to_media_roles(
    attachment: dict[str, Any], expected: list[tuple[str, str, str | None]]
) -> None:
    assert [(m.url, m.role, m.alt) for m in media_refs([attachment])] == expected


def test_recorded_video_attachment_gives_its_preview_png() -> None:
    refs = media_refs([load("media-attachment-video-docs.json")])
    assert [(r.role, r.url.rsplit("/", 1)[-1]) for r in refs] == [
        ("video_thumbnail", "dab9a597f68b9745.png")
    ]


def test_boost_is_a_share_of_the_original_at_the_wrapper_url(instance: Instance) -> None:
    boost = load("status-reblog.json")
    item = by_id(instance.fetch()[0])[boost["id"]]
    assert item.kind == "share"
    assert item.permalink.endswith(f"/statuses/{boost['id']}/activity")
    assert item.text == "Toot!"
    assert item.extra["shared"]["native_id"] == boost["reblog"]["id"]
    assert item.extra["shared"]["permalink"].endswith(f"/@mastodonpy_test/{boost['reblog']['id']}")
    assert item.published_at == datetime(2026, 8, 1, 13, 53, 58, 160000, tzinfo=UTC)


def test_edited_status_has_edited_at(instance: Instance) -> None:
    items = by_id(instance.fetch()[0])
    edited = items[load("status-edited.json")["id"]]
    assert edited.edited_at == datetime(2026, 8, 1, 13, 54, 0, 695000, tzinfo=UTC)
    assert all(i.edited_at is None for k, i in items.items() if k not in (edited.native_id,))


def test_content_warning_and_null_url_fall_back(instance: Instance) -> None:
    status = load("status-docs-example.json")
    status.update(url=None, spoiler_text="Money talk")
    item = instance.connector().status_item(status)
    assert item.permalink == status["uri"]
    assert item.text.startswith('Money talk\n\n"I lost my inheritance')
    assert "https://www.theguardian.com/money/2019/dec/07/" in item.text  # invisible spans kept
    assert item.extra["spoiler_text"] == "Money talk"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p><p>two<br>three</p>", "one\n\ntwo\nthree"),
        ("<p>&quot;quoted&quot; &amp; more</p>", '"quoted" & more'),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_html_content_becomes_plain_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


# -- replies --------------------------------------------------------------------------------------
def test_sponsored_account_captures_replies_from_the_status_context(instance: Instance) -> None:
    parent = instance.scenario.timeline[0]
    parent["replies_count"] = 2
    reply = copy.deepcopy(load("status-edited.json"))  # mastodonpy_test_2 answers
    reply.update(id="117020590000000001", in_reply_to_id=parent["id"])
    nested = copy.deepcopy(load("status-docs-example.json"))
    nested.update(id="117020590000000002", in_reply_to_id=reply["id"])
    instance.scenario.contexts[parent["id"]] = [reply, nested]
    result, requests = instance.fetch(kind="sponsored")
    items = by_id(result)
    answer = items[reply["id"]]
    assert (answer.kind, answer.parent_native_id) == ("comment", parent["id"])
    assert items[nested["id"]].parent_native_id == reply["id"]
    assert items[reply["id"]].author == "mastodonpy_test_2"
    # Only statuses with replies_count > 0 cost a context call.
    assert [r.path for r in requests if "/context" in r.path] == [
        f"/api/v1/statuses/{parent['id']}/context"
    ]


def test_unreadable_reply_thread_is_noted_and_the_rest_kept(instance: Instance) -> None:
    parent = instance.scenario.timeline[0]
    parent["replies_count"] = 1
    instance.scenario.on(
        f"/api/v1/statuses/{parent['id']}/context", (404, {}, {"error": "Record not found"})
    )
    result, _ = instance.fetch(kind="sponsored")
    assert len(result.items) == 9
    assert any(parent["id"] in n and "not read" in n for n in result.notes)


def test_revoked_token_during_replies_still_skips_the_account(instance: Instance) -> None:
    parent = instance.scenario.timeline[0]
    parent["replies_count"] = 1
    instance.scenario.on(
        f"/api/v1/statuses/{parent['id']}/context",
        (401, {}, {"error": "The access token was revoked"}),
    )
    with pytest.raises(SkippableError) as caught:
        instance.fetch(kind="sponsored", token=TOKEN)
    assert caught.value.reason == "auth"


def test_employee_account_does_not_read_other_peoples_replies(instance: Instance) -> None:
    instance.scenario.timeline[0]["replies_count"] = 2
    _, requests = instance.fetch(kind="employee")
    assert not [r for r in requests if "/context" in r.path]


def test_employees_own_reply_is_a_post_linked_to_its_parent(instance: Instance) -> None:
    instance.scenario.timeline[2]["in_reply_to_id"] = "109999"
    item = by_id(instance.fetch()[0])[instance.scenario.timeline[2]["id"]]
    assert (item.kind, item.parent_native_id) == ("post", "109999")


# -- rate limits and faults ---------------------------------------------------------------------
def test_429_waits_until_x_ratelimit_reset_then_succeeds(instance: Instance) -> None:
    reset = instance.scenario.now + timedelta(seconds=45)
    throttle = (
        429,
        {
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
        },
        {"error": "Too many requests"},
    )
    instance.scenario.on(
        STATUSES_PATH,
        throttle,
        instance.scenario._statuses(Request("GET", STATUSES_PATH, {"limit": ["40"]}, {})),
    )
    result, _ = instance.fetch()
    assert instance.sleeps == [45.0]
    assert len(result.items) == 4  # profile + the first page (the scripted answer repeats)


def test_429_without_reset_header_falls_back_to_retry_after(instance: Instance) -> None:
    instance.scenario.on(
        LOOKUP,
        (429, {"Retry-After": "12"}, {"error": "Too many requests"}),
        (200, {}, instance.scenario.serve(instance.scenario.profile)),
    )
    instance.fetch()
    assert instance.sleeps == [12.0]


def test_429_with_a_reset_beyond_max_wait_skips_as_rate_limited(instance: Instance) -> None:
    reset = instance.scenario.now + timedelta(hours=1)
    instance.scenario.on(LOOKUP, (429, {"X-RateLimit-Reset": reset.isoformat()}, {"error": "x"}))
    with pytest.raises(SkippableError) as caught:
        instance.fetch()
    assert caught.value.reason == "rate_limited"


def test_spent_budget_on_a_200_pauses_before_the_next_request(instance: Instance) -> None:
    instance.scenario.rate_headers.update(
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-08-01T13:54:40Z"}
    )
    _, requests = instance.fetch()
    assert set(instance.sleeps) == {10.0}
    assert len(instance.sleeps) == len(requests) - 1  # before each next request, not after the last


def test_remaining_budget_does_not_pause(instance: Instance) -> None:
    instance.scenario.rate_headers["X-RateLimit-Remaining"] = "1"  # near miss
    instance.fetch()
    assert instance.sleeps == []


def test_server_error_is_retried_then_succeeds(instance: Instance) -> None:
    instance.scenario.on(
        LOOKUP,
        (503, {}, {"error": "busy"}),
        (200, {}, instance.scenario.serve(instance.scenario.profile)),
    )
    result, requests = instance.fetch()
    assert len([r for r in requests if r.path == LOOKUP]) == 2
    assert len(result.items) == 9 and len(instance.sleeps) == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((404, {}, {"error": "Record not found"}), "not_found"),
        ((401, {}, {"error": "This API requires an authenticated user"}), "auth"),
        ((403, {}, {"error": "This action is outside the authorized scopes"}), "forbidden"),
        ((200, {}, "<html>maintenance</html>"), "malformed"),
        ((200, {}, {"error": "not an account"}), "malformed"),
    ],
)
def test_lookup_failures_skip_the_account_with_a_reason(
    instance: Instance, answer: Response, reason: str
) -> None:
    instance.scenario.on(LOOKUP, answer)
    with pytest.raises(SkippableError) as caught:
        instance.fetch()
    assert caught.value.reason == reason


def test_malformed_statuses_page_skips_the_account(instance: Instance) -> None:
    instance.scenario.on(STATUSES_PATH, (200, {"Content-Type": "application/json"}, b'[{"id":'))
    with pytest.raises(SkippableError) as caught:
        instance.fetch()
    assert caught.value.reason == "malformed"


def test_stall_longer_than_the_read_timeout_is_retried_then_skipped(instance: Instance) -> None:
    def stall(request: Request) -> Response:
        time.sleep(0.6)
        return 200, {}, []

    instance.fake.route(STATUSES_PATH, stall)
    with pytest.raises(SkippableError) as caught:
        instance.fetch(settings=HttpSettings(read_timeout=0.2, max_attempts=2))
    assert caught.value.reason == "transient_exhausted"
    assert len(instance.fake.requests_to(STATUSES_PATH)) == 2


# -- account, token -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("locator", "expected"),
    [
        ("@teacher@mastodon.social", ("teacher", "mastodon.social")),
        ("teacher@Mastodon.Social", ("teacher", "mastodon.social")),
        ("https://mastodon.social/@teacher", ("teacher", "mastodon.social")),
        ("@teacher", ("teacher", None)),
        ("teacher", ("teacher", None)),
    ],
)
def test_locator_forms(locator: str, expected: tuple[str, str | None]) -> None:
    assert parse_locator(locator) == expected


@pytest.mark.parametrize("locator", ["https://mastodon.social/users/teacher", "@", "https://x.y/"])
def test_locators_that_name_no_account_are_rejected(locator: str) -> None:
    with pytest.raises(SkippableError):
        parse_locator(locator)


@pytest.mark.parametrize(
    ("locator", "api_base", "base", "acct"),
    [
        ("@teacher@mastodon.social", None, "https://mastodon.social", "teacher"),
        (
            "@teacher@mastodon.social",
            "https://mastodon.social",
            "https://mastodon.social",
            "teacher",
        ),
        # api_base overrides the instance: the account is looked up there as a remote one.
        (
            "@teacher@mastodon.social",
            "https://k12.social",
            "https://k12.social",
            "teacher@mastodon.social",
        ),
        ("teacher", "https://k12.social", "https://k12.social", "teacher"),
    ],
)
def test_api_base_and_acct_from_locator(
    locator: str, api_base: str | None, base: str, acct: str
) -> None:
    account = Account(
        id="a", kind="sponsored", platform="mastodon", locator=locator, api_base=api_base
    )
    connector = MastodonConnector(account, HttpClient("a", "b", set()), FixedClock(SINCE))
    assert (connector.api_base, connector.acct()) == (base, acct)
    assert base.split("://")[1] in MastodonConnector.api_hosts(account)


def test_bad_locator_gives_no_extra_host_and_skips_at_fetch() -> None:
    account = Account(
        id="a",
        kind="sponsored",
        platform="mastodon",
        locator="https://mastodon.social/users/teacher",
    )
    assert MastodonConnector.api_hosts(account) == {"mastodon.social"}  # the URL's host only
    connector = MastodonConnector(account, HttpClient("a", "b", set()), FixedClock(SINCE))
    with pytest.raises(SkippableError) as caught:
        connector.fetch(FetchWindow(SINCE, {}))
    assert caught.value.reason == "bad_locator"


def test_locator_without_instance_or_api_base_skips() -> None:
    account = Account(id="a", kind="sponsored", platform="mastodon", locator="teacher")
    connector = MastodonConnector(account, HttpClient("a", "b", set()), FixedClock(SINCE))
    with pytest.raises(SkippableError) as caught:
        connector.fetch(FetchWindow(SINCE, {}))
    assert caught.value.reason == "bad_locator"


@pytest.mark.parametrize(("token", "header"), [(TOKEN, f"Bearer {TOKEN}"), (None, None)])
def test_token_is_sent_as_a_bearer_header_only_when_set(
    instance: Instance, token: str | None, header: str | None
) -> None:
    _, requests = instance.fetch(token=token)
    assert {r.headers.get("Authorization") for r in requests} == {header}
    assert all(TOKEN not in str(r.query) for r in requests)


# -- everything a status says: block HTML, polls, quotes -----------------------------------------
def test_text_outside_paragraphs_is_kept_in_reading_order(instance: Instance) -> None:
    status = instance.scenario.timeline[0]
    status["content"] = (
        "<p>Field trip checklist:</p><ul><li>permission slip</li><li>lunch</li>"
        "<li>water bottle</li><li>jacket</li></ul><blockquote><p>Be on time.</p></blockquote>"
        "<h2>Pickup</h2><p>a</p><pre>bus(7)\n  at 3pm</pre>"
    )
    item = by_id(instance.fetch()[0])[status["id"]]
    assert item.text == (
        "Field trip checklist:\n\npermission slip\nlunch\nwater bottle\njacket\n\n"
        "Be on time.\n\nPickup\n\na\n\nbus(7)\n  at 3pm"
    )


def test_poll_options_are_text_the_status_says(instance: Instance) -> None:
    status = instance.scenario.timeline[0]
    status["content"] = "<p>Which day for the bake sale?</p>"
    status["poll"] = {  # Poll entity (docs: entities/Poll.md)
        "id": "34830",
        "expires_at": "2026-08-02T04:05:08.302Z",
        "expired": False,
        "multiple": False,
        "votes_count": 10,
        "voters_count": 10,
        "voted": False,
        "own_votes": [],
        "emojis": [],
        "options": [
            {"title": "Friday with Ms. Rivera's class", "votes_count": 6},
            {"title": "Saturday", "votes_count": 4},
        ],
    }
    item = by_id(instance.fetch()[0])[status["id"]]
    assert item.text == ("Which day for the bake sale?\n\nFriday with Ms. Rivera's class\nSaturday")
    assert item.extra["poll"]["options"] == ["Friday with Ms. Rivera's class", "Saturday"]


def test_quote_post_keeps_the_quoted_status_in_extra(instance: Instance) -> None:
    status = instance.scenario.timeline[0]
    quoted = copy.deepcopy(load("status-docs-example.json"))
    status["content"] = '<p>Worth reading</p><p class="quote-inline">RE: <a href="x">x</a></p>'
    status["quote"] = {"state": "accepted", "quoted_status": quoted}  # Mastodon 4.5 Quote
    plain = [s for s in instance.scenario.timeline[1:] if not s.get("reblog")]
    shallow, untouched = plain[0], plain[1]
    shallow["quote"] = {"state": "pending", "quoted_status_id": "103270115826048975"}
    items = by_id(instance.fetch()[0])
    extra = items[status["id"]].extra["quoted"]
    assert extra["permalink"] == quoted["url"]
    assert extra["author"] == "Gargron"
    assert extra["text"].startswith('"I lost my inheritance with one wrong digit')
    assert items[shallow["id"]].extra["quoted"] == {
        "native_id": "103270115826048975",
        "state": "pending",
    }
    assert "quoted" not in items[untouched["id"]].extra


def test_a_quoted_statuss_images_are_the_quoting_posts_media_too(instance: Instance) -> None:
    status = instance.scenario.timeline[0]
    quoted = copy.deepcopy(load("status-with-media.json"))
    status["media_attachments"] = []
    status["quote"] = {"state": "accepted", "quoted_status": quoted}
    item = by_id(instance.fetch()[0])[status["id"]]
    shown = [a for a in quoted["media_attachments"] if a["type"] in ("image", "unknown")]
    assert shown, "the recorded status has images"
    # The fake instance serves the recording with its own address in place of the recorded one.
    assert [(urlsplit(m.url).path, m.alt) for m in item.media] == [
        (urlsplit(a["url"]).path, a.get("description") or None) for a in shown
    ]
    assert item.extra["quoted"]["images"] == [m.url for m in item.media]
