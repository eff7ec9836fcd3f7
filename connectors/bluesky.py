"""Bluesky (AT Protocol) through the public AppView: profile, author feed (reposts as shares, the
author's replies as posts with a parent) and, for sponsored accounts, the replies in each thread.

Lexicons: app.bsky.actor.getProfile, app.bsky.feed.getAuthorFeed, app.bsky.feed.getPostThread
(https://docs.bsky.app/docs/api/). The public AppView needs no token. Errors are
`{"error": Name, "message": ...}`; an unknown actor is HTTP 400 InvalidRequest "Profile not found";
a 429 carries `ratelimit-reset` in Unix seconds (bluesky-social/atproto#2542).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.base import Connector, FetchResult, FetchWindow, Item, ItemKind, MediaRef
from connectors.errors import RetriableError, SkippableError
from connectors.html import merge_media
from connectors.http import ConnectorProblem, parse_retry_after
from connectors.paging import Cursor, PageRequest, Walk, walk
from connectors.timeparse import parse_utc

PAGE_LIMIT = 100  # getAuthorFeed's documented maximum
XRPC = "/xrpc/"
_REPOST = "app.bsky.feed.defs#reasonRepost"
# A pinned post (includePins) repeats a post that also appears at its own place in the feed.
_PIN = "app.bsky.feed.defs#reasonPin"
# A thread that cannot be read (post deleted meanwhile, blocked) costs only that thread.
_THREAD_GAPS = {"not_found", "gone", "forbidden", "http_error"}
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Lexicon error names that mean "this actor cannot be read" rather than a transient fault.
_ACTOR_ERRORS = {
    "Profile not found": "not_found",
    "AccountTakedown": "gone",
    "AccountDeactivated": "gone",
    "BlockedActor": "forbidden",
    "BlockedByActor": "forbidden",
}


def parse_locator(locator: str) -> str:
    """A handle, `@handle`, a DID or `https://bsky.app/profile/{handle}` -> the actor."""
    value = locator.strip()
    if value.startswith(("http://", "https://")):
        path = urlsplit(value).path.strip("/").split("/")
        if len(path) < 2 or path[0] != "profile" or not path[1]:
            raise SkippableError(f"not a Bluesky profile URL: {locator}", reason="bad_locator")
        return path[1]
    return value.lstrip("@")


def parse_time(value: str | None) -> datetime | None:
    """AT Protocol datetimes; a client-supplied one may lack a zone (read as UTC) or be junk."""
    return parse_utc(value)


def web_permalink(uri: str, handle: str | None) -> str:
    """at://{did}/app.bsky.feed.post/{rkey} -> https://bsky.app/profile/{handle}/post/{rkey}
    (bsky-docs advanced-guides/oembed.md). The DID form is used when the handle is invalid."""
    did, _, rkey = uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    actor = handle if handle and handle != "handle.invalid" else did
    return f"https://bsky.app/profile/{actor}/post/{rkey}"


def embed_media(embed: dict[str, Any] | None) -> list[MediaRef]:
    """Images (fullsize + alt), a video's thumbnail, a link card's thumb; recordWithMedia keeps
    its own media under `media` (the quoted post sits under `record.record`)."""
    if not embed:
        return []
    kind = embed.get("$type", "")
    if kind == "app.bsky.embed.images#view":
        return [
            MediaRef(i["fullsize"], "image", i.get("alt") or None)
            for i in embed.get("images", [])
            if i.get("fullsize")
        ]
    if kind == "app.bsky.embed.video#view":
        thumb = embed.get("thumbnail")
        return [MediaRef(thumb, "video_thumbnail", embed.get("alt") or None)] if thumb else []
    if kind == "app.bsky.embed.external#view":
        # A link card's thumbnail: the linked page's picture. Its title is the page's, not alt
        # text the author wrote, so the image has none.
        thumb = (embed.get("external") or {}).get("thumb")
        return [MediaRef(thumb, "image", None)] if thumb else []
    if kind == "app.bsky.embed.recordWithMedia#view":
        return embed_media(embed.get("media"))
    return []


def link_card(embed: dict[str, Any] | None) -> dict[str, Any] | None:
    """The link card (`app.bsky.embed.external#view`), also as a recordWithMedia's media."""
    if not embed:
        return None
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view":
        return link_card(embed.get("media"))
    if embed.get("$type") != "app.bsky.embed.external#view":
        return None
    external = embed.get("external")
    return external if isinstance(external, dict) and external.get("uri") else None


def facet_links(record: dict[str, Any]) -> list[str]:
    """Full link URLs from the record's facets (the text shows them shortened)."""
    found = []
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or [] if isinstance(facet, dict) else []:
            if isinstance(feature, dict) and feature.get("$type") == "app.bsky.richtext.facet#link":
                found.append(str(feature.get("uri")))
    return [u for u in found if u.startswith(("http://", "https://"))]


def _quoted_record(embed: dict[str, Any] | None) -> dict[str, Any] | None:
    """The viewRecord a quote embeds (record#view or recordWithMedia#view), when readable."""
    if not embed:
        return None
    record = embed.get("record") or {}
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view":
        record = record.get("record") or {}
    return record if record.get("$type") == "app.bsky.embed.record#viewRecord" else None


def quoted_media(embed: dict[str, Any] | None) -> list[MediaRef]:
    """The quoted post's images: a quote shows them to the quoting account's readers as its own
    images do, so they are the quoting item's media too (read, checked, kept)."""
    record = _quoted_record(embed)
    return [m for e in (record or {}).get("embeds") or [] for m in embed_media(e)]


def quoted_post(embed: dict[str, Any] | None) -> dict[str, Any] | None:
    """The post a quote embeds (record#view or recordWithMedia#view), when it could be read."""
    record = _quoted_record(embed)
    if record is None:
        return None
    author = record.get("author") or {}
    return {
        "uri": record.get("uri"),
        "permalink": web_permalink(record["uri"], author.get("handle")),
        "author": author.get("handle"),
        "text": (record.get("value") or {}).get("text", ""),
        "images": [m.url for e in record.get("embeds") or [] for m in embed_media(e)],
    }


class BlueskyConnector(Connector):
    platform = "bluesky"
    default_api_base = "https://public.api.bsky.app"
    # cdn.bsky.app: current images; av-cdn.bsky.app and cdn.bsky.social: older avatar/image URLs;
    # video.bsky.app: video thumbnails.
    media_hosts = ("cdn.bsky.app", "av-cdn.bsky.app", "cdn.bsky.social", "video.bsky.app")
    token_help = ""

    def fetch(self, window: FetchWindow) -> FetchResult:
        profile = self._xrpc("app.bsky.actor.getProfile", actor=parse_locator(self.account.locator))
        if not isinstance(profile, dict) or "did" not in profile:
            raise SkippableError("bluesky: getProfile returned no profile", reason="malformed")
        items = [self.profile_item(profile)]
        listing = self._feed(profile["did"], window)
        feed, complete, notes = listing.items, listing.complete, listing.notes
        items += list({i.native_id: i for i in map(self.feed_item, feed)}.values())
        if self.account.kind == "sponsored":
            items += self._thread_replies(feed, {i.native_id for i in items}, notes)
        newest = max((_sort_time(e) for e in feed), default=None)
        cursor = dict(window.cursor)
        stored = parse_time(window.cursor.get("newest"))
        if complete and newest is not None and (stored is None or newest > stored):
            cursor["newest"] = newest.isoformat()
        since = window.since if complete and not self._stop_at_cursor(window) else None
        how = "bluesky: the author feed, newest first, read back to the window's start"
        return FetchResult(
            items=items,
            cursor=cursor,
            complete_since=since,
            notes=notes,
            complete_how=how if since else None,
            cut_short=listing.cut_short,
        )

    def _stop_at_cursor(self, window: FetchWindow) -> datetime | None:
        """On incremental nights paging stops at the newest item seen last time."""
        if window.full_rescan:
            return None
        stored = parse_time(window.cursor.get("newest"))
        return stored if stored is not None and stored > window.since else None

    def _feed(self, did: str, window: FetchWindow) -> Walk[dict[str, Any]]:
        """getAuthorFeed pages until no cursor, or an item older than the boundary. The feed is
        ordered by each entry's sort time (repost time for reposts), newest first."""
        stored = self._stop_at_cursor(window)

        def fetch(request: PageRequest) -> tuple[Any, requests.Response]:
            return self._xrpc_page("app.bsky.feed.getAuthorFeed", **(request.params or {}))

        def rows(body: Any) -> list[dict[str, Any]]:
            page = body.get("feed") if isinstance(body, dict) else None
            if not isinstance(page, list):
                raise SkippableError("bluesky: author feed has no `feed` list", reason="malformed")
            return [e for e in page if isinstance(e, dict)]

        def past(entry: dict[str, Any]) -> bool:  # already known, or older than the window
            when = _sort_time(entry)
            return when < window.since or (stored is not None and when <= stored)

        first = PageRequest(
            f"{self.api_base}{XRPC}app.bsky.feed.getAuthorFeed", {"actor": did, "limit": PAGE_LIMIT}
        )
        return walk(
            fetch,
            first,
            Cursor("cursor", param="cursor"),
            rows=rows,
            key=_entry_key,
            past=past,
            skip=lambda e: (e.get("reason") or {}).get("$type") == _PIN,
            label="bluesky: author feed",
            max_pages=self.settings.max_pages,
            max_items=self.settings.max_items,
        )

    def _thread_replies(
        self, feed: list[dict[str, Any]], seen: set[str], notes: list[str]
    ) -> list[Item]:
        found: list[Item] = []
        for entry in feed:
            post = entry.get("post") or {}
            if entry.get("reason") or not post.get("replyCount"):
                continue  # reposts are someone else's thread; replyCount 0 means nothing to read
            try:
                body = self._xrpc("app.bsky.feed.getPostThread", uri=post["uri"], parentHeight=0)
            except SkippableError as exc:
                if exc.reason not in _THREAD_GAPS:
                    raise
                notes.append(f"bluesky: replies to {post['uri']} not read: {exc}")
                continue
            for reply in _walk_replies((body or {}).get("thread") or {}):
                item = self.post_item(reply, kind="comment")
                if item.native_id not in seen:
                    seen.add(item.native_id)
                    found.append(item)
        return found

    # -- mapping ----------------------------------------------------------------------------
    def profile_item(self, profile: dict[str, Any]) -> Item:
        bio = profile.get("description") or ""
        links = _URL.findall(bio)
        website = profile.get("website") or None
        if website:
            links = [website, *links]
        media = [MediaRef(profile["avatar"], "avatar")] if profile.get("avatar") else []
        if profile.get("banner"):
            media.append(MediaRef(profile["banner"], "banner"))
        return Item(
            native_id="profile",
            kind="profile",
            permalink=f"https://bsky.app/profile/{profile.get('handle') or profile['did']}",
            published_at=None,
            text=bio,
            author=profile.get("handle"),
            media=media,
            raw=profile,
            extra={
                "display_name": profile.get("displayName") or "",
                "website": website,
                "emails": sorted(set(_EMAIL.findall(bio))),
                "links": list(dict.fromkeys(links)),
                "did": profile["did"],
            },
        )

    def feed_item(self, entry: dict[str, Any]) -> Item:
        reason = entry.get("reason") or {}
        if reason.get("$type") != _REPOST:
            return self.post_item(entry["post"])
        original = self.post_item(entry["post"])
        # A repost has no web page of its own; its record uri appears in newer AppViews only.
        return Item(
            native_id=reason.get("uri") or f"repost:{original.native_id}",
            kind="share",
            permalink=original.permalink,
            published_at=parse_time(reason.get("indexedAt")),
            text=original.text,
            author=(reason.get("by") or {}).get("handle"),
            media=original.media,
            raw=entry,
            extra={
                **original.extra,
                "shared": {
                    "native_id": original.native_id,
                    "permalink": original.permalink,
                    "author": original.author,
                    "text": original.text,
                },
            },
        )

    def post_item(self, post: dict[str, Any], kind: ItemKind = "post") -> Item:
        record = post.get("record") or {}
        author = post.get("author") or {}
        parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
        extra: dict[str, Any] = {"langs": record.get("langs") or []}
        quoted = quoted_post(post.get("embed"))
        if quoted:
            extra["quoted"] = quoted
        text = record.get("text") or ""
        links = facet_links(record)
        card = link_card(post.get("embed"))
        if card:  # what the card shows is text the post puts before its readers
            links.append(str(card["uri"]))
            shown = [str(card.get(k) or "").strip() for k in ("title", "description")]
            text = "\n\n".join(p for p in (text, "\n".join(x for x in shown if x)) if p)
            extra["card"] = {
                "uri": card["uri"],
                "title": card.get("title") or "",
                "description": card.get("description") or "",
            }
        extra["links"] = list(dict.fromkeys(links))
        return Item(
            native_id=post["uri"],
            kind=kind,
            permalink=web_permalink(post["uri"], author.get("handle")),
            # createdAt is client-supplied (may be missing or junk); indexedAt is the AppView's.
            published_at=parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt")),
            text=text,
            author=author.get("handle"),
            media=merge_media(embed_media(post.get("embed")) + quoted_media(post.get("embed"))),
            parent_native_id=parent,
            extra=extra,
            raw=post,
        )

    # -- HTTP -------------------------------------------------------------------------------
    def _xrpc(self, method: str, **params: Any) -> Any:
        return self._xrpc_page(method, **params)[0]

    def _xrpc_page(self, method: str, **params: Any) -> tuple[Any, requests.Response]:
        return self.http.get_json(
            f"{self.api_base}{XRPC}{method}", params=params, classify=self._classify
        )

    def _classify(self, response: requests.Response) -> ConnectorProblem | None:
        if response.status_code == 429:
            wait = self._reset(response)
            if wait is None:
                wait = parse_retry_after(response.headers.get("Retry-After"))
            return RetriableError("bluesky: RateLimitExceeded", retry_after=wait)
        if response.status_code not in (400, 401, 403, 404):
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        name, message = str(body.get("error", "")), str(body.get("message", ""))
        reason = _ACTOR_ERRORS.get(message) or _ACTOR_ERRORS.get(name)
        if reason is None and response.status_code == 401:
            reason = "auth"
        if reason is None:
            return None
        return SkippableError(f"bluesky: {name}: {message}".rstrip(": "), reason=reason)

    def _reset(self, response: requests.Response) -> float | None:
        value = response.headers.get("ratelimit-reset", "").strip()
        if not value.isdigit():
            return None
        reset = datetime.fromtimestamp(int(value), tz=UTC)
        return max(0.0, (reset - self.clock.now()).total_seconds())


def _entry_key(entry: dict[str, Any]) -> str | None:
    """A feed entry's identity: the post, or the repost of it (a post and its repost are two)."""
    uri = (entry.get("post") or {}).get("uri")
    if not uri:
        return None
    reason = entry.get("reason") or {}
    return f"{reason.get('$type')}:{reason.get('uri') or ''}:{uri}" if reason else str(uri)


def _sort_time(entry: dict[str, Any]) -> datetime:
    """When the entry entered the author's feed: the repost time for reposts, else the earlier of
    createdAt and indexedAt (the AppView's sortAt guards against future-dated createdAt)."""
    reason = entry.get("reason") or {}
    if reason.get("$type") == _REPOST and parse_time(reason.get("indexedAt")):
        return parse_time(reason.get("indexedAt"))  # type: ignore[return-value]
    post = entry.get("post") or {}
    times = [
        t
        for t in (
            parse_time((post.get("record") or {}).get("createdAt")),
            parse_time(post.get("indexedAt")),
        )
        if t is not None
    ]
    return min(times) if times else datetime.min.replace(tzinfo=UTC)


def _walk_replies(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Every readable reply below a threadViewPost (notFound/blocked entries are skipped)."""
    found = []
    for reply in node.get("replies") or []:
        if reply.get("$type", "app.bsky.feed.defs#threadViewPost").endswith("#threadViewPost"):
            found.append(reply["post"])
            found += _walk_replies(reply)
    return found
