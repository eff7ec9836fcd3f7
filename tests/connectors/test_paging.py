"""The paging walk and its five paginators, against a listing served from loopback in each
platform's paging style."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.http import HttpClient
from connectors.paging import (
    ITEM_LIMIT,
    PAGE_LIMIT,
    Cursor,
    JsonLink,
    LinkHeader,
    PageNumber,
    PageRequest,
    Paginator,
    TimeWindow,
    Walk,
    walk,
)
from demo.fakeplatform import FakePlatform, Request, Response

ROWS = [{"id": str(n), "n": n} for n in range(10, 0, -1)]  # newest first
SIZE = 3


class Listing:
    """One listing of ROWS, paged in the style named by `style`; `shift` rows are inserted at
    the top after the first page (a post published while we page)."""

    def __init__(self, fake: FakePlatform, style: str) -> None:
        self.fake, self.style = fake, style
        self.rows = list(ROWS)
        self.shift = 0
        self.loop = False

    def serve(self, request: Request) -> Response:
        offset = int(request.arg("offset") or request.arg("cursor") or 0)
        if self.style == "page":
            offset = (int(request.arg("page") or 1) - 1) * SIZE
        page = self.rows[offset : offset + SIZE]
        more = offset + SIZE < len(self.rows)
        following = offset if self.loop and offset else offset + SIZE
        if offset == 0 and self.shift:
            self.rows[:0] = [{"id": f"new{n}", "n": 100 + n} for n in range(self.shift)]
        url = f"{self.fake.base_url}/list?offset={following}"
        if self.style == "link":
            return 200, {"Link": f'<{url}>; rel="next"'} if more else {}, page
        if self.style == "json":
            return 200, {}, {"data": page, "paging": {"next": url} if more else {}}
        if self.style == "cursor":
            return 200, {}, {"feed": page, **({"cursor": str(following)} if more else {})}
        total = str(-(-len(self.rows) // SIZE))
        return 200, {"X-WP-TotalPages": total}, page


STYLES: dict[str, tuple[Paginator, Any]] = {
    "link": (LinkHeader(), lambda body: body),
    "json": (JsonLink("paging", "next"), lambda body: body["data"]),
    "cursor": (Cursor("cursor", param="cursor"), lambda body: body["feed"]),
    "page": (PageNumber("page", total_header="X-WP-TotalPages"), lambda body: body),
}


@pytest.fixture(params=sorted(STYLES))
def listing(request: pytest.FixtureRequest) -> Iterator[Listing]:
    with FakePlatform() as fake:
        served = Listing(fake, request.param)
        fake.route("/list", served.serve)
        yield served


def run(listing: Listing, **options: Any) -> Walk[dict[str, Any]]:
    http = HttpClient("a", "test", {listing.fake.host}, sleep=lambda s: None)
    paginator, rows = STYLES[listing.style]

    def fetch(request: PageRequest) -> tuple[Any, requests.Response]:
        return http.get_json(request.url, params=request.params)

    first = PageRequest(
        f"{listing.fake.base_url}/list", {"page": 1} if listing.style == "page" else {}
    )
    options.setdefault("max_pages", 50)
    return walk(fetch, first, paginator, rows=rows, key=lambda r: r["id"], label="test", **options)


def test_every_style_walks_the_whole_listing_and_is_complete(listing: Listing) -> None:
    result = run(listing)
    assert [r["n"] for r in result.items] == list(range(10, 0, -1))
    assert result.complete and result.cut_short is None and result.pages == 4


def test_a_row_past_the_window_ends_the_walk_complete(listing: Listing) -> None:
    result = run(listing, past=lambda r: r["n"] < 6)
    assert [r["n"] for r in result.items] == [10, 9, 8, 7, 6]
    assert result.complete and result.pages == 2


def test_an_item_repeated_across_pages_is_kept_once(listing: Listing) -> None:
    listing.shift = 1  # one post published after the first page: page 2 repeats row 8
    result = run(listing)
    ids = [r["id"] for r in result.items]
    assert len(ids) == len(set(ids)) == 10
    assert result.complete


@pytest.mark.parametrize("style", sorted(set(STYLES) - {"page"}))  # page numbers always advance
def test_a_repeated_next_page_stops_the_walk_incomplete(style: str) -> None:
    with FakePlatform() as fake:
        listing = Listing(fake, style)
        fake.route("/list", listing.serve)
        listing.loop = True
        result = run(listing)
    assert not result.complete
    assert any("repeat" in note for note in result.notes)


def test_page_limit_is_a_cut_short_walk(listing: Listing) -> None:
    result = run(listing, max_pages=2)
    assert len(result.items) == 6
    assert not result.complete and result.cut_short == PAGE_LIMIT


def test_item_limit_is_a_cut_short_walk(listing: Listing) -> None:
    result = run(listing, max_items=4)
    assert [r["n"] for r in result.items] == [10, 9, 8, 7]
    assert not result.complete and result.cut_short == ITEM_LIMIT


def test_time_window_walks_back_in_windows_to_since() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    until = since + timedelta(days=10)
    posts = {since + timedelta(days=d, hours=3): f"p{d}" for d in (0, 1, 5, 9)}

    def serve(request: Request) -> Response:
        start = datetime.fromtimestamp(int(request.arg("since") or 0), tz=UTC)
        end = datetime.fromtimestamp(int(request.arg("until") or 0), tz=UTC)
        return 200, {}, {"data": [{"id": p} for t, p in posts.items() if start <= t < end]}

    with FakePlatform() as fake:
        fake.route("/posts", serve)
        http = HttpClient("a", "test", {fake.host}, sleep=lambda s: None)
        paginator = TimeWindow(since, until, timedelta(days=3))
        result = walk(
            lambda r: http.get_json(r.url, params=r.params),
            paginator.first(f"{fake.base_url}/posts", {"fields": "id"}),
            paginator,
            rows=lambda body: body["data"],
            key=lambda r: r["id"],
            label="windows",
            max_pages=10,
        )
        windows = [(r.arg("since"), r.arg("until")) for r in fake.requests]
    assert sorted(r["id"] for r in result.items) == ["p0", "p1", "p5", "p9"]
    assert result.complete and result.pages == 4, "an empty window does not end the walk"
    assert windows[0][1] == str(int(until.timestamp()))
    assert windows[-1][0] == str(int(since.timestamp()))
