"""Contract scenario for `facebook`, also the fake Graph API test_facebook.py drives.

It serves the recorded Graph API v10 bodies (tests/fixtures/http/facebook/) for page 19292868552:
the profile, `/feed` page 1 (five posts: photo, share, video) whose recorded `paging.next` is
rewritten to the fake's base URL and a distinct cursor, page 2 (the recorded album post, no
`next`: the last page), and comments under the first post. Like the real API, `since` (a Unix
time) ends the edge early. Fault scenarios queue answers per path with `on()`.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.fakeplatform import FakePlatform, Handler, Request, Response
from hallmonitor.config import Account
from tests.connectors.contract import ContractScenario, rich_body

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "http"
TOKEN = "EAAB-page-token-secret"
PAGE = "19292868552"
FIRST_POST = "19292868552_10158349356748553"
ALBUM_POST = "565225540184937_4018908568149933"


def load(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def graph_error(code: int, message: str = "error", **extra: Any) -> dict[str, Any]:
    """A Graph API error body (shape from the Graph API "Handling Errors" doc)."""
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AbC",
            **extra,
        }
    }


def first_page(
    recorded: dict[str, Any], fake: FakePlatform, since: str | None, time_field: str
) -> dict[str, Any]:
    """A recorded first page served by the fake: `next` re-pointed at the fake with cursor
    `page2`, and rows older than `since` dropped (which also ends the edge, as the API does)."""
    body = copy.deepcopy(recorded)
    if "next" in body.get("paging", {}):
        body["paging"]["next"] = (
            body["paging"]["next"]
            .replace("https://graph.facebook.com", fake.base_url)
            .replace("after=after", "after=page2")
        )
    if since:
        cutoff = datetime.fromtimestamp(int(since), UTC)
        kept = [r for r in body["data"] if datetime.fromisoformat(r[time_field]) >= cutoff]
        if len(kept) < len(body["data"]):
            body["paging"].pop("next", None)
        body["data"] = kept
    return body


class GraphScenario(ContractScenario):
    """Shared by the Facebook and Instagram scenarios: queued answers and Graph faults."""

    token = TOKEN

    def __init__(self) -> None:
        self.queues: dict[str, list[Response]] = {}
        super().__init__()

    def on(self, path: str, *answers: Response) -> None:
        """Answer `path` with these, in order (the last one repeats), before the normal data."""
        self.queues[path] = list(answers)

    def routes(self) -> dict[str, Handler]:
        return {"/*": self._dispatch}

    def _dispatch(self, request: Request) -> Response:
        queue = self.queues.get(request.path)
        if queue:
            return queue.pop(0) if len(queue) > 1 else queue[0]
        return self.serve(request)

    def serve(self, request: Request) -> Response:
        raise NotImplementedError

    def auth_error(self, request: Request) -> Response:
        return (
            400,
            {},
            graph_error(
                190, "Error validating access token: Session has expired", error_subcode=463
            ),
        )

    def rate_limited(self, request: Request) -> Response:
        return 400, {}, load("facebook", "error-code4-rate-limit.json")


class FacebookScenario(GraphScenario):
    platform = "facebook"
    listing_path = f"/v19.0/{PAGE}/feed"
    since = datetime(2020, 1, 1, tzinfo=UTC)
    now = datetime(2021, 7, 12, tzinfo=UTC)

    def __init__(self, kind: str = "sponsored") -> None:
        self.kind = kind
        self.profile = {**load("facebook", "page-profile.json"), "id": PAGE}  # align with feed
        self.page1 = load("facebook", "page-feed.json")
        self.page2: dict[str, Any] = {
            "data": [load("facebook", "post-album-subattachments.json")],
            "paging": {"cursors": {"before": "b2", "after": "a2"}},
        }
        self.comments = load("facebook", "comments-synthetic.json")
        super().__init__()

    def account(self, base_url: str) -> Account:
        extra = {"owner": "e100"} if self.kind == "employee" else {}
        return Account.model_validate(
            {
                "id": "fb-district",
                "kind": self.kind,
                "platform": "facebook",
                "locator": PAGE,
                "api_base": f"{base_url}/v19.0",
                "token_env": "FB_TOKEN",
                **extra,
            }
        )

    def add_item(self, rich: bool = False) -> str:
        newest = (
            max(datetime.fromisoformat(p["created_time"]) for p in self.page1["data"])
            if self.page1["data"]
            else self.now - timedelta(days=2)
        )
        when = max(newest, datetime(2021, 7, 9, 21, tzinfo=UTC)) + timedelta(hours=1)
        post_id = f"{PAGE}_{int(when.timestamp())}"
        self.page1["data"].insert(
            0,
            {
                "id": post_id,
                "message": rich_body(html=False) if rich else "New post",
                "created_time": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink_url": f"https://www.facebook.com/{PAGE}/posts/{post_id.split('_')[1]}/",
                "comments": {"data": [], "summary": {"total_count": 0}},
            },
        )
        return post_id

    def make_empty(self) -> None:
        self.page1 = {"data": [], "paging": {}}
        self.page2 = {"data": [], "paging": {}}

    def assert_incremental(self, requests: list[Request]) -> None:
        edge = [r for r in requests if r.path.endswith(("/feed", "/posts"))]
        assert len(edge) == 1 and edge[0].arg("since"), [r.path for r in edge]
        assert not any(r.path.endswith("/comments") for r in requests)

    def serve(self, request: Request) -> Response:
        path = request.path
        if path == f"/v19.0/{PAGE}":
            return 200, {}, self.profile
        if path in (f"/v19.0/{PAGE}/feed", f"/v19.0/{PAGE}/posts"):
            return 200, {}, self.page_one(request.arg("since"))
        if path == f"/v10.0/{PAGE}/feed" and request.arg("after") == "page2":
            return 200, {}, self.page2
        if path == f"/v19.0/{FIRST_POST}/comments":
            return 200, {}, self.comments
        if path.endswith("/comments"):
            return 200, {}, {"data": []}
        return 400, {}, load("facebook", "error-code100.json")

    def page_one(self, since: str | None) -> dict[str, Any]:
        return first_page(self.page1, self.fake, since, "created_time")


SCENARIO = FacebookScenario
