"""A plain web site, crawled breadth-first from its root (locator = the site URL).

The crawl stays under the locator: the root's host and port and its path prefix (a site at
`/site/` never requests `/othersite/`, which may be another account's locator; the HTTP client
refuses such a URL too, with every other configured account's scope). It asks robots.txt first
(RFC 9309, read with urllib.robotparser but fetched through `self.http` like every other request)
and checks it again on every redirect hop, so `/go` -> 302 -> a disallowed path is never fetched.
It stops at
`FetchSettings.max_site_pages` pages or `max_site_bytes` bytes (each page is read with what is left
of the byte budget as its ceiling, so the budget is never overrun). Every HTML page becomes an
`Item(kind="page")` keyed by its URL without the fragment.

A crawl is a snapshot, and never evidence of deletion on its own: a page seen by an earlier crawl
and not reached now is re-checked at its URL (`connectors.recheck`), and only a 404/410 there marks
it deleted. A crawl cut short by a limit or a failed page is partial coverage (`cut_short`).

A page's text comes from `connectors.html.html_to_text` like every connector's; its publication
time from whatever the page declares: `article:published_time`, Schema.org JSON-LD
`datePublished`, the common meta tags (`parsely-pub-date`, `sailthru.date`, Dublin Core), an
`itemprop="datePublished"`, then a `<time datetime>`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import requests
from bs4 import BeautifulSoup, Tag, UnicodeDammit

from connectors.base import Connector, FetchResult, FetchWindow, Item
from connectors.errors import DisallowedHost, RobotsDisallowed, SkippableError
from connectors.html import html_to_text, img_refs, merge_media
from connectors.http import USER_AGENT, HopCheck
from connectors.pagemeta import modified_time, page_title, published_time
from connectors.recheck import recheck_missing
from connectors.scope import UrlScope
from connectors.urlsafety import UnsafeUrl, parse_target

EVERYTHING = datetime(1970, 1, 1, tzinfo=UTC)
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Links to these are not requested at all: they are never HTML and would spend the byte budget.
SKIP_EXTENSIONS = frozenset(
    ".pdf .doc .docx .xls .xlsx .ppt .pptx .zip .gz .jpg .jpeg .png .gif .webp .svg .ico .bmp .tif "
    ".tiff .mp3 .mp4 .m4a .mov .avi .webm .wav .css .js .json .xml .rss .ics".split()
)
# Elements that are never visible text. Navigation menus repeat on every page and are not what a
# page publishes, so they are dropped too (images inside them are still collected).
INVISIBLE = ("script", "style", "noscript", "template", "svg", "head", "nav")
MAX_CRAWL_DELAY = 5.0  # seconds; a larger robots.txt Crawl-delay is capped to keep runs bounded
# Page failures after which the crawl stops instead of trying the next page.
# too_large: a page is read with the rest of the byte budget as its ceiling, so the budget is spent.
STOP_REASONS = frozenset({"rate_limited", "transient_exhausted", "too_large"})
# Deadlines past which nothing more may be sent: the account becomes a gap with that reason.
BUDGET_REASONS = frozenset({"account_deadline", "run_budget"})


# -- URLs ------------------------------------------------------------------------------------
def normalise_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports and the fragment, '/' for an empty path."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else f"{host}:{port}"
    )
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(normalise_url(url))
    return parts.scheme, parts.netloc


# -- the crawler -------------------------------------------------------------------------------
@dataclass
class _Crawl:
    queue: deque[str]
    seen: set[str]
    items: list[Item] = field(default_factory=list)
    pages: int = 0
    bytes: int = 0
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


class WebConnector(Connector):
    platform = "web"

    def fetch(self, window: FetchWindow) -> FetchResult:
        root = self._root_url()
        robots = self._robots(root)
        if not robots.can_fetch(USER_AGENT, root):
            raise SkippableError(
                f"robots.txt disallows the site root {root}", reason="robots_disallowed"
            )
        crawl = _Crawl(queue=deque([root]), seen={root})
        delay = min(float(robots.crawl_delay(USER_AGENT) or 0), MAX_CRAWL_DELAY)
        scope = UrlScope.of(root)
        allowed = robots_check(robots)
        while crawl.queue:
            if (
                crawl.pages >= self.settings.max_site_pages
                or crawl.bytes >= self.settings.max_site_bytes
            ):
                crawl.truncated = True
                crawl.notes.append(
                    f"crawl stopped at {crawl.pages} pages / {crawl.bytes} bytes; "
                    f"{len(crawl.queue)} URLs not visited"
                )
                break
            url = crawl.queue.popleft()
            if delay and crawl.pages:
                self.http.sleep(delay)
            is_root = crawl.pages == 0
            page = self._page(url, crawl, is_root, allowed)
            if page is None:
                continue
            crawl.items.append(page)
            for link in page.extra["links"]:
                if link in crawl.seen or not _in_scope(link, scope) or not _crawlable(link):
                    continue
                if not self.http.permits(link):  # e.g. inside a non-permitted account's scope
                    continue
                crawl.seen.add(link)
                if robots.can_fetch(USER_AGENT, link):
                    crawl.queue.append(link)
        return self._result(crawl, window, robots, scope)

    def _result(
        self, crawl: _Crawl, window: FetchWindow, robots: RobotFileParser, scope: UrlScope
    ) -> FetchResult:
        """A crawl claims nothing about pages it did not reach (a page may lose its links and
        stay online): pages seen last time and missing now are re-checked at their URL, and only
        a 404/410 there marks one deleted. Pages robots.txt now disallows are not asked."""
        check = recheck_missing(
            self.http,
            dict(window.cursor.get("seen") or {}),
            {i.native_id for i in crawl.items},
            self.clock.now(),
            may_fetch=lambda u: (
                _in_scope(u, scope) and robots.can_fetch(USER_AGENT, u) and self.http.permits(u)
            ),
        )
        cursor = {
            "crawled_at": self.clock.now().isoformat(),
            "pages": crawl.pages,
            "seen": {**check.pending, **{i.native_id: i.permalink for i in crawl.items}},
        }
        return FetchResult(
            crawl.items,
            cursor,
            None,
            crawl.notes + check.notes,
            gone=check.gone,
            cut_short="crawl_incomplete" if crawl.truncated else None,
        )

    def _root_url(self) -> str:
        locator = self.account.locator
        if self.account.api_base:  # a test or mirror host standing in for the real site
            path = urlsplit(locator)
            base = urlsplit(self.account.api_base)
            locator = urlunsplit((base.scheme, base.netloc, path.path, path.query, ""))
        return normalise_url(locator)

    def _robots(self, root: str) -> RobotFileParser:
        """RFC 9309 §2.3.1: a 4xx robots.txt means no restrictions; 5xx or unreachable means the
        site cannot be crawled now (that error reaches the caller as a coverage gap)."""
        url = urljoin(root, "/robots.txt")
        client_errors = tuple(s for s in range(400, 500) if s != 429)
        response = self.http.get(url, ok_statuses=(200, *client_errors), purpose="robots")
        parser = RobotFileParser(url)
        lines = response.text.splitlines() if response.status_code == 200 else []
        parser.parse(lines)
        return parser

    def _page(self, url: str, crawl: _Crawl, is_root: bool, allowed: HopCheck) -> Item | None:
        """Fetch one page. The root's failures are the account's; other pages are skipped (a
        gone page silently, anything else with a note and the crawl marked incomplete)."""
        try:
            response = self.http.get(
                url,
                ok_statuses=(200,) if is_root else (200, 404, 410),
                max_bytes=max(1, self.settings.max_site_bytes - crawl.bytes),
                hop_check=allowed,
            )
        except RobotsDisallowed as exc:  # redirected to a disallowed page: it counts as gone
            if is_root:
                raise
            crawl.notes.append(str(exc))
            return None
        except DisallowedHost as exc:  # redirected off the site (or its scope): not part of it
            if is_root:
                raise
            crawl.notes.append(str(exc))
            return None
        except SkippableError as exc:
            if is_root or exc.reason in BUDGET_REASONS:  # the account's or run's time is up
                raise
            crawl.notes.append(f"{url}: {exc}")
            crawl.truncated = True
            if exc.reason in STOP_REASONS:
                crawl.queue.clear()
            return None
        crawl.pages += 1
        crawl.bytes += len(response.content)
        final = normalise_url(response.url or url)
        if response.status_code != 200:
            return None
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype not in HTML_TYPES:
            if is_root:  # claiming "no pages" here would mark every stored page deleted
                raise SkippableError(
                    f"site root {url} is {ctype or 'untyped'}, not HTML", reason="malformed"
                )
            return None
        if final != url and final in crawl.seen:
            return None  # a redirect to a page already crawled
        crawl.seen.add(final)
        return page_item(final, decode_html(response))


def decode_html(response: requests.Response) -> str:
    """The page as text. Without a charset in Content-Type, requests would assume ISO-8859-1
    (RFC 2616); the page's own <meta charset> or byte sniffing is a better guide then."""
    if "charset=" in response.headers.get("Content-Type", "").lower():
        return response.text
    return UnicodeDammit(response.content, is_html=True).unicode_markup or ""


def robots_check(robots: RobotFileParser) -> HopCheck:
    """The hop check the HTTP client runs on every URL it is about to request."""

    def check(url: str) -> str | None:
        return None if robots.can_fetch(USER_AGENT, url) else "disallowed by robots.txt"

    return check


def _in_scope(url: str, scope: UrlScope) -> bool:
    try:
        return scope.contains(parse_target(url))
    except UnsafeUrl:
        return False


def _crawlable(url: str) -> bool:
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return dot == -1 or "/" in path[dot:] or path[dot:] not in SKIP_EXTENSIONS


def page_item(url: str, html: str) -> Item:
    """Map one HTML page to an Item: main text, title, images, links and any publication time."""
    soup = BeautifulSoup(html, "html.parser")
    base_tag = soup.find("base", href=True)
    base = urljoin(url, str(base_tag["href"])) if isinstance(base_tag, Tag) else url
    title = page_title(soup)
    media = merge_media(img_refs(soup, base))
    links = _links(soup, base)
    published, edited = published_time(soup), modified_time(soup)
    for tag in soup.find_all(INVISIBLE):
        tag.decompose()
    main = soup.find("main") or soup.select_one('[role="main"]') or soup.body or soup
    return Item(
        native_id=url,
        kind="page",
        permalink=url,
        published_at=published,
        text=html_to_text(main),
        title=title or None,
        html=html,
        media=media,
        edited_at=edited,
        extra={"links": links},
        raw={"url": url, "title": title, "links": links},
    )


def _links(soup: BeautifulSoup, base: str) -> list[str]:
    found: dict[str, None] = {}
    for anchor in soup.find_all(["a", "area"], href=True):
        href = str(anchor["href"]).strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        absolute = urljoin(base, href)
        if urlsplit(absolute).scheme in ("http", "https"):
            found[normalise_url(absolute)] = None
    return list(found)
