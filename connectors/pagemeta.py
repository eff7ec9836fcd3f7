"""What a web page says about itself: its title and when it was published or last modified.

Sites declare dates in several vocabularies, often more than one at a time; the first that gives a
readable time wins, in this order (most explicit first):
1. Open Graph `article:published_time` (ogp.me, "article" object type);
2. Schema.org JSON-LD `datePublished` on the page's Article/NewsArticle/BlogPosting/WebPage
   (including inside `@graph` and lists), the form search engines ask for;
3. common meta tags: `parsely-pub-date` (Parse.ly), `sailthru.date`, Dublin Core `dc.date`,
   `dcterms.created`/`dcterms.date`/`DC.date.issued`, `article.published`, `pubdate`,
   `publish-date`, `date`;
4. microdata `itemprop="datePublished"` (`content` or `datetime`);
5. the first `<time datetime>`.
A value without an offset is read as UTC (`timeparse.parse_utc`).

The title: `<title>`, and when that is missing or empty, `og:title`, then `twitter:title`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bs4 import BeautifulSoup, Tag

from connectors.timeparse import parse_utc

PUBLISHED_META = (
    "parsely-pub-date",
    "sailthru.date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.date",
    "dcterms.issued",
    "article.published",
    "article:published",
    "pubdate",
    "publish-date",
    "publish_date",
    "date",
)
MODIFIED_META = ("article:modified_time", "og:updated_time", "dcterms.modified", "last-modified")


def page_title(soup: BeautifulSoup) -> str | None:
    tag = soup.find("title")
    title = tag.get_text(" ", strip=True) if isinstance(tag, Tag) else ""
    return title or meta(soup, "og:title") or meta(soup, "twitter:title") or None


def published_time(soup: BeautifulSoup) -> datetime | None:
    candidates = [meta(soup, "article:published_time"), _json_ld(soup, "datePublished")]
    candidates += [meta(soup, name) for name in PUBLISHED_META]
    candidates += [_itemprop(soup, "datePublished"), _time_datetime(soup)]
    return _first_time(candidates)


def modified_time(soup: BeautifulSoup) -> datetime | None:
    candidates = [meta(soup, name) for name in MODIFIED_META[:1]]
    candidates += [_json_ld(soup, "dateModified")]
    candidates += [meta(soup, name) for name in MODIFIED_META[1:]]
    candidates += [_itemprop(soup, "dateModified")]
    return _first_time(candidates)


def meta(soup: BeautifulSoup, name: str) -> str | None:
    """`<meta property|name|itemprop=name content>`, matched without regard to case."""
    wanted = name.lower()
    for tag in soup.find_all("meta"):
        keys = (tag.get("property"), tag.get("name"), tag.get("itemprop"))
        if any(isinstance(k, str) and k.strip().lower() == wanted for k in keys):
            content = tag.get("content")
            if isinstance(content, str) and content.strip():
                return content.strip()
    return None


def _first_time(candidates: list[str | None]) -> datetime | None:
    for value in candidates:
        when = parse_utc(value)
        if when is not None:
            return when
    return None


def _json_ld(soup: BeautifulSoup, key: str) -> str | None:
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or script.get_text() or "")
        except ValueError:
            continue  # sites do ship broken JSON-LD; other declarations may still be good
        for node in _nodes(data):
            value = node.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document: top level, lists and `@graph`, breadth first."""
    queue = [data]
    while queue:
        value = queue.pop(0)
        if isinstance(value, list):
            queue.extend(value)
        elif isinstance(value, dict):
            yield value
            queue.extend(v for k, v in value.items() if k in ("@graph", "mainEntity"))


def _itemprop(soup: BeautifulSoup, prop: str) -> str | None:
    tag = soup.find(True, attrs={"itemprop": prop})
    if not isinstance(tag, Tag):
        return None
    value = tag.get("content") or tag.get("datetime")
    return str(value) if value else None


def _time_datetime(soup: BeautifulSoup) -> str | None:
    tag = soup.find("time", datetime=True)
    return str(tag["datetime"]) if isinstance(tag, Tag) else None
