"""YouTube channels through the Data API v3 with an API key.

The locator is the channel id (`UC…`; a `@handle` also works). One `channels` call gives the
profile and the uploads playlist; `playlistItems` then pages through the uploads with
`nextPageToken`. Uploads playlists list the newest video first, so paging stops at the first page
that reaches back past the window's `since`. Comments are not read: a district audit would spend
most of the 10,000-unit daily quota on commentThreads (docs/platforms/youtube.md).

Quota: `quotaExceeded` is final for the day (quota resets at midnight Pacific), so it is never
retried; the account becomes a coverage gap with reason "quota".
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

import requests

from connectors.base import Connector, FetchResult, FetchWindow, Item, MediaRef
from connectors.errors import RetriableError, SkippableError
from connectors.http import ConnectorProblem
from connectors.paging import Cursor, PageRequest, Walk, dig, high_water_cursor, walk
from connectors.timeparse import parse_utc

# Reasons from the YouTube Data API "Errors" reference (errors[].reason).
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
AUTH_REASONS = {"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked"}
NOT_FOUND_REASONS = {"playlistNotFound", "channelNotFound", "notFound"}
# With an API key a channel's private or deleted uploads still appear, as placeholders.
PLACEHOLDER_TITLES = {"Private video", "Deleted video"}


def classify(response: requests.Response) -> ConnectorProblem | None:
    if response.status_code < 400:
        return None
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    reasons = {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
    message = f"YouTube API error {response.status_code}: {error.get('message', '')}"
    if reasons & QUOTA_REASONS:
        return SkippableError(message, reason="quota")
    if reasons & THROTTLE_REASONS:
        return RetriableError(message)
    if reasons & AUTH_REASONS or "API key" in str(error.get("message")):
        return SkippableError(message, reason="auth")
    if reasons & NOT_FOUND_REASONS:
        return SkippableError(message, reason="not_found")
    return None


class YouTubeConnector(Connector):
    platform: ClassVar[str] = "youtube"
    default_api_base: ClassVar[str | None] = "https://www.googleapis.com/youtube/v3"
    media_hosts: ClassVar[tuple[str, ...]] = ("i.ytimg.com", "yt3.ggpht.com")
    token_help: ClassVar[str] = "YouTube Data API v3 key from the Google Cloud console"

    def fetch(self, window: FetchWindow) -> FetchResult:
        channel = self._channel()
        uploads = dig(channel, "contentDetails", "relatedPlaylists", "uploads")
        if not isinstance(uploads, str) or not uploads:
            raise SkippableError(
                f"channel {self.account.locator} has no uploads playlist", reason="malformed"
            )
        videos, listing = self._uploads(uploads, window.since)
        complete = listing.complete
        return FetchResult(
            items=[_profile(channel), *videos],
            cursor=high_water_cursor(window, [v.published_at for v in videos], complete),
            complete_since=window.since if complete else None,
            notes=listing.notes,
            complete_how="youtube: the channel's uploads playlist, newest first, read back to the "
            "window's start"
            if complete
            else None,
            cut_short=listing.cut_short,
        )

    def _get(self, resource: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_page(resource, params)[0]

    def _get_page(
        self, resource: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any], requests.Response]:
        # Google APIs take the key in the X-Goog-Api-Key header ("Using API keys", Google Cloud
        # docs), which keeps it out of every URL; the HttpClient would redact `key=` anyway.
        body, response = self.http.get_json(
            f"{self.api_base}/{resource}",
            params=params,
            headers={"X-Goog-Api-Key": self.token()},
            classify=classify,
        )
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise SkippableError(f"malformed YouTube {resource} response", reason="malformed")
        return body, response

    def _channel(self) -> dict[str, Any]:
        locator = self.account.locator
        selector = {"forHandle": locator} if locator.startswith("@") else {"id": locator}
        body = self._get(
            "channels", {"part": "snippet,contentDetails,brandingSettings", **selector}
        )
        items = body.get("items") or []
        if not items or not isinstance(items[0], dict):
            raise SkippableError(f"YouTube channel {locator} not found", reason="not_found")
        return dict(items[0])

    def _uploads(self, playlist: str, since: datetime) -> tuple[list[Item], Walk[Item]]:
        """The uploads, newest first, until one is older than `since`. A video uploaded while we
        page pushes every later page down by one, so a page may repeat the previous page's last
        video: the walk drops the repeat (it must never reach the store twice)."""
        notes: list[str] = []

        def fetch(request: PageRequest) -> tuple[Any, requests.Response]:
            return self._get_page("playlistItems", request.params or {})

        def rows(body: Any) -> list[Item]:
            found = (_video(row, notes) for row in body.get("items") or [])
            return [v for v in found if v is not None and v.published_at is not None]

        first = PageRequest(
            f"{self.api_base}/playlistItems",
            {
                "part": "snippet,contentDetails,status",
                "playlistId": playlist,
                "maxResults": min(self.settings.page_size, 50),
            },
        )
        uploads = walk(
            fetch,
            first,
            Cursor("nextPageToken", param="pageToken"),
            rows=rows,
            key=lambda v: v.native_id,
            label="playlistItems",
            # uploads run newest first: an older one means the rest is older still
            past=lambda v: v.published_at is not None and v.published_at < since,
            max_pages=self.settings.max_pages,
            max_items=self.settings.max_items,
        )
        uploads.notes[:0] = notes
        return uploads.items, uploads


def _profile(channel: dict[str, Any]) -> Item:
    snippet = channel.get("snippet") or {}
    media = []
    avatar = _largest(snippet.get("thumbnails"))
    if avatar:
        media.append(MediaRef(avatar, role="avatar"))
    banner = dig(channel, "brandingSettings", "image", "bannerExternalUrl")
    if isinstance(banner, str):
        media.append(MediaRef(banner, role="banner"))
    return Item(
        native_id="profile",
        kind="profile",
        permalink=f"https://www.youtube.com/channel/{channel.get('id', '')}",
        published_at=None,
        text=snippet.get("description") or "",
        title=snippet.get("title"),
        media=media,
        extra={
            "display_name": snippet.get("title"),
            "website": None,
            "emails": [],
            "links": [],
            "custom_url": snippet.get("customUrl"),
            "channel_id": channel.get("id"),
        },
        raw=channel,
    )


def _video(row: dict[str, Any], notes: list[str]) -> Item | None:
    snippet = row.get("snippet") if isinstance(row, dict) else None
    video_id = dig(snippet, "resourceId", "videoId")
    if not isinstance(snippet, dict) or not isinstance(video_id, str):
        notes.append("playlistItems: skipped an entry without a video id")
        return None
    privacy = dig(row, "status", "privacyStatus")
    if snippet.get("title") in PLACEHOLDER_TITLES or privacy == "private":
        notes.append(f"video {video_id}: skipped ({snippet.get('title') or privacy} placeholder)")
        return None
    title = snippet.get("title") or ""
    published = parse_utc(dig(row, "contentDetails", "videoPublishedAt")) or parse_utc(
        snippet.get("publishedAt")
    )
    thumbnail = _largest(snippet.get("thumbnails"))
    return Item(
        native_id=video_id,
        kind="post",
        permalink=f"https://www.youtube.com/watch?v={video_id}",
        published_at=published,
        text="\n\n".join(p for p in (title, snippet.get("description")) if p),
        title=title,
        author=snippet.get("videoOwnerChannelTitle") or snippet.get("channelTitle"),
        media=[MediaRef(thumbnail, role="video_thumbnail")] if thumbnail else [],
        extra={"playlist_item_id": row.get("id"), "privacy": privacy},
        raw=row,
    )


def _largest(thumbnails: Any) -> str | None:
    """The widest of `thumbnails.{default,medium,high,standard,maxres}` (not all are present)."""
    if not isinstance(thumbnails, dict):
        return None
    sizes = [
        t for t in thumbnails.values() if isinstance(t, dict) and isinstance(t.get("url"), str)
    ]
    if not sizes:
        return None
    return str(max(sizes, key=lambda t: t.get("width") or 0)["url"])
