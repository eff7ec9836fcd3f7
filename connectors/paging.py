"""Paging through a platform's listing: one walk, five ways of finding the next page.

Every API connector lists an account's items page by page, newest first, and must answer the
same questions the same way: where the next page is; when to stop (the listing ended, it reached
back past the window, a limit was hit); what to do with an item a page repeats (a post published
while we page shifts every page by one: the repeat is dropped, never stored twice); and whether
the walk saw *everything* it asked for, which is what lets the store mark absent items deleted.

A paginator says only where the next page is (after dlt's paginators):
- `LinkHeader`: RFC 8288 `Link: <url>; rel="next"` (Mastodon).
- `JsonLink`: a full URL inside the body, e.g. `paging.next` (Graph API).
- `Cursor`: an opaque token in the body sent back as a parameter (Bluesky `cursor`, YouTube
  `nextPageToken` -> `pageToken`).
- `PageNumber`: `page=1, 2, ...`, ending at a total-pages header or an empty page (WordPress).
- `TimeWindow`: consecutive `[since, until)` windows walked back in time, for APIs that filter by
  date but do not page.

`walk` drives one of them and returns a `Walk`: the items, `complete` (every item in range was
seen), notes, and `cut_short` (the reason code when a limit ended it: "page_limit",
"item_limit"). A walk that stops because of a loop (a next link or cursor it already followed, a
page of nothing but repeats) or a limit is never complete.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import requests

from connectors.base import FetchWindow

T = TypeVar("T")
PAGE_LIMIT = "page_limit"
ITEM_LIMIT = "item_limit"


@dataclass(frozen=True)
class PageRequest:
    """One page to ask for. `params` None: the URL already carries them (a next link)."""

    url: str
    params: dict[str, Any] | None = None

    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.url, tuple(sorted((k, str(v)) for k, v in (self.params or {}).items()))


class Paginator(ABC):
    """Where the page after `current` is; None: the listing ends here."""

    ends_on_empty_page = True  # an empty page is the end of the listing

    @abstractmethod
    def next_request(
        self, current: PageRequest, response: requests.Response, body: Any
    ) -> PageRequest | None: ...


class LinkHeader(Paginator):
    def __init__(self, rel: str = "next") -> None:
        self.rel = rel

    def next_request(
        self, current: PageRequest, response: requests.Response, body: Any
    ) -> PageRequest | None:
        url = response.links.get(self.rel, {}).get("url")
        return PageRequest(url) if url else None


class JsonLink(Paginator):
    def __init__(self, *path: str) -> None:
        self.path = path

    def next_request(
        self, current: PageRequest, response: requests.Response, body: Any
    ) -> PageRequest | None:
        url = dig(body, *self.path)
        return PageRequest(url) if isinstance(url, str) and url else None


class Cursor(Paginator):
    def __init__(self, *path: str, param: str) -> None:
        self.path, self.param = path, param

    def next_request(
        self, current: PageRequest, response: requests.Response, body: Any
    ) -> PageRequest | None:
        token = dig(body, *self.path)
        if not isinstance(token, str) or not token:
            return None
        return replace(current, params={**(current.params or {}), self.param: token})


class PageNumber(Paginator):
    def __init__(self, param: str = "page", total_header: str | None = None) -> None:
        self.param, self.total_header = param, total_header

    def next_request(
        self, current: PageRequest, response: requests.Response, body: Any
    ) -> PageRequest | None:
        page = int((current.params or {}).get(self.param, 1))
        total = response.headers.get(self.total_header, "") if self.total_header else ""
        if not body or (total.isdigit() and page >= int(total)):
            return None
        return replace(current, params={**(current.params or {}), self.param: page + 1})


class TimeWindow(Paginator):
    """Windows of `step` from `until` back to `since`, newest first, one request each; times are
    sent as `fmt` writes them (default: Unix seconds). An empty window does not end the walk."""

    ends_on_empty_page = False

    def __init__(
        self,
        since: datetime,
        until: datetime,
        step: timedelta,
        *,
        since_param: str = "since",
        until_param: str = "until",
        fmt: Callable[[datetime], str] = lambda t: str(int(t.timestamp())),
    ) -> None:
        self.since, self.until, self.step = since, until, step
        self.since_param, self.until_param, self.fmt = since_param, until_param, fmt

    def first(self, url: str, params: dict[str, Any] | None = None) -> PageRequest:
        return PageRequest(url, {**(params or {}), **self._window()})

    def next_request(
        self, current: PageRequest, response: requests.Response, body: Any
    ) -> PageRequest | None:
        start = max(self.since, self.until - self.step)
        if start <= self.since:
            return None
        self.until = start
        return replace(current, params={**(current.params or {}), **self._window()})

    def _window(self) -> dict[str, str]:
        start = max(self.since, self.until - self.step)
        return {self.since_param: self.fmt(start), self.until_param: self.fmt(self.until)}


@dataclass
class Walk(Generic[T]):
    items: list[T] = field(default_factory=list)
    complete: bool = False
    notes: list[str] = field(default_factory=list)
    pages: int = 0
    cut_short: str | None = None


Fetch = Callable[[PageRequest], tuple[Any, requests.Response]]


def walk(
    fetch: Fetch,
    first: PageRequest,
    paginator: Paginator,
    *,
    rows: Callable[[Any], list[T]],
    key: Callable[[T], str | None],
    label: str,
    max_pages: int,
    max_items: int | None = None,
    past: Callable[[T], bool] | None = None,
    skip: Callable[[T], bool] | None = None,
    stop_when_all_past: bool = False,
    sorted_strictly: bool = False,
) -> Walk[T]:
    """Fetch pages from `first` until the listing ends, a row is `past` the wanted range (it and
    the rows after it are not kept; the rest of that page still is, as listings are only
    roughly ordered), or a limit. `rows` reads a page's rows (raising SkippableError when the
    body is not a page); `key` is a row's identity (None: skipped with a note); `skip` leaves a
    row out without ending anything (a pinned post). `stop_when_all_past`: end only after a page
    whose every row is past (for listings whose order the platform does not promise).
    `sorted_strictly`: the first past row ends the page too (the rows after it are known)."""
    result: Walk[T] = Walk()
    seen: set[str] = set()
    asked = {first.key()}
    request = first
    while result.pages < max_pages:
        body, response = fetch(request)
        result.pages += 1
        page = rows(body)
        fresh: list[T] = []
        for row in page:
            ident = key(row)
            if ident is None:
                result.notes.append(f"{label}: skipped an entry without an id")
            elif ident not in seen:
                seen.add(ident)
                fresh.append(row)
        if page and not fresh:
            result.notes.append(
                f"{label}: a page repeated items already seen and nothing new (it repeats); stopped"
            )
            return result
        passed, kept = False, 0
        for row in fresh:
            if skip is not None and skip(row):
                continue
            if past is not None and past(row):
                passed = True
                if sorted_strictly:
                    break
                continue
            kept += 1
            if max_items is not None and len(result.items) >= max_items:
                return _cut(result, ITEM_LIMIT, f"{label}: stopped at {max_items} items")
            result.items.append(row)
        if stop_when_all_past and kept:
            passed = False
        ended = passed or (not page and paginator.ends_on_empty_page)
        following = None if ended else paginator.next_request(request, response, body)
        if following is None:
            result.complete = True
            return result
        if following.key() in asked:
            result.notes.append(
                f"{label}: the next page link repeats one already followed (repeated); stopped"
            )
            return result
        asked.add(following.key())
        request = following
    return _cut(result, PAGE_LIMIT, f"{label}: stopped after {max_pages} pages")


def _cut(result: Walk[T], reason: str, note: str) -> Walk[T]:
    result.cut_short = reason
    result.notes.append(note)
    return result


def dig(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None as soon as a level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def high_water_cursor(
    window: FetchWindow, times: list[datetime | None], complete: bool
) -> dict[str, Any]:
    """`{"newest": iso}`: the newest publication time seen so far. An unfinished walk keeps the
    old cursor, so the gap it left is asked for again next night."""
    if not complete:
        return dict(window.cursor)
    seen = [t for t in times if t is not None]
    previous = window.cursor.get("newest")
    if isinstance(previous, str):
        seen.append(datetime.fromisoformat(previous))
    return {"newest": max(seen).isoformat()} if seen else dict(window.cursor)
