"""Contract scenario for `mastodon`, also the fake instance test_mastodon.py drives.

It serves the recorded Mastodon.py cassette bodies (tests/fixtures/http/mastodon/) for account
`mastodonpy_test`: lookup, a timeline of eight statuses (five plain, two images with alt text, a
boost, an edited status) paged like Mastodon does it: newest first, `max_id`/`since_id` honoured,
a `Link: <...max_id=...>; rel="next"` header only on a full page (app/controllers/api/v1/accounts/
statuses_controller.rb: `records_continue?`), and, like the real header, without `since_id`.
The recorded `http://localhost:3000` is rewritten to the fake's base URL when served; media paths
(`/system/...`) answer with a PNG.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.fakeplatform import Handler, Request, Response
from hallmonitor.config import Account
from tests.connectors.contract import ContractScenario, rich_body
from tests.connectors.scenarios.bluesky import PNG

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "mastodon"
RECORDED_BASE = "http://localhost:3000"
ACCOUNT_ID = "117020565966271181"
STATUSES_PATH = f"/api/v1/accounts/{ACCOUNT_ID}/statuses"
RESET = "2026-08-01T13:55:00.212100Z"  # the recorded X-RateLimit-Reset


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def recorded_timeline() -> list[dict[str, Any]]:
    """The recorded statuses, newest first. The edited status was recorded from a second test
    account; it is re-homed to `mastodonpy_test` so the whole timeline is one account's."""
    owner = load("account-lookup.json")
    edited = load("status-edited.json")
    edited["account"] = owner
    edited["uri"] = edited["uri"].replace("117020566092212359", ACCOUNT_ID)
    edited["url"] = edited["url"].replace("mastodonpy_test_2", "mastodonpy_test")
    statuses = [
        *load("account-statuses.json"),
        load("status-with-media.json"),
        load("status-reblog.json"),
        edited,
    ]
    return sorted(statuses, key=lambda s: int(s["id"]), reverse=True)


class MastodonScenario(ContractScenario):
    platform = "mastodon"
    min_items = 8
    now = datetime(2026, 8, 1, 13, 54, 30, tzinfo=UTC)
    listing_path = STATUSES_PATH
    page_size = 3  # the instance's cap; smaller than what the connector asks for

    def __init__(self) -> None:
        self.profile = load("account-lookup.json")
        self.timeline = recorded_timeline()
        self.contexts: dict[str, list[dict[str, Any]]] = {}
        # Scripted answers per path, served before the normal handler (the last one repeats).
        self.script: dict[str, list[Response]] = {}
        self.rate_headers = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "299",
            "X-RateLimit-Reset": RESET,
        }
        super().__init__()

    # -- contract -----------------------------------------------------------------------------
    def routes(self) -> dict[str, Handler]:
        return {
            "/api/v1/accounts/lookup": self._scripted(self._lookup),
            STATUSES_PATH: self._scripted(self._statuses),
            "/api/v1/statuses/*": self._scripted(self._context),
            "/system/*": lambda request: (200, {"Content-Type": "image/png"}, PNG),
        }

    def account(self, base_url: str) -> Account:
        return Account(
            id="mastodon-teacher",
            kind="employee",
            owner="E100",
            platform="mastodon",
            locator="@mastodonpy_test",
            api_base=base_url,
        )

    def add_item(self, rich: bool = False) -> str:
        newest = self.timeline[0] if self.timeline else load("account-statuses.json")[0]
        status = copy.deepcopy(load("account-statuses.json")[0])
        status["id"] = str(int(newest["id"]) + 1000)
        status["created_at"] = _iso(_time(newest["created_at"]) + timedelta(minutes=1))
        status["url"] = f"{RECORDED_BASE}/@mastodonpy_test/{status['id']}"
        status["uri"] = f"{RECORDED_BASE}/ap/users/{ACCOUNT_ID}/statuses/{status['id']}"
        status["content"] = rich_body(html=True) if rich else "<p>A new toot</p>"
        self.timeline.insert(0, status)
        return str(status["id"])

    def make_empty(self) -> None:
        self.timeline = []

    def assert_incremental(self, requests: list[Request]) -> None:
        pages = [r for r in requests if r.path == STATUSES_PATH]
        assert len(pages) == 1, pages
        assert pages[0].arg("since_id") == self.timeline[1]["id"]

    def rate_limited(self, request: Request) -> Response:
        reset = _iso(self.now + timedelta(seconds=2))
        return (
            429,
            {**self.rate_headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
            {"error": "Too many requests"},
        )

    def auth_error(self, request: Request) -> Response:
        return 401, {}, {"error": "This API requires an authenticated user"}

    # -- the fake instance --------------------------------------------------------------------
    def on(self, path: str, *answers: Response) -> None:
        self.script[path] = list(answers)

    def serve(self, body: Any) -> Any:
        return json.loads(json.dumps(body).replace(RECORDED_BASE, self.fake.base_url))

    def _scripted(self, handler: Handler) -> Handler:
        def scripted(request: Request) -> Response:
            queue = self.script.get(request.path)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
            return handler(request)

        return scripted

    def _lookup(self, request: Request) -> Response:
        return 200, dict(self.rate_headers), self.serve(self.profile)

    def _statuses(self, request: Request) -> Response:
        limit = min(int(request.arg("limit") or 20), self.page_size)
        rows = self.timeline
        if request.arg("max_id"):
            rows = [s for s in rows if int(s["id"]) < int(request.arg("max_id") or 0)]
        if request.arg("since_id"):
            rows = [s for s in rows if int(s["id"]) > int(request.arg("since_id") or 0)]
        page = rows[:limit]
        headers = dict(self.rate_headers)
        if page and len(page) == limit:
            url = f"{self.fake.base_url}{STATUSES_PATH}?limit={limit}"
            headers["Link"] = (
                f'<{url}&max_id={page[-1]["id"]}>; rel="next", '
                f'<{url}&min_id={page[0]["id"]}>; rel="prev"'
            )
        return 200, headers, self.serve(page)

    def _context(self, request: Request) -> Response:
        status_id = request.path.removeprefix("/api/v1/statuses/").removesuffix("/context")
        return (
            200,
            dict(self.rate_headers),
            self.serve({"ancestors": [], "descendants": self.contexts.get(status_id, [])}),
        )


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


SCENARIO = MastodonScenario
