"""HTML as the connectors meet it (status bodies, blog posts, feed entries, web pages): its visible
text, its images, its embedded frames.

`html_to_text` is the one HTML-to-text function of every connector. A monitor must see everything
a post says, so it keeps all visible text (paragraphs, lists, quotes, code, headings, tables) in
reading order, with a line break where a block ends and a blank line between paragraphs, and drops
only what a reader never sees (scripts, styles, templates, SVG, the document head).

It is a single forward pass over the markup with a small tokenizer: no tree is built, so time and
memory grow linearly with the input however deep the nesting (a page of 100,000 nested `<div>`
once took minutes through a tree; the standard library's HTMLParser needs half a second for it,
this pass a fifth of that). Open elements are tracked only to know when an invisible or
preformatted one ends, on a stack capped at `MAX_DEPTH`; deeper elements still break lines and
keep their text. A tag is looked for at most `MAX_TAG` characters ahead (quotes respected); a
longer or unterminated one ends at the next `>`, so no input makes the scan go back over itself.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from connectors.base import MediaRef

# Never visible text. (<title> sits in <head>; a page's title is read separately.)
INVISIBLE = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe"})
# A blank line before and after: the units a reader sees as separate paragraphs.
PARAGRAPHS = frozenset(
    "p pre blockquote ul ol dl table figure h1 h2 h3 h4 h5 h6 hr address details".split()
)
# A line break before and after.
LINES = frozenset(
    "div li dt dd tr caption figcaption section article aside header footer main nav form "
    "fieldset legend summary center".split()
)
# Elements that never have an end tag (HTML "void elements").
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
CELLS = frozenset({"td", "th"})
PREFORMATTED = frozenset({"pre", "textarea", "listing"})
# Elements whose content is raw text up to their end tag, never markup.
RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea"})
MAX_DEPTH = 512
MAX_TAG = 4096
_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_TAG = re.compile(r"""<(/?)([A-Za-z][^\s/>]*)(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_PLAIN_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*>")


class _TextWriter:
    """Collects visible text as the tokenizer streams past; see the module docstring."""

    def __init__(self, skip: frozenset[str]) -> None:
        self.skip = skip
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.hidden = 0  # open invisible elements
        self.pre = 0  # open preformatted elements
        self.breaks = 0  # line breaks owed before the next text (0, 1 or 2)
        self.space = False  # a space owed before the next text
        self.line_start = True
        self.quotes = True  # quoted attribute values may hold ">" (until markup proves broken)
        self.gt = -2  # the next ">" found so far (-1: none left, -2: not looked yet)

    # -- the tokenizer -------------------------------------------------------------------------
    def feed(self, markup: str) -> None:
        pos, end = 0, len(markup)
        while pos < end:
            lt = markup.find("<", pos)
            if lt == -1:
                self.handle_data(unescape(markup[pos:]))
                return
            if lt > pos:
                self.handle_data(unescape(markup[pos:lt]))
            pos = self._markup(markup, lt)

    def _markup(self, markup: str, start: int) -> int:
        """Handle the construct starting with `<` at `lt`; return where the text resumes."""
        if markup.startswith("<!--", start):
            close = markup.find("-->", start + 4)
            return len(markup) if close == -1 else close + 3
        if markup.startswith(("<!", "<?"), start):  # doctype, CDATA, processing instruction
            close = markup.find(">", start)
            return len(markup) if close == -1 else close + 1
        following = markup[start + 1 : start + 2]
        if not (following.isalpha() or following == "/"):
            self.handle_data("<")  # a bare "<" in text ("a < b")
            return start + 1
        close = self._next_gt(markup, start)
        if close == -1:  # no tag can end anywhere after this: the rest is text
            self.handle_data(unescape(markup[start:]))
            return len(markup)
        match = None
        if self.quotes:
            match = _TAG.match(markup, start, min(len(markup), start + MAX_TAG))
            # A tag that does not end within MAX_TAG, quotes respected, is broken markup: from
            # here on tags end at the next ">" whatever the quotes, so no scan is ever repeated.
            self.quotes = match is not None
        if match is None:
            match = _PLAIN_TAG.match(markup, start, close + 1)
        if match is None:  # "</>" or "<a<b>": drop up to the ">"
            return close + 1
        closing, tag, stop = bool(match.group(1)), match.group(2).lower(), match.end()
        if closing:
            self.handle_endtag(tag)
            return stop
        self.handle_starttag(tag)
        if tag in RAW_TEXT:
            close_tag = re.compile(rf"</{re.escape(tag)}[\s/>]", re.IGNORECASE).search(markup, stop)
            body_end = close_tag.start() if close_tag else len(markup)
            if tag == "textarea" or tag not in self.skip:
                self.handle_data(unescape(markup[stop:body_end]))
            self.handle_endtag(tag)
            if close_tag is None:
                return len(markup)
            after = markup.find(">", close_tag.start())
            return len(markup) if after == -1 else after + 1
        return stop

    def _next_gt(self, markup: str, start: int) -> int:
        """The first ">" at or after `start`, remembered so that the search never repeats."""
        if self.gt == -2 or (self.gt != -1 and self.gt < start):
            self.gt = markup.find(">", start)
        return self.gt

    # -- events -------------------------------------------------------------------------------
    def handle_starttag(self, tag: str) -> None:
        self._block(tag)
        if tag == "br" and not self.hidden:
            self._newline()
        if tag in VOID:
            return
        if len(self.stack) < MAX_DEPTH:
            self.stack.append(tag)
            self.hidden += tag in self.skip
            self.pre += tag in PREFORMATTED

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        # Close up to the matching open element (browsers close what was left open inside it);
        # an end tag with nothing open to match is ignored.
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth] == tag:
                for closed in self.stack[depth:]:
                    self.hidden -= closed in self.skip
                    self.pre -= closed in PREFORMATTED
                del self.stack[depth:]
                break
        self._block(tag)

    def handle_data(self, data: str) -> None:
        if self.hidden or not data:
            return
        if self.pre:
            self._emit(data)
            return
        if data[0].isspace():
            self.space = True
        words = _SPACE.sub(" ", data).strip()
        if words:
            self._emit(words)
            self.space = data[-1].isspace()

    # -- output -------------------------------------------------------------------------------
    def _block(self, tag: str) -> None:
        if tag in PARAGRAPHS:
            self.breaks = 2
        elif tag in LINES:
            self.breaks = max(self.breaks, 1)
        elif tag in CELLS:
            self.space = True

    def _newline(self) -> None:
        self.parts.append("\n")
        self.line_start, self.space = True, False

    def _emit(self, text: str) -> None:
        if self.parts and self.breaks:
            ended = 2 if self.parts[-2:] == ["\n", "\n"] else int(self.parts[-1] == "\n")
            self.parts.append("\n" * max(0, self.breaks - ended))  # a <br> may have ended it
            self.line_start = True
        elif self.space and not self.line_start:
            self.parts.append(" ")
        self.breaks, self.space = 0, False
        self.parts.append(text)
        self.line_start = text.endswith("\n")


def html_to_text(html: str | Tag | None, *, skip: frozenset[str] = INVISIBLE) -> str:
    """All visible text of an HTML fragment or document, in reading order: a block's end is a
    line break, a paragraph's a blank line, `<br>` a line break; whitespace inside a line is
    collapsed except in `<pre>`; entities are decoded. Inline elements add nothing, so
    "<b>next</b>." stays "next."."""
    if html is None:
        return ""
    markup = html if isinstance(html, str) else str(html)
    if not markup:
        return ""
    writer = _TextWriter(skip)
    writer.feed(markup)
    text = "".join(writer.parts)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def inline_text(html: str | None) -> str:
    """A one-line field that may carry markup and entities (an RSS or WordPress title):
    `AT&amp;T <b>news</b>` -> `AT&T news`."""
    return " ".join(html_to_text(html).split())


# -- media and links ---------------------------------------------------------------------------
def _soup(html: str | BeautifulSoup | Tag) -> BeautifulSoup | Tag:
    return html if isinstance(html, (BeautifulSoup, Tag)) else BeautifulSoup(html, "html.parser")


def img_refs(html: str | BeautifulSoup | Tag, base: str) -> list[MediaRef]:
    """`<img>` as absolute MediaRefs with their alt text; lazy-loading plugins put the real URL
    in data-src; data: URIs are skipped."""
    refs = []
    for img in _soup(html).find_all("img"):
        src = str(img.get("data-src") or img.get("src") or "").strip()
        if not src or src.startswith("data:"):
            continue
        url = urljoin(base, src)
        if urlsplit(url).scheme in ("http", "https"):
            refs.append(MediaRef(url, "image", str(img.get("alt") or "").strip() or None))
    return refs


def embed_links(html: str | BeautifulSoup | Tag, base: str) -> list[str]:
    """Embedded frames (`<iframe>`, `<embed>`, `<video>`/`<source>`) as absolute URLs: a video
    a post embeds is part of what it publishes, though it has no `<img>`."""
    found: dict[str, None] = {}
    for tag in _soup(html).find_all(["iframe", "embed", "video", "source"]):
        src = str(tag.get("data-src") or tag.get("src") or "").strip()
        url = urljoin(base, src) if src else ""
        if urlsplit(url).scheme in ("http", "https"):
            found[url] = None
    return list(found)


def merge_media(refs: list[MediaRef]) -> list[MediaRef]:
    """De-duplicate by URL keeping first-seen order; a later alt text fills a missing one."""
    merged: dict[str, MediaRef] = {}
    for ref in refs:
        seen = merged.get(ref.url)
        if seen is None:
            merged[ref.url] = ref
        elif seen.alt is None and ref.alt:
            merged[ref.url] = MediaRef(seen.url, seen.role, ref.alt)
    return list(merged.values())
