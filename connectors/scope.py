"""What one account's requests may reach: the permission gate, applied to every request.

Why: the gate used to decide per account while the HTTP client only knew a list of hosts, so a
permitted site on a shared host could crawl, redirect or link into a lapsed employee's pages and
store them under its own basis. Now each request (page, API call, redirect hop, media file) is
judged by `AccessPolicy.refusal`:

- the host must be one of the account's hosts (API/page hosts for pages and API calls; those plus
  the platform's and the account's media hosts for media; only `/robots.txt` for robots);
- for web, RSS and WordPress accounts a page or API request must also lie under the locator's
  path (`UrlScope`);
- a URL inside another configured account's scope (host and path prefix of its locator) is
  refused unless that account is permitted today; the most specific scope owns a URL, so a
  sponsored site at `/` does not swallow an employee's page at `/staff/jane/`.

Accounts on handle-based platforms (Mastodon, Bluesky, Facebook...) have no URL scope; their API
host is their only page scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from connectors.urlsafety import Target, UnsafeUrl, parse_target, remove_dot_segments
from hallmonitor.config import Account

Purpose = Literal["page", "media", "robots"]
URL_PLATFORMS = ("web", "rss", "wordpress")


@dataclass(frozen=True)
class UrlScope:
    """A host (netloc, default port left out) and a path prefix; `exact` is the locator's own
    path, for a locator that names a file (`/feeds/news.xml` has prefix `/feeds/`)."""

    netloc: str
    prefix: str
    exact: str

    @classmethod
    def of(cls, url: str) -> UrlScope:
        target = parse_target(url)
        path = target.path
        if path.endswith("/"):
            prefix = path
        elif "." in path.rsplit("/", 1)[-1]:
            prefix = path.rsplit("/", 1)[0] + "/"
        else:
            prefix = path + "/"
        return cls(target.netloc, prefix, path)

    def contains(self, target: Target) -> bool:
        """Every reading of the path (as sent, and percent-decoded as many servers route it)
        must lie under the prefix: `/site/%2e%2e/other/` is not under `/site/`."""
        return target.netloc == self.netloc and all(
            p == self.exact or p.startswith(self.prefix) for p in _readings(target.path)
        )

    def touches(self, target: Target) -> bool:
        """Some reading of the path lies under the prefix (for other accounts' claims)."""
        return target.netloc == self.netloc and any(
            p == self.exact or p.startswith(self.prefix) for p in _readings(target.path)
        )


def _rank(scope: UrlScope, target: Target) -> tuple[bool, int]:
    return (scope.exact in _readings(target.path), len(scope.prefix))


def _readings(path: str) -> set[str]:
    decoded = unquote(path).replace("\\", "/")
    return {path, remove_dot_segments(decoded)}


@dataclass(frozen=True)
class Claim:
    """Another configured account's scope and whether it may be fetched today."""

    account_id: str
    scope: UrlScope
    permitted: bool


def account_url(account: Account) -> str | None:
    """The URL an account's locator stands for, on its api_base host when one is configured (a
    mirror or test server), as the web, RSS and WordPress connectors compute it."""
    if account.platform not in URL_PLATFORMS:
        return None
    if account.platform == "wordpress":
        value = (account.api_base or account.locator).strip().rstrip("/")
        return value if value.startswith(("http://", "https://")) else f"https://{value}"
    if not account.locator.startswith(("http://", "https://")):
        return None
    if not account.api_base:
        return account.locator
    path, base = urlsplit(account.locator), urlsplit(account.api_base)
    return f"{base.scheme}://{base.netloc}{path.path or '/'}" + (
        f"?{path.query}" if path.query else ""
    )


def account_scope(account: Account) -> UrlScope | None:
    url = account_url(account)
    if url is None:
        return None
    try:
        return UrlScope.of(url)
    except UnsafeUrl:
        return None


def claims_for(accounts: Iterable[tuple[Account, bool]]) -> list[Claim]:
    """Every URL-scoped account with its permission today (the input to `AccessPolicy`)."""
    claims = []
    for account, permitted in accounts:
        scope = account_scope(account)
        if scope is not None:
            claims.append(Claim(account.id, scope, permitted))
    return claims


def configured_hosts(account: Account) -> set[str]:
    """Hosts the district itself configured for this account (api_base, the locator's host,
    exact media_hosts): the only ones that may resolve to private or loopback addresses."""
    hosts = set()
    for url in (account.api_base, account_url(account), account.locator):
        if url and url.startswith(("http://", "https://")):
            try:
                hosts.add(parse_target(url).netloc)
            except UnsafeUrl:
                continue
    hosts |= {normalise_host(h) for h in account.media_hosts if not h.startswith(".")}
    return hosts


def normalise_host(entry: str) -> str:
    """An allow-list entry in Target.netloc's spelling; `.suffix` entries stay as they are."""
    entry = entry.strip().lower()
    if entry.startswith("."):
        return entry.rstrip(".")
    try:
        return parse_target(f"http://{entry}/").netloc
    except UnsafeUrl:
        return entry


def host_allowed(target: Target, entries: frozenset[str]) -> bool:
    """Listed exactly, or a subdomain of an entry written with a leading dot (".fbcdn.net" allows
    "a.xx.fbcdn.net" on the default port, never "fbcdn.net.evil.example")."""
    if target.netloc in entries:
        return True
    default_port = target.netloc == target.host or target.netloc == f"[{target.host}]"
    return default_port and any(
        e.startswith(".") and target.host.endswith(e) for e in entries if len(e) > 1
    )


@dataclass(frozen=True)
class AccessPolicy:
    page_hosts: frozenset[str]
    media_hosts: frozenset[str]
    private_hosts: frozenset[str]
    own: UrlScope | None = None
    account_id: str = ""
    claims: tuple[Claim, ...] = field(default_factory=tuple)

    @classmethod
    def simple(cls, hosts: Iterable[str]) -> AccessPolicy:
        """One host list for every purpose; exact entries may be private (tests, the demo)."""
        entries = frozenset(normalise_host(h) for h in hosts)
        return cls(entries, entries, frozenset(e for e in entries if not e.startswith(".")))

    @classmethod
    def for_account(
        cls,
        account: Account,
        api_hosts: Iterable[str],
        media_hosts: Iterable[str],
        claims: Sequence[Claim] = (),
    ) -> AccessPolicy:
        pages = frozenset(normalise_host(h) for h in api_hosts)
        media = pages | {normalise_host(h) for h in media_hosts}
        others = tuple(c for c in claims if c.account_id != account.id)
        return cls(
            pages,
            frozenset(media),
            frozenset(configured_hosts(account)),
            account_scope(account),
            account.id,
            others,
        )

    def refusal(self, target: Target, purpose: Purpose) -> str | None:
        """None when the request may be sent, else why not (written to the access log)."""
        hosts = self.media_hosts if purpose == "media" else self.page_hosts
        if not host_allowed(target, hosts):
            return f"host {target.netloc} is not allowed for this account"
        if purpose == "robots":
            return None if target.path == "/robots.txt" else "not a robots.txt URL"
        if purpose == "page" and self.own is not None and not self.own.contains(target):
            return f"outside the account's scope {self.own.netloc}{self.own.prefix}"
        owner = self._owner(target)
        if owner is not None and not owner.permitted:
            return f"inside account {owner.account_id}'s scope, which is not permitted"
        return None

    def _owner(self, target: Target) -> Claim | None:
        """The most specific other account whose scope this URL touches (a locator naming this
        very path first, then the longest prefix), unless the account's own scope is at least
        as specific."""
        touching = [c for c in self.claims if c.scope.touches(target)]
        if not touching:
            return None
        best = max(touching, key=lambda c: _rank(c.scope, target))
        own = self.own
        if (
            own is not None
            and own.contains(target)
            and _rank(own, target) >= _rank(best.scope, target)
        ):
            return None
        return best

    def private_ok(self, scheme: str, host: str, port: int) -> bool:
        target = Target(scheme, host, port, "/", "")
        return target.netloc in self.private_hosts
