"""Contract scenario for `instagram`, also the fake IG Graph API test_instagram.py drives.

It serves the recorded bodies (tests/fixtures/http/instagram/) for IG user 17841406338772941:
the profile (its recorded id aligned with the media pages), `/media` page 1 (two images, its
`paging.next` re-pointed at the fake), page 2 (a carousel with a VIDEO child and an image;
`previous` only, so the last page) and comments under the one media with `comments_count > 0`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from demo.fakeplatform import Request, Response
from hallmonitor.config import Account
from tests.connectors.contract import rich_body
from tests.connectors.scenarios.facebook import GraphScenario, first_page, graph_error, load

IG = "17841406338772941"
COMMENTED = "17896622936197745"
CAROUSEL = "17896129349106152"


class InstagramScenario(GraphScenario):
    platform = "instagram"
    listing_path = f"/v19.0/{IG}/media"
    since = datetime(2021, 1, 1, tzinfo=UTC)
    now = datetime(2021, 8, 20, tzinfo=UTC)

    def __init__(self, kind: str = "sponsored") -> None:
        self.kind = kind
        self.profile = {**load("instagram", "user-profile.json"), "id": IG}
        self.page1 = load("instagram", "user-media-page1.json")
        self.page2 = load("instagram", "user-media-page2-carousel.json")
        self.comments = load("instagram", "comments-synthetic.json")
        super().__init__()

    def account(self, base_url: str) -> Account:
        extra = {"owner": "e100"} if self.kind == "employee" else {}
        return Account.model_validate(
            {
                "id": "ig-district",
                "kind": self.kind,
                "platform": "instagram",
                "locator": IG,
                "api_base": f"{base_url}/v19.0",
                "token_env": "IG_TOKEN",
                **extra,
            }
        )

    def add_item(self, rich: bool = False) -> str:
        times = [datetime.fromisoformat(m["timestamp"]) for m in self.page1["data"]]
        # Newer than everything, comments included (the newest comment is 2021-08-13T10:00).
        when = max([*times, datetime(2021, 8, 13, 10, tzinfo=UTC)]) + timedelta(hours=1)
        media_id = f"1790000{int(when.timestamp())}"
        self.page1["data"].insert(
            0,
            {
                "id": media_id,
                "caption": rich_body(html=False) if rich else "New post",
                "media_type": "IMAGE",
                "comments_count": 0,
                "media_url": f"https://scontent-gmp1-1.cdninstagram.com/v/{media_id}_n.jpg",
                "permalink": f"https://www.instagram.com/p/New{media_id[-6:]}/",
                "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            },
        )
        return media_id

    def make_empty(self) -> None:
        self.page1 = {"data": [], "paging": {}}
        self.page2 = {"data": [], "paging": {}}

    def assert_incremental(self, requests: list[Request]) -> None:
        edge = [r for r in requests if r.path.endswith("/media")]
        assert len(edge) == 1 and edge[0].arg("since"), [r.path for r in edge]
        assert not any(r.path.endswith("/comments") for r in requests)

    def serve(self, request: Request) -> Response:
        path = request.path
        if path == f"/v19.0/{IG}":
            return 200, {}, self.profile
        if path == f"/v19.0/{IG}/media":
            return 200, {}, self.page_one(request.arg("since"))
        if path == f"/v6.0/{IG}/media" and request.arg("after") == "page2":
            return 200, {}, self.page2
        if path == f"/v19.0/{COMMENTED}/comments":
            return 200, {}, self.comments
        return 400, {}, graph_error(100, "(#100) Object does not exist", error_subcode=33)

    def page_one(self, since: str | None) -> dict[str, Any]:
        return first_page(self.page1, self.fake, since, "timestamp")

    def rate_limited(self, request: Request) -> Response:
        # Instagram's business-use-case throttle (80002), with its usage header.
        usage = json.dumps(
            {
                IG: [
                    {
                        "type": "instagram",
                        "call_count": 100,
                        "total_cputime": 10,
                        "total_time": 10,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            }
        )
        return 400, {"X-Business-Use-Case-Usage": usage}, graph_error(80002)


SCENARIO = InstagramScenario
