"""Facebook Pages through the Graph API: the page profile, its posts and the comments under them.

Sponsored pages are read from `/{page}/feed` (the page's posts and what visitors posted there,
which the page's responsible employee answers for) with every comment and reply; employee pages
from `/{page}/posts` with only the page's own replies. Needs a page access token with
`pages_read_engagement` and `pages_read_user_content` (docs/platforms/facebook.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from connectors.base import (
    Connector,
    FetchResult,
    FetchWindow,
    Item,
    ItemKind,
    MediaRef,
    MediaRole,
)
from connectors.graph import GraphApi, parse_time
from connectors.paging import dig, high_water_cursor

PROFILE_FIELDS = "id,name,about,emails,website,link,username,picture.type(large)"
# comments.summary gives each post's comment count, so posts without comments cost no request.
POST_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,full_picture,status_type,from,"
    "attachments{type,media_type,media,url,unshimmed_url,target,title,description,"
    "subattachments},comments.filter(stream).limit(0).summary(true)"
)
# filter=stream returns replies too, flat and chronological, each with its `parent` (Graph API
# Comments edge reference); the default `toplevel` would hide replies.
COMMENT_FIELDS = "id,message,created_time,from,permalink_url,parent{id},attachment"


class FacebookConnector(Connector):
    platform: ClassVar[str] = "facebook"
    default_api_base: ClassVar[str | None] = "https://graph.facebook.com/v19.0"
    # Page images come from scontent-<pop>.xx.fbcdn.net, the POP varying by region: a leading dot
    # allows any subdomain of Meta's CDN (see HttpClient.check_host).
    media_hosts: ClassVar[tuple[str, ...]] = (".fbcdn.net",)
    token_help: ClassVar[str] = "page access token (pages_read_engagement, pages_read_user_content)"

    def fetch(self, window: FetchWindow) -> FetchResult:
        graph = GraphApi(self.http, self.api_base, self.token())
        profile_body = graph.get(self.account.locator, {"fields": PROFILE_FIELDS})
        profile = self._profile(profile_body)
        page_id = str(profile_body.get("id") or self.account.locator)
        edge = "feed" if self.account.kind == "sponsored" else "posts"
        params = {
            "fields": POST_FIELDS,
            "limit": min(self.settings.page_size, 100),
            "since": int(window.since.timestamp()),
        }
        walk = graph.walk(
            f"{self.account.locator}/{edge}",
            params,
            since=window.since,
            time_field="created_time",
            max_pages=self.settings.max_pages,
            max_items=self.settings.max_items,
        )
        posts = [self._post(row) for row in walk.items]
        notes = list(walk.notes)
        comments: list[Item] = []
        for post, row in zip(posts, walk.items, strict=True):
            comments += self._comments(graph, post, row, page_id, notes)
        return FetchResult(
            items=[profile, *posts, *comments],
            cursor=high_water_cursor(window, [p.published_at for p in posts], walk.complete),
            complete_since=window.since if walk.complete else None,
            notes=notes,
            complete_how=f"{self.platform}: the Graph API edge listed newest first and walked to "
            "the window's start"
            if walk.complete
            else None,
            cut_short=walk.cut_short,
        )

    # -- mapping ------------------------------------------------------------------------------
    def _profile(self, body: dict[str, Any]) -> Item:
        picture = body.get("picture")
        avatar = dig(picture, "data", "url")
        website = body.get("website") or None
        emails = [e for e in body.get("emails") or [] if isinstance(e, str)]
        return Item(
            native_id="profile",
            kind="profile",
            permalink=body.get("link") or f"https://www.facebook.com/{body.get('id', '')}",
            published_at=None,
            text=body.get("about") or "",
            title=body.get("name"),
            media=[MediaRef(avatar, role="avatar")] if isinstance(avatar, str) else [],
            extra={
                "display_name": body.get("name"),
                "website": website,
                "emails": emails,
                # `website` may hold several URLs separated by spaces (Page reference).
                "links": website.split() if isinstance(website, str) else [],
                "username": body.get("username"),
                "page_id": body.get("id"),
            },
            raw=body,
        )

    def _post(self, row: dict[str, Any]) -> Item:
        author = row.get("from")
        return Item(
            native_id=str(row["id"]),
            kind=post_kind(row),
            permalink=row.get("permalink_url") or _fallback_permalink(str(row["id"])),
            published_at=parse_time(row.get("created_time")),
            text=post_text(row),
            author=author.get("name") if isinstance(author, dict) else None,
            media=post_media(row),
            extra={
                "links": _shared_links(row),
                "status_type": row.get("status_type"),
                "author_id": author.get("id") if isinstance(author, dict) else None,
            },
            raw=row,
        )

    def _comments(
        self, graph: GraphApi, post: Item, row: dict[str, Any], page_id: str, notes: list[str]
    ) -> list[Item]:
        count = dig(row.get("comments"), "summary", "total_count")
        if count == 0:
            return []
        rows = graph.walk_children(
            f"{post.native_id}/comments",
            {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "limit": min(self.settings.page_size, 100),
            },
            notes,
            self.settings.max_pages,
        )
        items = []
        for comment in rows:
            author_id = dig(comment, "from", "id")
            if self.account.kind == "employee" and str(author_id) != page_id:
                continue  # employee accounts: only the employee's own replies are in scope
            items.append(_comment(comment, post))
        return items


def _comment(row: dict[str, Any], post: Item) -> Item:
    parent = dig(row, "parent", "id")
    image = dig(row, "attachment", "media", "image", "src")
    return Item(
        native_id=str(row["id"]),
        kind="comment",
        permalink=row.get("permalink_url") or post.permalink,
        published_at=parse_time(row.get("created_time")),
        text=row.get("message") or "",
        author=dig(row, "from", "name"),
        media=[MediaRef(image)] if isinstance(image, str) else [],
        parent_native_id=str(parent) if parent else post.native_id,
        extra={"post_id": post.native_id, "author_id": dig(row, "from", "id")},
        raw=row,
    )


def post_kind(row: dict[str, Any]) -> ItemKind:
    """`share` for a re-share (Graph `status_type` shared_story), as Mastodon boosts and Bluesky
    reposts are: the checks treat re-published content apart from the page's own."""
    return "share" if row.get("status_type") == "shared_story" else "post"


def post_text(row: dict[str, Any]) -> str:
    """The post's words; a share adds what it re-publishes (the shared item's title and text, as
    the post displays them), since `message` holds only the sharer's own words."""
    message = str(row.get("message") or "")
    if post_kind(row) != "share":
        return message
    parts = [message]
    for attachment in dig(row, "attachments", "data") or []:
        for key in ("title", "description"):
            value = attachment.get(key) if isinstance(attachment, dict) else None
            if isinstance(value, str) and value.strip() and value.strip() not in "\n".join(parts):
                parts.append(value.strip())
    return "\n\n".join(p for p in parts if p)


def post_media(row: dict[str, Any]) -> list[MediaRef]:
    """Every image of a post: each album photo, a video's thumbnail, else `full_picture`.

    A photo attachment's `description` is that photo's own words (what Graph returns for the
    photo's caption; the Page's alt-text field is not on attachments), kept as the image's alt so
    the image checks read it as they read alt text elsewhere. A share's description is the shared
    item's text, already in the post's text, so it is not repeated."""
    refs: list[MediaRef] = []
    shared = post_kind(row) == "share"
    for attachment in dig(row, "attachments", "data") or []:
        subs = dig(attachment, "subattachments", "data")
        for part in subs if isinstance(subs, list) and subs else [attachment]:
            src = dig(part, "media", "image", "src")
            if isinstance(src, str):
                video = (
                    str(part.get("type", "")).startswith("video")
                    or part.get("media_type") == "video"
                )
                words = part.get("description")
                own = isinstance(words, str) and not shared and part.get("type") != "share"
                alt = words.strip() if own and isinstance(words, str) else ""
                role: MediaRole = "video_thumbnail" if video else "image"
                refs.append(MediaRef(src, role=role, alt=alt or None))
    if not refs and isinstance(row.get("full_picture"), str):
        refs.append(MediaRef(row["full_picture"]))
    unique: dict[str, MediaRef] = {}
    for ref in refs:
        unique.setdefault(ref.url, ref)
    return list(unique.values())


def _shared_links(row: dict[str, Any]) -> list[str]:
    links = []
    for attachment in dig(row, "attachments", "data") or []:
        if attachment.get("type") == "share":
            url = attachment.get("unshimmed_url") or attachment.get("url")
            if isinstance(url, str):
                links.append(url)
    return links


def _fallback_permalink(post_id: str) -> str:
    page, _, story = post_id.partition("_")
    return (
        f"https://www.facebook.com/{page}/posts/{story}"
        if story
        else f"https://www.facebook.com/{post_id}"
    )
