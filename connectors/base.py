"""The connector protocol and the common shape every platform's posts are mapped to.

A connector reads one account through the platform's documented API and returns `Item`s: posts,
comments/replies (linked by `parent_native_id`), shares and the account's profile. It never
touches the warehouse; it receives the stored cursor and returns the next one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from connectors.errors import SkippableError
from connectors.http import HttpClient
from hallmonitor.clock import Clock
from hallmonitor.config import Account

ItemKind = Literal["post", "comment", "share", "profile", "page"]
MediaRole = Literal["image", "video_thumbnail", "avatar", "banner"]


@dataclass(frozen=True)
class MediaRef:
    url: str
    role: MediaRole = "image"
    alt: str | None = None


@dataclass
class Item:
    """One thing an account published, normalised. Times are timezone-aware UTC."""

    native_id: str
    kind: ItemKind
    permalink: str
    published_at: datetime | None
    text: str
    title: str | None = None
    author: str | None = None
    html: str | None = None
    media: list[MediaRef] = field(default_factory=list)
    parent_native_id: str | None = None
    edited_at: datetime | None = None
    # Profile data (bio, website, emails, display name) and other platform facts checks may use.
    extra: dict[str, Any] = field(default_factory=dict)
    # The platform's own payload, stored verbatim as JSON for evidence.
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("published_at", "edited_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class FetchWindow:
    """What to ask for. `since`: the oldest publication time wanted this run (first fetch:
    backfill_days back; later nights: the stored high-water mark minus an overlap; a periodic full
    re-scan reaches rescan_days back). `cursor`: what this connector stored last time, or {}."""

    since: datetime
    cursor: dict[str, Any]
    full_rescan: bool = False


@dataclass
class FetchResult:
    """What a fetch found, and what it may say about what it did not find.

    Absence is evidence of deletion only where the platform can say so (a feed or a crawl never
    is: items rotate out of feeds, pages lose their links):
    - `complete_since`: an API listed every post and share of the account published at or after
      this time, by date, and the walk read all of it; stored posts and shares from that range
      that are missing now were removed. `complete_how` says which listing that was. Comments
      are never claimed this way (their listings are per post and partial). None: no claim.
    - `gone`: native id -> how the platform said this item is gone (its permalink answered
      404/410 when re-checked).
    - `cut_short`: a reason code when a limit ended the fetch early (pages, items, bytes): the
      night's coverage of this account is partial, not complete.
    """

    items: list[Item]
    cursor: dict[str, Any]
    complete_since: datetime | None = None
    notes: list[str] = field(default_factory=list)
    complete_how: str | None = None
    gone: dict[str, str] = field(default_factory=dict)
    cut_short: str | None = None


@dataclass(frozen=True)
class FetchSettings:
    max_pages: int = 50
    # Items one fetch maps at most (a feed of 100,000 entries must not take the night and a
    # gigabyte); reaching it is recorded as partial coverage.
    max_items: int = 5000
    max_site_pages: int = 200
    max_site_bytes: int = 20_000_000
    page_size: int = 50


class Connector(ABC):
    platform: ClassVar[str]
    # Base URL used when the account has no api_base.
    default_api_base: ClassVar[str | None] = None
    # Hosts media may be downloaded from besides the API host (the platform's CDNs).
    media_hosts: ClassVar[tuple[str, ...]] = ()
    # Name of the environment variable convention, for docs ("" = no token needed).
    token_help: ClassVar[str] = ""

    def __init__(
        self,
        account: Account,
        http: HttpClient,
        clock: Clock,
        settings: FetchSettings | None = None,
        token: str | None = None,
    ) -> None:
        self.account = account
        self.http = http
        self.clock = clock
        self.settings = settings or FetchSettings()
        self._token = token

    def token(self) -> str:
        """The account's token (from the environment variable `token_env` names)."""
        if not self._token:
            name = self.account.token_env or "(no token_env configured)"
            raise SkippableError(f"no token: environment variable {name} is not set", reason="auth")
        return self._token

    @property
    def api_base(self) -> str:
        base = self.account.api_base or self.default_api_base
        if not base:
            raise ValueError(f"{self.platform}: no api_base configured")
        return base.rstrip("/")

    @classmethod
    def api_hosts(cls, account: Account) -> set[str]:
        """Hosts this account's API requests may go to (the SSRF allow-list starts here)."""
        from urllib.parse import urlsplit

        hosts = set()
        base = account.api_base or cls.default_api_base
        if base:
            hosts.add(urlsplit(base).netloc.lower())
        if account.locator.startswith(("http://", "https://")):
            hosts.add(urlsplit(account.locator).netloc.lower())
        return hosts

    @abstractmethod
    def fetch(self, window: FetchWindow) -> FetchResult:
        """Fetch what the window asks for. Raise SkippableError for account-level failures."""
