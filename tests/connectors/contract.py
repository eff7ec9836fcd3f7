"""The connector contract: one shared test suite every platform's connector must pass.

Adding a platform's scenario
----------------------------
Write `tests/connectors/scenarios/<platform>.py` exporting `SCENARIO`, a subclass of
`ContractScenario` (the class itself; the suite makes a fresh instance per test). It plays the
platform on a loopback `FakePlatform`, in the platform's real wire format (build bodies from the
recorded responses under `tests/fixtures/http/<platform>/`). Implement:

- `platform`            the key in `connectors.CONNECTORS`.
- `routes()`            {path: handler}; a path ending in "*" is a prefix route. Serve at least
                        `min_items` items over at least `min_requests` requests (i.e. >= 2 pages,
                        using the platform's own paging: `Link` header, `paging.next`, cursor...).
                        Handlers read the scenario's own state, so `add_item()` and `make_empty()`
                        change what they serve.
- `account(base_url)`   the `Account` to fetch; point `api_base` (or the locator) at `base_url`.
                        The suite allows exactly `Connector.api_hosts(account)` as hosts, so this
                        also checks that the connector declares the hosts it uses.
- `add_item(rich)`      publish one item newer than all others; return its native id. With
                        `rich=True` its body is `rich_body(html)`: RICH_HTML where the platform
                        carries HTML (statuses, blog posts, feed entries, pages), else RICH_PLAIN.
- `make_empty()`        the account now has no posts (a profile item may remain).
- `assert_incremental(requests)`  given the requests of the second fetch (made with the cursor
                        the first fetch returned), assert they ask only for what is new (since_id,
                        a stop at the stored newest id, a conditional GET, ...).

Override when the platform differs from the defaults:
- `token`               a token string handed to the connector (and to the client as a secret);
                        the suite checks it never appears in the access log.
- `auth_error(request)` the platform's response to a revoked token (default 401 JSON).
- `rate_limited(request)` the platform's throttling response (default 429, Retry-After: 1).
- `min_requests`, `min_items`, `items_when_empty`, `since`, `now`.
- `listing_path`        the path of the paged listing; in mode "publish_during_paging" an item is
                        published right after its first page is served (later pages shift by one).
- `rotate_out()`        for listings that are not a complete by-date listing (feeds, crawls): drop
                        the oldest item from the listing (its page stays online) and list the rest
                        out of date order; return its native id. None (default): not applicable.

The suite switches `mode` to "auth_error" (every request answered by `auth_error`) or
"rate_limit_once" (the first request answered by `rate_limited`, then normal); the base class
applies modes around your handlers, so handlers need not know about them.

What the suite checks (tests/connectors/test_contract.py): permalinks present and absolute,
times timezone-aware UTC, native ids unique, cursor and raw payloads JSON-able, a second fetch
with the returned cursor asks only for new items and returns the new one, an empty account ends
cleanly, auth errors raise SkippableError(reason auth/forbidden), a single throttle is retried
and succeeds, and the access log holds one record per request with the account's basis. And,
for what a platform sends: all visible text of a rich post is kept in order with line breaks; an
item published while paging (repeated across pages) is kept once and passes the data-quality
suite; a completeness claim names its listing; a fetch cut short by the page ceiling claims
nothing and says so; an item that leaves a non-chronological feed or a crawl is not deleted.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Literal, TypeVar

from connectors import connector_for
from connectors.base import Connector, FetchResult, FetchWindow
from connectors.http import HttpClient, HttpSettings
from demo.fakeplatform import FakePlatform, Handler, Request, Response
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account

Mode = Literal["normal", "auth_error", "rate_limit_once", "publish_during_paging"]
BASIS = "sponsored account: district-owned (contract test)"
# Every kind of block a post's HTML may hold, and the lines a reader sees, in order.
RICH_HTML = (
    "<p>Field trip checklist:</p><ul><li>permission slip</li><li>packed lunch</li></ul>"
    "<blockquote><p>Be on time.</p></blockquote><h2>Pickup</h2><pre>bus 7\n  at 3 pm</pre>"
)
RICH_LINES = [
    "Field trip checklist:",
    "permission slip",
    "packed lunch",
    "Be on time.",
    "Pickup",
    "bus 7",
    "  at 3 pm",
]
RICH_PLAIN = "\n".join(RICH_LINES)


def rich_body(html: bool) -> str:
    return RICH_HTML if html else RICH_PLAIN


class ContractScenario(ABC):
    platform: ClassVar[str]
    token: ClassVar[str | None] = None
    min_items: ClassVar[int] = 3
    min_requests: ClassVar[int] = 2
    items_when_empty: ClassVar[int] = 0  # non-profile items an "empty" account still yields
    listing_path: ClassVar[str] = ""
    since: ClassVar[datetime] = datetime(2000, 1, 1, tzinfo=UTC)
    now: ClassVar[datetime] = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def __init__(self) -> None:
        self.mode: Mode = "normal"
        self.fake = FakePlatform()
        for path, handler in self.routes().items():
            if path.endswith("*"):
                self.fake.route_prefix(path[:-1], self._gated(handler))
            else:
                self.fake.route(path, self._gated(handler))

    # -- what a platform provides -------------------------------------------------------------
    @abstractmethod
    def routes(self) -> dict[str, Handler]: ...

    @abstractmethod
    def account(self, base_url: str) -> Account: ...

    @abstractmethod
    def add_item(self, rich: bool = False) -> str: ...

    def rotate_out(self) -> str | None:
        return None

    @abstractmethod
    def make_empty(self) -> None: ...

    @abstractmethod
    def assert_incremental(self, requests: list[Request]) -> None: ...

    def auth_error(self, request: Request) -> Response:
        return 401, {}, {"error": "The access token is invalid"}

    def rate_limited(self, request: Request) -> Response:
        return 429, {"Retry-After": "1"}, {"error": "Too many requests"}

    # -- machinery ----------------------------------------------------------------------------
    def _gated(self, handler: Handler) -> Handler:
        def gated(request: Request) -> Response:
            if self.mode == "auth_error":
                return self.auth_error(request)
            if self.mode == "rate_limit_once":
                self.mode = "normal"
                return self.rate_limited(request)
            answer = handler(request)
            if self.mode == "publish_during_paging" and request.path == self.listing_path:
                self.mode = "normal"
                self.add_item()
            return answer

        return gated


@dataclass
class Harness:
    """A started scenario plus a connector wired to it the way the audit flow wires one."""

    scenario: ContractScenario
    account: Account
    http: HttpClient
    connector: Connector
    sleeps: list[float] = field(default_factory=list)

    def fetch(
        self, since: datetime | None = None, cursor: dict[str, object] | None = None
    ) -> tuple[FetchResult, list[Request]]:
        """Fetch and return the result with the requests this fetch made."""
        window = FetchWindow(since=since or self.scenario.since, cursor=dict(cursor or {}))
        return fetch_counting(self.scenario.fake, self.connector, window)


S = TypeVar("S", bound="ContractScenario")


@contextmanager
def started(scenario: S) -> Iterator[S]:
    """The scenario's fake platform listening on 127.0.0.1 for the block, then stopped."""
    scenario.fake.start()
    try:
        yield scenario
    finally:
        scenario.fake.stop()


def fetch_counting(
    fake: FakePlatform, connector: Connector, window: FetchWindow
) -> tuple[FetchResult, list[Request]]:
    """Fetch, and return the result with the requests this fetch made (tests assert on them)."""
    before = len(fake.requests)
    result = connector.fetch(window)
    return result, fake.requests[before:]


def harness(scenario: ContractScenario) -> Harness:
    """Build the connector for a started scenario. Sleeps are recorded, never slept."""
    account = scenario.account(scenario.fake.base_url)
    cls = connector_for(scenario.platform)
    sleeps: list[float] = []
    http = HttpClient(
        account_id=account.id,
        basis=BASIS,
        allowed_hosts=cls.api_hosts(account),
        secrets=[scenario.token] if scenario.token else [],
        settings=HttpSettings(connect_timeout=2, read_timeout=5, max_attempts=3),
        sleep=sleeps.append,
    )
    connector = cls(account, http, FixedClock(scenario.now), token=scenario.token)
    return Harness(scenario, account, http, connector, sleeps)


def discover() -> dict[str, type[ContractScenario]]:
    """Every `tests/connectors/scenarios/<name>.py` that exports SCENARIO, by module name."""
    from tests.connectors import scenarios

    found: dict[str, type[ContractScenario]] = {}
    for module in pkgutil.iter_modules(scenarios.__path__):
        loaded = importlib.import_module(f"{scenarios.__name__}.{module.name}")
        scenario = getattr(loaded, "SCENARIO", None)
        if isinstance(scenario, type) and issubclass(scenario, ContractScenario):
            found[module.name] = scenario
    return found
