"""Mastodon: one account's profile, statuses (boosts as shares) and, for sponsored accounts, the
replies under each status.

API: https://docs.joinmastodon.org/methods/accounts/ (lookup, statuses),
https://docs.joinmastodon.org/methods/statuses/#context, https://docs.joinmastodon.org/api/rate-limits/.
Statuses come newest first; older pages are reached through the `Link: <...max_id=...>; rel="next"`
header, and a page that is not full carries no `next` link. IDs are opaque strings: we pass them
back verbatim and never compare them as numbers.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests
from bs4 import BeautifulSoup

from connectors.base import Connector, FetchResult, FetchWindow, Item, ItemKind, MediaRef
from connectors.errors import RetriableError, SkippableError
from connectors.html import html_to_text, merge_media
from connectors.http import ConnectorProblem, parse_retry_after
from connectors.paging import LinkHeader, PageRequest, Walk, walk
from connectors.timeparse import parse_utc
from hallmonitor.config import Account

PAGE_LIMIT = 40  # the documented maximum for accounts/:id/statuses
# A reply thread that cannot be read (status deleted meanwhile, hidden) costs only that thread.
_THREAD_GAPS = {"not_found", "gone", "forbidden", "http_error"}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_WEBSITE_LABELS = ("website", "web", "homepage", "home page", "site", "blog", "url")


def parse_locator(locator: str) -> tuple[str, str | None]:
    """`@user@host`, `user@host`, `https://host/@user` or `user` -> (user, host or None)."""
    value = locator.strip()
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        path = parts.path.strip("/")
        if not path.startswith("@") or "/" in path:
            raise SkippableError(f"not a Mastodon profile URL: {locator}", reason="bad_locator")
        return path[1:], parts.netloc.lower()
    user, _, host = value.lstrip("@").partition("@")
    if not user:
        raise SkippableError(f"not a Mastodon account: {locator}", reason="bad_locator")
    return user, host.lower() or None


parse_time = parse_utc  # Mastodon writes `2019-12-08T03:48:33.901Z`; X-RateLimit-Reset likewise


def links_in(html: str | None) -> list[str]:
    """External links in an HTML fragment; hashtag and @mention links are not websites."""
    if not html:
        return []
    soup = BeautifulSoup(html, "html.parser")
    found: list[str] = []
    for anchor in soup.find_all("a", href=True):
        classes = anchor.get_attribute_list("class")
        if "mention" in classes or "hashtag" in classes:
            continue
        href = str(anchor["href"])
        if href.startswith(("http://", "https://")):
            found.append(href)
    return found


class MastodonConnector(Connector):
    platform = "mastodon"
    # files.mastodon.social serves mastodon.social's media; other instances serve media from their
    # own host (always allowed as the API host) or a CDN listed in the account's media_hosts.
    media_hosts = ("files.mastodon.social",)
    token_help = "optional; an access token with read:statuses read:accounts scope"
    _pause: float = 0.0  # seconds to wait before the next request (budget spent)

    # -- account and hosts ------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        if self.account.api_base:
            return self.account.api_base.rstrip("/")
        _, host = parse_locator(self.account.locator)
        if not host:
            raise SkippableError(
                f"mastodon: {self.account.locator!r} names no instance; set api_base",
                reason="bad_locator",
            )
        return f"https://{host}"

    @classmethod
    def api_hosts(cls, account: Account) -> set[str]:
        hosts = super().api_hosts(account)
        if not account.api_base:
            try:
                _, host = parse_locator(account.locator)
            except SkippableError:
                return hosts  # fetch() reports the bad locator as this account's gap
            if host:
                hosts.add(host)
        return hosts

    def acct(self) -> str:
        """The `acct` to look up: bare user on its own instance, user@host for a remote one."""
        user, host = parse_locator(self.account.locator)
        if host is None or host == urlsplit(self.api_base).netloc.lower():
            return user
        return f"{user}@{host}"

    def _headers(self) -> dict[str, str]:
        # The token is optional: public timelines need none unless the server demands auth.
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    # -- fetch ------------------------------------------------------------------------------
    def fetch(self, window: FetchWindow) -> FetchResult:
        account = self._get(f"{self.api_base}/api/v1/accounts/lookup", {"acct": self.acct()})
        if not isinstance(account, dict) or "id" not in account:
            raise SkippableError("mastodon: account lookup returned no account", reason="malformed")
        items = [self.profile_item(account)]
        listing = self._statuses(str(account["id"]), window)
        statuses, complete, notes = listing.items, listing.complete, listing.notes
        items += [self.status_item(s) for s in statuses]
        if self.account.kind == "sponsored":
            items += self._replies(statuses, {i.native_id for i in items}, notes)
        newest = str(statuses[0]["id"]) if statuses else window.cursor.get("newest_id")
        if not complete:
            newest = window.cursor.get("newest_id")  # a gap remains: ask from the old mark again
        cursor = {"account_id": str(account["id"])}
        if newest:
            cursor["newest_id"] = newest
        since = window.since if complete and not self._incremental(window) else None
        how = "mastodon: the account's statuses, newest first, read back to the window's start"
        return FetchResult(
            items=items,
            cursor=cursor,
            complete_since=since,
            notes=notes,
            complete_how=how if since else None,
            cut_short=listing.cut_short,
        )

    def _incremental(self, window: FetchWindow) -> bool:
        return bool(window.cursor.get("newest_id")) and not window.full_rescan

    def _statuses(self, account_id: str, window: FetchWindow) -> Walk[dict[str, Any]]:
        """Walk the timeline back to the stored newest id (incremental nights) or past
        window.since, following the `Link: rel="next"` header."""
        stop_id = window.cursor.get("newest_id") if self._incremental(window) else None
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if stop_id:
            params["since_id"] = stop_id

        def past(status: dict[str, Any]) -> bool:
            if stop_id and str(status.get("id")) == stop_id:
                return True
            return (parse_time(status.get("created_at")) or window.since) < window.since

        first = PageRequest(f"{self.api_base}/api/v1/accounts/{account_id}/statuses", params)
        return walk(
            lambda r: self._get_page(r.url, r.params),
            first,
            LinkHeader(),
            rows=lambda body: body,
            key=lambda s: str(s["id"]),
            past=past,
            label="mastodon: statuses",
            max_pages=self.settings.max_pages,
            max_items=self.settings.max_items,
            sorted_strictly=True,
        )

    def _replies(
        self, statuses: list[dict[str, Any]], seen: set[str], notes: list[str]
    ) -> list[Item]:
        """Replies under the account's own statuses (the status context's descendants)."""
        found: list[Item] = []
        for status in statuses:
            # replies_count == 0: the instance knows of no reply, the context call would be empty.
            if status.get("reblog") or not status.get("replies_count"):
                continue
            try:
                context = self._get(f"{self.api_base}/api/v1/statuses/{status['id']}/context")
            except SkippableError as exc:
                if exc.reason not in _THREAD_GAPS:
                    raise
                notes.append(f"mastodon: replies to {status['id']} not read: {exc}")
                continue
            for reply in context.get("descendants", []) if isinstance(context, dict) else []:
                item = self.status_item(reply, kind="comment")
                if item.native_id not in seen:
                    seen.add(item.native_id)
                    found.append(item)
        return found

    # -- mapping ----------------------------------------------------------------------------
    def profile_item(self, account: dict[str, Any]) -> Item:
        fields = account.get("fields") or []
        field_html = [str(f.get("value") or "") for f in fields]
        links = links_in(account.get("note")) + [u for h in field_html for u in links_in(h)]
        website = next(
            (
                links_in(f.get("value"))[0]
                for f in fields
                if str(f.get("name", "")).strip().lower() in _WEBSITE_LABELS
                and links_in(f.get("value"))
            ),
            links[0] if links else None,
        )
        plain = [html_to_text(account.get("note"))] + [html_to_text(h) for h in field_html]
        emails = sorted({m for text in plain for m in _EMAIL.findall(text)})
        media = (
            [MediaRef(account["avatar"], "avatar", account.get("avatar_description") or None)]
            if account.get("avatar")
            else []
        )
        if account.get("header"):
            media.append(
                MediaRef(account["header"], "banner", account.get("header_description") or None)
            )
        return Item(
            native_id="profile",
            kind="profile",
            permalink=account.get("url") or account["uri"],
            published_at=None,
            text=plain[0],
            author=account.get("acct"),
            html=account.get("note"),
            media=media,
            raw=account,
            extra={
                "display_name": account.get("display_name") or "",
                "website": website,
                "emails": emails,
                "links": list(dict.fromkeys(links)),
                "fields": [
                    {"name": f.get("name"), "value": html_to_text(f.get("value"))} for f in fields
                ],
            },
        )

    def status_item(self, status: dict[str, Any], kind: ItemKind = "post") -> Item:
        original = status.get("reblog")
        source = original or status
        extra: dict[str, Any] = {
            "visibility": status.get("visibility"),
            "sensitive": bool(source.get("sensitive")),
        }
        if source.get("spoiler_text"):
            extra["spoiler_text"] = source["spoiler_text"]
        if original:
            kind = "share"
            extra["shared"] = {
                "native_id": str(original["id"]),
                "permalink": _permalink(original),
                "author": (original.get("account") or {}).get("acct"),
                "text": html_to_text(original.get("content")),
            }
        text = html_to_text(source.get("content"))
        if source.get("spoiler_text"):
            text = f"{source['spoiler_text']}\n\n{text}".strip()
        options = poll_options(source.get("poll"))
        if options:  # the options are words the post says, as much as its body
            text = "\n\n".join(p for p in (text, "\n".join(options)) if p)
            extra["poll"] = {
                "options": options,
                "multiple": bool(source["poll"].get("multiple")),
                "expires_at": source["poll"].get("expires_at"),
            }
        quoted = quoted_status(source.get("quote"))
        if quoted:
            extra["quoted"] = quoted
        parent = status.get("in_reply_to_id")
        return Item(
            native_id=str(status["id"]),
            kind=kind,
            permalink=_permalink(status),
            published_at=parse_time(status.get("created_at")),
            text=text,
            author=(status.get("account") or {}).get("acct"),
            html=source.get("content") or None,
            # A quote shows the quoted status's images to this account's readers: its media too.
            media=merge_media(
                media_refs(source.get("media_attachments") or [])
                + media_refs(quoted_attachments(source.get("quote")))
            ),
            parent_native_id=str(parent) if parent else None,
            edited_at=parse_time(source.get("edited_at")),
            extra=extra,
            raw=status,
        )

    # -- HTTP -------------------------------------------------------------------------------
    def _get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self._request(url, params)[0]

    def _request(self, url: str, params: dict[str, Any] | None) -> tuple[Any, requests.Response]:
        if self._pause > 0:  # the previous answer said the budget is spent
            self.http.sleep(self._pause)
            self._pause = 0.0
        body, response = self.http.get_json(
            url, params=params, headers=self._headers(), classify=self._classify
        )
        self._respect_budget(response)
        return body, response

    def _get_page(
        self, url: str, params: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], requests.Response]:
        body, response = self._request(url, params)
        if not isinstance(body, list) or not all(isinstance(s, dict) and "id" in s for s in body):
            raise SkippableError(
                "mastodon: statuses page is not a list of statuses", reason="malformed"
            )
        return body, response

    def _classify(self, response: requests.Response) -> ConnectorProblem | None:
        status = response.status_code
        if status == 429:
            # docs api/rate-limits.md: X-RateLimit-Reset is the ISO 8601 time the budget refills.
            wait = self._seconds_until_reset(response)
            if wait is None:
                wait = parse_retry_after(response.headers.get("Retry-After"))
            return RetriableError("mastodon: rate limited (429)", retry_after=wait)
        if status in (401, 403):
            reason = "auth" if status == 401 else "forbidden"
            return SkippableError(
                f"mastodon: HTTP {status}: {_error_message(response)}", reason=reason
            )
        if status == 404 and "/accounts/lookup" in response.url:
            return SkippableError(f"mastodon: account {self.acct()} not found", reason="not_found")
        return None

    def _seconds_until_reset(self, response: requests.Response) -> float | None:
        reset = response.headers.get("X-RateLimit-Reset")
        try:
            when = parse_time(reset)
        except ValueError:
            return None
        if when is None:
            return None
        return max(0.0, (when - self.clock.now()).total_seconds())

    def _respect_budget(self, response: requests.Response) -> None:
        """An exhausted budget on a 200 (X-RateLimit-Remaining: 0): wait for the reset before the
        next request rather than earn a 429."""
        if response.headers.get("X-RateLimit-Remaining", "").strip() != "0":
            return
        wait = self._seconds_until_reset(response) or 0.0
        if wait > self.http.settings.max_wait:
            raise SkippableError(
                f"mastodon: rate limit spent; resets in {wait:.0f}s", reason="rate_limited"
            )
        self._pause = wait


def media_refs(attachments: list[dict[str, Any]]) -> list[MediaRef]:
    """Images by their full URL; video, gifv and audio only by their still preview."""
    refs = []
    for media in attachments:
        alt = media.get("description") or None
        if media.get("type") in ("image", "unknown"):
            url = media.get("url") or media.get("remote_url")
            if url:
                refs.append(MediaRef(url, "image", alt))
        elif media.get("preview_url"):
            refs.append(MediaRef(media["preview_url"], "video_thumbnail", alt))
    return refs


def poll_options(poll: Any) -> list[str]:
    """A poll's option titles (Poll entity: `options[].title`), in the order shown."""
    if not isinstance(poll, dict):
        return []
    titles = (o.get("title") for o in poll.get("options") or [] if isinstance(o, dict))
    return [str(t) for t in titles if t]


def quoted_attachments(quote: Any) -> list[dict[str, Any]]:
    """The media attachments of a quote's full quoted status (none for a ShallowQuote)."""
    status = quote.get("quoted_status") if isinstance(quote, dict) else None
    attachments = status.get("media_attachments") if isinstance(status, dict) else None
    return [a for a in attachments or [] if isinstance(a, dict)]


def quoted_status(quote: Any) -> dict[str, Any] | None:
    """Mastodon 4.5 quote posts: `quote` is a Quote (`state`, `quoted_status`: the full status)
    or a ShallowQuote (`quoted_status_id` only). Kept as Bluesky's `extra.quoted` is: what the
    account put in front of its readers, by whom, where."""
    if not isinstance(quote, dict):
        return None
    status = quote.get("quoted_status")
    if isinstance(status, dict) and (status.get("url") or status.get("uri")):
        account = status.get("account") or {}
        options = poll_options(status.get("poll"))
        text = "\n\n".join(
            p for p in (html_to_text(status.get("content")), "\n".join(options)) if p
        )
        return {
            "native_id": str(status.get("id")),
            "uri": status.get("uri"),
            "permalink": _permalink(status),
            "author": account.get("acct"),
            "text": text,
            "images": [m.url for m in media_refs(status.get("media_attachments") or [])],
            "state": quote.get("state"),
        }
    if quote.get("quoted_status_id"):
        return {"native_id": str(quote["quoted_status_id"]), "state": quote.get("state")}
    return None


def _permalink(status: dict[str, Any]) -> str:
    # `url` is null for some remote statuses; `uri` (the ActivityPub id) still resolves.
    return str(status.get("url") or status["uri"])


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or "error"
    return str(body.get("error")) if isinstance(body, dict) else "error"
