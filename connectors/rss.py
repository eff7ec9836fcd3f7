"""RSS 2.0 and Atom feeds (locator = the feed URL), parsed with feedparser.

The feed is fetched through `self.http` (retries, allow-list, access log) and only its bytes are
handed to feedparser, which never touches the network itself. The feed URL is passed as the
document's Content-Location so feedparser resolves relative links and `<img src>` against it (an
`xml:base` in the feed takes precedence).

A feed is never evidence of deletion: it lists what its publisher chose (the newest items, or
"top" and ranked ones, in any order), so an item can leave it and still be online. The connector
makes no completeness claim. It remembers in the cursor each item it saw with its permalink; an
item missing from the feed next time is re-checked at its permalink (`connectors.recheck`), and
only a 404/410 there marks it deleted, with that answer recorded.

Re-fetches are conditional (If-None-Match / If-Modified-Since from the cursor); a 304 returns no
items and makes no completeness claim.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
import requests

from connectors.base import Connector, FetchResult, FetchWindow, Item, MediaRef
from connectors.errors import SkippableError
from connectors.html import html_to_text, img_refs, inline_text, merge_media
from connectors.recheck import recheck_missing

XML_TYPES = (
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
)
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)


class RssConnector(Connector):
    platform = "rss"

    def fetch(self, window: FetchWindow) -> FetchResult:
        url = self.feed_url()
        headers = {"Accept": FEED_ACCEPT}
        if not window.full_rescan:  # a full re-scan must see the whole feed, changed or not
            if window.cursor.get("etag"):
                headers["If-None-Match"] = window.cursor["etag"]
            if window.cursor.get("last_modified"):
                headers["If-Modified-Since"] = window.cursor["last_modified"]
        response = self.http.get(url, headers=headers, ok_statuses=(200, 304))
        if response.status_code == 304:
            return FetchResult([], dict(window.cursor), None, ["feed not modified (304)"])
        return self.parse(response, url, window)

    def feed_url(self) -> str:
        """The locator, on the api_base host when one is configured (a mirror or a test server)."""
        locator = self.account.locator
        if not self.account.api_base:
            return locator
        feed, base = urlsplit(locator), urlsplit(self.account.api_base)
        return urlunsplit((base.scheme, base.netloc, feed.path, feed.query, ""))

    def parse(self, response: requests.Response, url: str, window: FetchWindow) -> FetchResult:
        body, listed = first_entries(response.content, self.settings.max_items)
        parsed = feedparser.parse(
            body,
            response_headers={"content-location": url, "content-type": _media_type(response)},
        )
        if not parsed.entries and (parsed.bozo or not parsed.version):
            problem = parsed.get("bozo_exception") or "not an RSS or Atom document"
            raise SkippableError(
                f"malformed feed at {self.http.redact(url)}: {problem}", reason="malformed"
            )
        notes = [f"feed parsed with a warning: {parsed.bozo_exception}"] if parsed.bozo else []
        entries, cut_short = parsed.entries, None
        listed = max(listed or 0, len(entries))
        if listed > self.settings.max_items:
            notes.append(
                f"feed lists {listed} entries; read the first {self.settings.max_items} (max_items)"
            )
            entries, cut_short = entries[: self.settings.max_items], "item_limit"
        items: list[Item] = []
        ids: set[str] = set()
        # The whole feed is downloaded anyway, so every item back to the first fetch's horizon is
        # kept each night: an edit inside the feed shows the next morning, not at the next full
        # re-scan. (The window's `since` would drop items the feed still lists.)
        horizon = _horizon(window)
        for entry in entries:
            item = entry_item(entry, url)
            if item is None:
                notes.append(f"entry without id or link skipped: {entry.get('title')!r}")
            elif item.native_id in ids:  # feeds do repeat items; the first (newest) one counts
                notes.append(f"duplicate entry {item.native_id} skipped")
            elif item.published_at is None or item.published_at >= horizon:
                ids.add(item.native_id)
                items.append(item)
        cursor: dict[str, Any] = {"horizon": horizon.isoformat()}
        if response.headers.get("ETag"):
            cursor["etag"] = response.headers["ETag"]
        if response.headers.get("Last-Modified"):
            cursor["last_modified"] = response.headers["Last-Modified"]
        newest = max((i.published_at for i in items if i.published_at is not None), default=None)
        if newest is not None:
            cursor["newest"] = newest.isoformat()
        elif window.cursor.get("newest"):
            cursor["newest"] = window.cursor["newest"]
        check = recheck_missing(
            self.http,
            dict(window.cursor.get("seen") or {}),
            ids,
            self.clock.now(),
            locate=self.on_api_host,
        )
        notes += check.notes
        # Items with a page of their own can be re-checked later; the feed URL is no such page.
        cursor["seen"] = {
            **check.pending,
            **{
                i.native_id: i.permalink
                for i in items
                if i.permalink != url and i.permalink != self.account.locator
            },
        }
        return FetchResult(items, cursor, None, notes, gone=check.gone, cut_short=cut_short)

    def on_api_host(self, permalink: str) -> str:
        """A permalink on the api_base host when one is configured, as `feed_url` does."""
        if not self.account.api_base:
            return permalink
        page, base = urlsplit(permalink), urlsplit(self.account.api_base)
        if page.netloc != urlsplit(self.account.locator).netloc:
            return permalink  # another site's page: asked where it is (or refused there)
        return urlunsplit((base.scheme, base.netloc, page.path, page.query, ""))


def first_entries(body: bytes, limit: int) -> tuple[bytes, int | None]:
    """The feed with only its first `limit` items or entries, and how many it listed (None when
    not cut). Parsing is what a huge feed costs (100,000 entries: over two minutes), so the
    document is cut before feedparser sees it: up to the end of the limit-th `</item>` or
    `</entry>`, then whatever follows the last one (the closing tags). Only for encodings where
    ASCII is ASCII; a UTF-16 feed is parsed whole and cut after."""
    if b"\x00" in body[:200]:
        return body, None
    for closer in (b"</item>", b"</entry>"):
        total = body.count(closer)
        if total <= limit:
            continue
        end = -1
        for _ in range(limit):
            end = body.find(closer, end + 1)
        last = body.rfind(closer)
        return body[: end + len(closer)] + body[last + len(closer) :], total
    return body, None


def _media_type(response: requests.Response) -> str:
    """The Content-Type to hand feedparser. `text/xml` without a charset means US-ASCII by RFC
    3023, which real UTF-16 and UTF-8 feeds served that way are not; a missing or generic
    (octet-stream) type makes feedparser warn. Both are passed as `application/xml`, whose
    encoding comes from the BOM and the XML declaration (RFC 7303)."""
    value = response.headers.get("Content-Type", "")
    mtype = value.split(";")[0].strip().lower()
    if "charset=" in value.lower() and mtype:
        return value
    if not mtype or mtype.startswith("text/") or mtype in (*XML_TYPES, "application/octet-stream"):
        return mtype if mtype in XML_TYPES else "application/xml"
    return value


def _horizon(window: FetchWindow) -> datetime:
    """How far back items are kept: the first fetch's `since` (the backfill), remembered in the
    cursor; a full re-scan's `since` when that reaches further back."""
    stored = window.cursor.get("horizon")
    if not stored:
        return window.since
    remembered = datetime.fromisoformat(stored)
    return min(remembered, window.since) if window.full_rescan else remembered


def entry_item(entry: dict[str, Any], feed_url: str) -> Item | None:
    """Map one feedparser entry. native_id: guid/id, else the link; permalink: the entry's link
    (feedparser already resolved it; a guid with isPermaLink="false" is never used as a URL)."""
    link = _alternate_link(entry, feed_url)
    native_id = entry.get("id") or link
    if not native_id:
        return None
    html = _html(entry)
    media = merge_media(_feed_media(entry, link or feed_url) + img_refs(html, link or feed_url))
    published = entry_time(entry)
    updated = _struct_to_utc(entry.get("updated_parsed"))
    author = entry.get("author") or None
    return Item(
        native_id=str(native_id),
        kind="post",
        # No link at all (rare): the feed is the only place the item can be seen.
        permalink=link or feed_url,
        published_at=published,
        text=html_to_text(html) if html else "",
        title=entry_title(entry),
        author=author,
        html=html or None,
        media=media,
        edited_at=updated if updated and published and updated > published else None,
        raw=jsonable(entry),
    )


def entry_title(entry: dict[str, Any]) -> str | None:
    """The title as plain text: an HTML title (`type="html"`, or an RSS title feedparser read as
    HTML) loses its markup and entities: `AT&amp;T <b>news</b>` -> `AT&T news`."""
    title = entry.get("title")
    if not title:
        return None
    kind = str((entry.get("title_detail") or {}).get("type") or "")
    text = inline_text(title) if "html" in kind else " ".join(str(title).split())
    return text or None


def entry_time(entry: dict[str, Any]) -> datetime | None:
    """published, else updated. feedparser's *_parsed values are UTC struct_times (it already
    applied offsets and zone names such as EST)."""
    return _struct_to_utc(entry.get("published_parsed") or entry.get("updated_parsed"))


def _struct_to_utc(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def _alternate_link(entry: dict[str, Any], feed_url: str) -> str | None:
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return _web(urljoin(feed_url, link["href"]))
    href = entry.get("link")
    return _web(urljoin(feed_url, href)) if href else None


def _web(url: str) -> str | None:
    """Only a web address is a permalink: feedparser makes a `tag:` or `urn:uuid:` guid the
    entry's link when the feed does not say isPermaLink="false"."""
    return url if urlsplit(url).scheme in ("http", "https") else None


def _html(entry: dict[str, Any]) -> str:
    """The fullest HTML body: content:encoded / Atom content, else the summary/description."""
    for content in entry.get("content") or []:
        if content.get("value"):
            return str(content["value"])
    return str(entry.get("summary") or "")


def _feed_media(entry: dict[str, Any], base: str) -> list[MediaRef]:
    """Images declared by the feed itself: image enclosures, Media RSS content and thumbnails."""
    refs: list[MediaRef] = []
    for enclosure in entry.get("enclosures") or []:
        if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
            refs.append(MediaRef(urljoin(base, enclosure["href"]), "image"))
    for content in entry.get("media_content") or []:
        is_image = content.get("medium") == "image" or str(content.get("type", "")).startswith(
            "image/"
        )
        if is_image and content.get("url"):
            refs.append(MediaRef(urljoin(base, content["url"]), "image"))
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url"):
            refs.append(MediaRef(urljoin(base, thumb["url"]), "image"))
    return refs


def jsonable(value: Any) -> Any:
    """feedparser's dicts hold struct_times; store them as ISO strings so `raw` is plain JSON."""
    if isinstance(value, time.struct_time):
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
