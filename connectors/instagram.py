"""Instagram professional accounts through the Instagram Graph API.

The locator is the IG user id (`1784…`) of a business or creator account linked to a Facebook
page; the token is a page/user access token with `instagram_basic` (and
`instagram_manage_comments` for comments). Carousels are expanded child by child; a video is
represented by its thumbnail. Copyright-flagged media may come without `media_url` or
`permalink` (IG Media reference), which is recorded rather than failing the account.
"""

from __future__ import annotations

from typing import Any, ClassVar

from connectors.base import Connector, FetchResult, FetchWindow, Item, MediaRef
from connectors.graph import GraphApi, parse_time
from connectors.paging import dig, high_water_cursor

PROFILE_FIELDS = "id,username,name,biography,website,profile_picture_url"
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,"
    "shortcode,timestamp,comments_count,"
    "children{id,media_type,media_url,thumbnail_url,permalink}"
)
# IG Comment reference: `replies` nests the replies to a top-level comment.
COMMENT_FIELDS = "id,text,timestamp,username,replies{id,text,timestamp,username}"


class InstagramConnector(Connector):
    platform: ClassVar[str] = "instagram"
    default_api_base: ClassVar[str | None] = "https://graph.facebook.com/v19.0"
    # The POP part of the CDN host (gmp1-1, nrt1-1) varies: allow any subdomain of both CDNs.
    media_hosts: ClassVar[tuple[str, ...]] = (".cdninstagram.com", ".fbcdn.net")
    token_help: ClassVar[str] = "access token with instagram_basic (+ instagram_manage_comments)"

    def fetch(self, window: FetchWindow) -> FetchResult:
        graph = GraphApi(self.http, self.api_base, self.token())
        profile_body = graph.get(self.account.locator, {"fields": PROFILE_FIELDS})
        username = str(profile_body.get("username") or "")
        # The IG User media edge pages newest first and accepts `since` (IG User Media reference).
        params = {
            "fields": MEDIA_FIELDS,
            "limit": min(self.settings.page_size, 100),
            "since": int(window.since.timestamp()),
        }
        walk = graph.walk(
            f"{self.account.locator}/media",
            params,
            since=window.since,
            time_field="timestamp",
            max_pages=self.settings.max_pages,
            max_items=self.settings.max_items,
        )
        notes = list(walk.notes)
        posts = [self._media(row, username, notes) for row in walk.items]
        comments: list[Item] = []
        for post, row in zip(posts, walk.items, strict=True):
            if row.get("comments_count") != 0:
                comments += self._comments(graph, post, username, notes)
        return FetchResult(
            items=[_profile(profile_body), *posts, *comments],
            cursor=high_water_cursor(window, [p.published_at for p in posts], walk.complete),
            complete_since=window.since if walk.complete else None,
            notes=notes,
            complete_how=f"{self.platform}: the Graph API edge listed newest first and walked to "
            "the window's start"
            if walk.complete
            else None,
            cut_short=walk.cut_short,
        )

    def _media(self, row: dict[str, Any], username: str, notes: list[str]) -> Item:
        media = media_refs(row)
        if not media:
            notes.append(f"media {row['id']}: no image URL given (copyright-flagged or removed)")
        permalink = row.get("permalink") or (
            f"https://www.instagram.com/p/{row['shortcode']}/" if row.get("shortcode") else None
        )
        if permalink is None:
            notes.append(f"media {row['id']}: no permalink given; linked to the profile instead")
        return Item(
            native_id=str(row["id"]),
            kind="post",
            permalink=permalink or f"https://www.instagram.com/{username}/",
            published_at=parse_time(row.get("timestamp")),
            text=row.get("caption") or "",
            author=username or None,
            media=media,
            extra={
                "media_type": row.get("media_type"),
                "media_product_type": row.get("media_product_type"),
            },
            raw=row,
        )

    def _comments(self, graph: GraphApi, post: Item, username: str, notes: list[str]) -> list[Item]:
        rows = graph.walk_children(
            f"{post.native_id}/comments",
            {"fields": COMMENT_FIELDS, "limit": min(self.settings.page_size, 50)},
            notes,
            self.settings.max_pages,
        )
        items = []
        for row in rows:
            items.append(_comment(row, post, post.native_id))
            for reply in dig(row, "replies", "data") or []:
                if isinstance(reply, dict) and reply.get("id"):
                    items.append(_comment(reply, post, str(row["id"])))
        if self.account.kind == "employee":
            # Employee accounts: only the employee's own replies are in scope.
            items = [i for i in items if i.author == username]
        return items


def _profile(body: dict[str, Any]) -> Item:
    username = body.get("username") or ""
    avatar = body.get("profile_picture_url")
    website = body.get("website") or None
    return Item(
        native_id="profile",
        kind="profile",
        permalink=f"https://www.instagram.com/{username}/",
        published_at=None,
        text=body.get("biography") or "",
        title=body.get("name") or username,
        media=[MediaRef(avatar, role="avatar")] if isinstance(avatar, str) else [],
        extra={
            "display_name": body.get("name") or username,
            "website": website,
            "emails": [],
            "links": [website] if isinstance(website, str) else [],
            "username": username,
            "ig_user_id": body.get("id"),
        },
        raw=body,
    )


def _comment(row: dict[str, Any], post: Item, parent: str) -> Item:
    # IG comments have no permalink of their own; they are shown on the media's page.
    return Item(
        native_id=str(row["id"]),
        kind="comment",
        permalink=post.permalink,
        published_at=parse_time(row.get("timestamp")),
        text=row.get("text") or "",
        author=row.get("username"),
        parent_native_id=parent,
        extra={"post_id": post.native_id},
        raw=row,
    )


def media_refs(row: dict[str, Any]) -> list[MediaRef]:
    """Images of one media object: every carousel child, a video's thumbnail, else media_url."""
    children = dig(row, "children", "data")
    parts = children if row.get("media_type") == "CAROUSEL_ALBUM" and children else [row]
    refs: list[MediaRef] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        if part.get("media_type") == "VIDEO":
            # media_url of a VIDEO is the .mp4; the still image is thumbnail_url.
            if isinstance(part.get("thumbnail_url"), str):
                refs.append(MediaRef(part["thumbnail_url"], role="video_thumbnail"))
        elif isinstance(part.get("media_url"), str):
            refs.append(MediaRef(part["media_url"]))
    return refs
