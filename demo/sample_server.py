"""The bundled demo district and the local sample server that plays its accounts.

`DemoSite` serves RSS feeds and small web sites on 127.0.0.1 with posts dated relative to "now",
so the demo shows the same findings whatever day it runs. The end-to-end tests drive it too: they
edit and remove posts between runs to show versions and deletions.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from demo.fakeplatform import FakePlatform, Request, Response

DEMO_DIR = Path(__file__).resolve().parent / "district"


@dataclass
class Entry:
    entry_id: str
    title: str
    html: str
    published: datetime
    images: list[str] = field(default_factory=list)  # file names under demo/district/media/


@dataclass
class Page:
    title: str
    html: str
    links: list[str] = field(default_factory=list)


def demo_entries(now: datetime) -> dict[str, list[Entry]]:
    """Feed path -> entries. Each case is here for a reason, noted beside it."""
    day = timedelta(days=1)
    return {
        "/athletics/feed.xml": [
            # A consented student celebrated on a sponsored page: not a violation.
            Entry(
                "ath-1",
                "State champion!",
                "<p>Congratulations to Maya Johnson on her state "
                "title in the 800m! Prairie Valley is proud of you.</p>",
                now - 6 * day,
            ),
            # A media-opt-out student named on a sponsored page: a violation under every pack.
            Entry(
                "ath-2",
                "Youth clinic recap",
                "<p>Thanks to our helpers at the Lincoln youth "
                "clinic, especially Ava Martinez who led the warm-up.</p>",
                now - 4 * day,
            ),
            Entry(
                "ath-3",
                "Schedule change",
                "<p>Friday's game moves to 6 pm. Go Falcons!</p>",
                now - 2 * day,
            ),
        ],
        "/brown/feed.xml": [
            # A named student together with an IEP record on an employee blog.
            Entry(
                "brown-1",
                "A proud week",
                "<p>So proud of Sofi García this week — her IEP "
                "reading goals are finally on track after the 504 review.</p>",
                now - 5 * day,
            ),
            # "Will" is a student's preferred name but here only a verb: no finding.
            Entry(
                "brown-2",
                "Spring concert",
                "<p>Will you join us at the spring concert? The "
                "Lincoln Elementary choir has worked so hard.</p>",
                now - 3 * day,
            ),
            # An IEP meeting that identifies nobody: no finding.
            Entry(
                "brown-3",
                "Planning week",
                "<p>Lots of IEP meetings this week, so replies may be "
                "slow. Thanks for your patience!</p>",
                now - 1 * day,
            ),
            # A class photo taken on a school morning (EXIF) on a personal blog: student images.
            Entry(
                "brown-4",
                "Lab day",
                "<p>Science lab day in my Lincoln Elementary class! So proud "
                "of these students.</p>",
                now - 1 * day,
                images=["class-photo.jpg"],
            ),
            # The district's mark on a personal fundraiser, with no written permission: logo use.
            Entry(
                "brown-5",
                "5K for the band",
                "<p>I'm running the 5K for the band boosters this weekend. Sign up!</p>",
                now - timedelta(hours=20),
                images=["fundraiser-flyer.jpg"],
            ),
        ],
        "/okafor/feed.xml": [
            Entry(
                "ok-1",
                "Never fetched",
                "<p>This feed must never be requested: the permission lapsed.</p>",
                now - 2 * day,
            ),
        ],
        "/miller/feed.xml": [
            Entry(
                "mi-1",
                "Never fetched",
                "<p>No permission is recorded for this account.</p>",
                now - 2 * day,
            ),
        ],
    }


def demo_pages() -> dict[str, Page]:
    return {
        "/district/": Page(
            "Prairie Valley Public Schools",
            "<p>Welcome to Prairie Valley Public Schools. Call 701-555-0100.</p>",
            ["/district/news.html"],
        ),
        "/district/news.html": Page(
            "District news",
            "<p>Board meeting on Tuesday. Enrollment for next year opens in March.</p>",
        ),
        "/nguyen/": Page(
            "Ms. Nguyen's Chemistry",
            "<p>Welcome to Chemistry 10!</p>",
            ["/nguyen/results.html", "/nguyen/private.html", "/nguyen/gradebook.html"],
        ),
        # A named student with a grade on an employee's public site: confidentiality violation.
        "/nguyen/results.html": Page(
            "Quiz results",
            "<p>Quiz 4 retakes: Liam Chen scored 54% and "
            "must retake on Friday. Noah Williams missed the quiz (absent "
            "three days).</p>",
        ),
        "/nguyen/gradebook.html": Page(
            "Gradebook",
            "<p>Progress this term.</p><img src='/media/gradebook.png' alt='gradebook'>",
        ),
        # robots.txt disallows this page: the crawler must never request it.
        "/nguyen/private.html": Page("Private", "<p>Not for crawlers.</p>"),
    }


class DemoSite:
    """The sample server: feeds, pages and media on 127.0.0.1, editable between runs."""

    def __init__(self, now: datetime, media_dir: Path | None = None) -> None:
        self.now = now
        self.entries = demo_entries(now)
        self.pages = demo_pages()
        self.media_dir = media_dir or DEMO_DIR / "media"
        self.robots = {"/nguyen/robots.txt": "User-agent: *\nDisallow: /nguyen/private.html\n"}
        self.server = FakePlatform()
        self.server.route_prefix("/", self._serve)

    def start(self, port: int = 0) -> DemoSite:
        """Serve on 127.0.0.1; the demo asks for a fixed port so permalinks stay the same across
        runs (falls back to any free port when it is taken)."""
        try:
            self.server.start(port)
        except OSError:
            self.server.start(0)
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    # -- editing between runs (tests) ----------------------------------------------------------
    def edit(self, feed: str, entry_id: str, html: str) -> None:
        for entry in self.entries[feed]:
            if entry.entry_id == entry_id:
                entry.html = html

    def remove(self, feed: str, entry_id: str) -> None:
        self.entries[feed] = [e for e in self.entries[feed] if e.entry_id != entry_id]

    def add(self, feed: str, entry: Entry) -> None:
        self.entries[feed].insert(0, entry)

    # -- serving ---------------------------------------------------------------------------------
    def _serve(self, request: Request) -> Response:
        path = request.path
        if path == "/robots.txt" or path in self.robots:
            return (
                200,
                {"Content-Type": "text/plain"},
                self.robots.get(path, "User-agent: *\nDisallow: /nguyen/private.html\n"),
            )
        if path in self.entries:
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, self._feed(path)
        if path in self.pages:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self._page(self.pages[path])
        if path.startswith("/media/"):
            file = self.media_dir / path.removeprefix("/media/")
            if file.is_file() and file.parent == self.media_dir:
                kind = "image/png" if file.suffix == ".png" else "image/jpeg"
                return 200, {"Content-Type": kind}, file.read_bytes()
        return 404, {"Content-Type": "text/html"}, "<h1>Not found</h1>"

    def _feed(self, path: str) -> str:
        base = self.base_url
        items = []
        for e in self.entries[path]:
            enclosures = "".join(
                f'<enclosure url="{base}/media/{escape(name)}" type="image/'
                f'{"png" if name.endswith(".png") else "jpeg"}" length="0"/>'
                for name in e.images
                if (self.media_dir / name).is_file()
            )
            items.append(
                f"<item><title>{escape(e.title)}</title>"
                f"<link>{base}{path.rsplit('/', 1)[0]}/{e.entry_id}.html</link>"
                f'<guid isPermaLink="false">{escape(e.entry_id)}</guid>'
                f"<pubDate>{format_datetime(e.published)}</pubDate>"
                f"<description>{escape(e.html)}</description>{enclosures}</item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(path)}</title><link>{base}{path}</link><description>demo</description>"
            + "".join(items)
            + "</channel></rss>"
        )

    def _page(self, page: Page) -> str:
        links = "".join(f'<li><a href="{href}">{href}</a></li>' for href in page.links)
        return (
            f"<!doctype html><html><head><title>{escape(page.title)}</title></head><body>"
            f"<h1>{escape(page.title)}</h1>{page.html}<ul>{links}</ul>"
            '<a href="https://elsewhere.example/">elsewhere</a></body></html>'
        )


# What demo/district/accounts.yaml says, and what a copy made for a run says instead.
DEMO_BASE_URL = "http://127.0.0.1:8753"  # `hallmonitor demo` serves on this port


def prepare_district(out_dir: Path, base_url: str, today: datetime) -> Path:
    """Copy the demo district into out_dir/district, pointing its accounts at the sample server
    on `base_url` and moving its permission dates so that, whatever day it runs, two permissions
    are current and one has lapsed. demo/district itself is a complete, working example."""
    target = out_dir / "district"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DEMO_DIR, target, ignore=shutil.ignore_patterns("media"))
    text = (DEMO_DIR / "accounts.yaml").read_text(encoding="utf-8")
    day = today.date()
    moved = {
        "2026-09-01": day - timedelta(days=60),  # granted
        "2027-08-31": day + timedelta(days=300),  # expires
        "2024-09-01": day - timedelta(days=400),  # granted, lapsed
        "2025-06-30": day - timedelta(days=35),  # expired
    }
    for written, value in moved.items():
        text = text.replace(f'"{written}"', f'"{value.isoformat()}"')
    text = text.replace(DEMO_BASE_URL, base_url.rstrip("/"))
    (target / "accounts.yaml").write_text(text, encoding="utf-8")
    return target
