"""WordPress blogs through the REST API: site info as the profile, posts with embedded author and
featured media, and, for sponsored accounts, the comments under each post.

API: https://developer.wordpress.org/rest-api/reference/posts/ and .../comments/, pagination in
https://developer.wordpress.org/rest-api/using-the-rest-api/pagination/. Pages are numbered;
`X-WP-TotalPages` gives the count, and asking past the end is HTTP 400
`rest_post_invalid_page_number` (WP_REST_Posts_Controller), which is the end, not a failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.base import Connector, FetchResult, FetchWindow, Item, MediaRef
from connectors.errors import SkippableError
from connectors.html import embed_links, html_to_text, img_refs, inline_text
from connectors.http import ConnectorProblem
from connectors.paging import PageNumber, PageRequest, Walk, walk
from connectors.timeparse import parse_utc
from hallmonitor.config import Account

PAGE_SIZE = 100  # per_page's documented maximum
_END_OF_PAGES = {"rest_post_invalid_page_number", "rest_comment_invalid_page_number"}
_COMMENT_GAPS = {"auth", "forbidden", "not_found", "http_error"}


def site_url(account: Account) -> str:
    """`api_base`, else the locator; a bare host name (`blog.school.org`) means https."""
    value = (account.api_base or account.locator).strip().rstrip("/")
    return value if value.startswith(("http://", "https://")) else f"https://{value}"


def parse_gmt(value: str | None) -> datetime | None:
    """`date_gmt`/`modified_gmt` are UTC written without an offset ("2016-10-25T18:25:24")."""
    if not value or value.startswith("0000"):  # drafts carry 0000-00-00T00:00:00
        return None
    return parse_utc(value)


def iso_z(when: datetime) -> str:
    """The form `after`/`modified_after` accept (RFC 3339); WordPress converts it to site time."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def featured_media(post: dict[str, Any]) -> tuple[list[MediaRef], list[str]]:
    """`_embedded["wp:featuredmedia"][0]`: a media object, or an error object when the caller may
    not read it (then there is nothing to download, and we say so)."""
    embedded = (post.get("_embedded") or {}).get("wp:featuredmedia") or []
    if not embedded:
        return [], []
    media = embedded[0]
    if "code" in media or not media.get("source_url"):
        return [], [
            f"wordpress: post {post.get('id')}: featured media unavailable "
            f"({media.get('code', 'no source_url')})"
        ]
    return [MediaRef(media["source_url"], "image", media.get("alt_text") or None)], []


class WordPressConnector(Connector):
    platform = "wordpress"
    # Jetpack's image CDN; sites on their own host are covered by the API host.
    # Jetpack's image CDN (i0/i1/i2.wp.com) and WordPress.com uploads (<site>.files.wordpress.com).
    media_hosts = (".wp.com", ".files.wordpress.com")
    token_help = ""

    @property
    def api_base(self) -> str:
        return site_url(self.account)

    @classmethod
    def api_hosts(cls, account: Account) -> set[str]:
        return {urlsplit(site_url(account)).netloc.lower()}

    def fetch(self, window: FetchWindow) -> FetchResult:
        items = [self.profile_item(self._get_json(f"{self.api_base}/wp-json/"))]
        listing = self._posts(window)
        posts, complete, notes = listing.items, listing.complete, list(listing.notes)
        for post in posts:
            item, post_notes = self.post_item(post)
            items.append(item)
            notes += post_notes
        if self.account.kind == "sponsored":
            for post in posts:
                items += self._comments(post, notes)
        newest = max((t for p in posts if (t := parse_gmt(p.get("date_gmt")))), default=None)
        cursor = dict(window.cursor)
        stored = parse_gmt(window.cursor.get("newest_gmt"))
        if complete and newest is not None and (stored is None or newest > stored):
            cursor["newest_gmt"] = iso_z(newest)
        since = window.since if complete and not self._incremental(window) else None
        how = "wordpress: the REST API's posts filtered by date, every page read"
        return FetchResult(
            items=items,
            cursor=cursor,
            complete_since=since,
            notes=notes,
            complete_how=how if since else None,
            cut_short=listing.cut_short,
        )

    def _incremental(self, window: FetchWindow) -> bool:
        return bool(window.cursor.get("newest_gmt")) and not window.full_rescan

    def _filter(self, window: FetchWindow) -> dict[str, str]:
        """Incremental nights: posts published after the stored newest. A full re-scan asks for
        everything modified since window.since (a superset of what was published since), which
        also brings back older posts edited since. The first night: published since."""
        if self._incremental(window):
            return {"after": window.cursor["newest_gmt"]}
        if window.full_rescan:
            return {"modified_after": iso_z(window.since)}
        return {"after": iso_z(window.since)}

    def _posts(self, window: FetchWindow) -> Walk[dict[str, Any]]:
        listing = self._pages(
            f"{self.api_base}/wp-json/wp/v2/posts",
            {"_embed": 1, "per_page": PAGE_SIZE, **self._filter(window)},
        )
        # Caching plugins (and WordPress before 5.7 for modified_after) may ignore the filter:
        # keep the window honest on our side too.
        column = "modified_gmt" if window.full_rescan else "date_gmt"
        listing.items = [
            p for p in listing.items if (parse_gmt(p.get(column)) or window.since) >= window.since
        ]
        return listing

    def _pages(
        self, url: str, params: dict[str, Any], label: str = "wordpress: posts"
    ) -> Walk[dict[str, Any]]:
        """All pages of a collection: until X-WP-TotalPages, an empty page or the end error.
        A post published while we page shifts the pages by one: the walk drops the repeat."""

        def fetch(request: PageRequest) -> tuple[Any, requests.Response]:
            body, response = self.http.get_json(
                request.url, params=request.params, classify=_classify, ok_statuses=(200, 400)
            )
            if response.status_code == 400:
                if isinstance(body, dict) and body.get("code") in _END_OF_PAGES:
                    return [], response  # asked past the last page: the end, not a failure
                raise SkippableError(f"wordpress: HTTP 400: {_message(body)}", reason="http_error")
            return body, response

        def rows(body: Any) -> list[dict[str, Any]]:
            if not isinstance(body, list) or not all(
                isinstance(p, dict) and "id" in p for p in body
            ):
                raise SkippableError("wordpress: collection page is not a list", reason="malformed")
            return body

        return walk(
            fetch,
            PageRequest(url, {**params, "page": 1}),
            PageNumber("page", total_header="X-WP-TotalPages"),
            rows=rows,
            key=lambda p: str(p["id"]),
            label=label,
            max_pages=self.settings.max_pages,
            max_items=self.settings.max_items,
        )

    def _comments(self, post: dict[str, Any], notes: list[str]) -> list[Item]:
        try:
            listing = self._pages(
                f"{self.api_base}/wp-json/wp/v2/comments",
                {"post": post["id"], "per_page": PAGE_SIZE},
                label=f"wordpress: comments on {post['id']}",
            )
            comments, more = listing.items, listing.notes
        except SkippableError as exc:
            # e.g. 401 rest_cannot_read_post on a password-protected post: only its comments lost.
            if exc.reason not in _COMMENT_GAPS:
                raise
            notes.append(f"wordpress: comments on post {post['id']} not read: {exc}")
            return []
        notes += more
        return [self.comment_item(c, post) for c in comments]

    # -- mapping ----------------------------------------------------------------------------
    def profile_item(self, site: Any) -> Item:
        if not isinstance(site, dict) or "name" not in site:
            raise SkippableError("wordpress: /wp-json is not a REST API index", reason="malformed")
        home = site.get("home") or site.get("url") or self.api_base
        icon = site.get("site_icon_url")  # WordPress 5.9+ lists the site icon in the index
        description = inline_text(site.get("description"))  # the tagline carries entities
        return Item(
            native_id="profile",
            kind="profile",
            permalink=home,
            published_at=None,
            text=description,
            author=None,
            raw=site,
            media=[MediaRef(icon, "avatar")] if icon else [],
            extra={
                "display_name": inline_text(site.get("name")),
                "website": home,
                "emails": [],
                "links": [home],
            },
        )

    def post_item(self, post: dict[str, Any]) -> tuple[Item, list[str]]:
        html = (post.get("content") or {}).get("rendered") or ""
        media, notes = featured_media(post)
        link = post.get("link") or (post.get("guid") or {}).get("rendered") or self.api_base
        for ref in img_refs(html, link) if html else []:
            if ref.url not in {m.url for m in media}:
                media.append(ref)
        # An embedded video (<iframe> from YouTube, Vimeo...) has no <img>: keep where it plays.
        embeds = embed_links(html, link) if html else []
        published = parse_gmt(post.get("date_gmt"))
        modified = parse_gmt(post.get("modified_gmt"))
        authors = (post.get("_embedded") or {}).get("author") or [{}]
        return Item(
            native_id=str(post["id"]),
            kind="post",
            permalink=link,
            published_at=published,
            title=inline_text((post.get("title") or {}).get("rendered")) or None,
            text=html_to_text(html),
            author=authors[0].get("name"),
            html=html or None,
            media=media,
            edited_at=modified if modified and published and modified > published else None,
            extra={
                "excerpt": html_to_text((post.get("excerpt") or {}).get("rendered")),
                "links": embeds,
            },
            raw=post,
        ), notes

    def comment_item(self, comment: dict[str, Any], post: dict[str, Any]) -> Item:
        # Comment and post ids are separate sequences: prefix so native ids stay unique.
        parent = comment.get("parent")
        html = (comment.get("content") or {}).get("rendered") or ""
        return Item(
            native_id=f"comment-{comment['id']}",
            kind="comment",
            permalink=comment.get("link") or post.get("link") or self.api_base,
            published_at=parse_gmt(comment.get("date_gmt")),
            text=html_to_text(html),
            author=comment.get("author_name"),
            html=html or None,
            parent_native_id=f"comment-{parent}" if parent else str(post["id"]),
            raw=comment,
        )

    # -- HTTP -------------------------------------------------------------------------------
    def _get_json(self, url: str) -> Any:
        body, _ = self.http.get_json(url, classify=_classify)
        return body


def _classify(response: requests.Response) -> ConnectorProblem | None:
    """WordPress has no rate limiting of its own, but hosts and WAFs answer 403/429. A 403 from a
    firewall challenge is not a token problem: say so."""
    if response.status_code == 403 and (
        response.headers.get("cf-mitigated")
        or "json" not in response.headers.get("Content-Type", "")
    ):
        return SkippableError(
            "wordpress: blocked by the site's firewall (HTTP 403)", reason="forbidden"
        )
    return None


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return f"{body.get('code', '')} {body.get('message', '')}".strip()
    return "unexpected body"
