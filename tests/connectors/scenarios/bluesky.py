"""Contract scenario for `bluesky`, also the fake AppView test_bluesky.py drives.

It serves the recorded getAuthorFeed body (tests/fixtures/http/bluesky/author-feed.json, 50
entries of osmote.net, newest first) split into pages of `page_size`, chained with cursors in the
2024 form `{epoch ms}::{cid}`; the last page has no cursor, as on the AppView. The recorded profile
belongs to another actor and is re-homed to osmote.net. getPostThread answers with the feed's own
post and the replies a test puts in `replies`. The recorded CDN hosts are rewritten to the fake's
base URL when served (no test reaches the network), and the fake answers image paths with a PNG.
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

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "bluesky"
DID = "did:plc:etdcb47v54mwv2wdufhi4tu6"
HANDLE = "osmote.net"
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
PROFILE = "/xrpc/app.bsky.actor.getProfile"
THREAD = "/xrpc/app.bsky.feed.getPostThread"
CDN_HOSTS = ("https://cdn.bsky.app", "https://av-cdn.bsky.app", "https://cdn.bsky.social")
# A 1x1 PNG for every image URL.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def thread_view(
    post: dict[str, Any], replies: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.defs#threadViewPost", "post": post, "replies": replies or []}


def reply_to(parent: dict[str, Any], template: dict[str, Any], rkey: str) -> dict[str, Any]:
    """A real PostView re-pointed as a reply to `parent` (its record.reply names the parent)."""
    post = copy.deepcopy(template)
    did = post["author"]["did"]
    post["uri"] = f"at://{did}/app.bsky.feed.post/{rkey}"
    ref = {"uri": parent["uri"], "cid": parent["cid"]}
    post["record"]["reply"] = {"root": ref, "parent": ref}
    return post


class BlueskyScenario(ContractScenario):
    platform = "bluesky"
    listing_path = FEED
    min_items = 50
    now = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
    page_size = 20

    def __init__(self) -> None:
        profile = load("profile.json")
        profile.update(did=DID, handle=HANDLE, displayName="OSMOTE")
        self.profile = profile
        self.feed: list[dict[str, Any]] = load("author-feed.json")["feed"]
        self.replies: dict[str, list[dict[str, Any]]] = {}  # post uri -> threadViewPost replies
        self.script: dict[str, list[Response]] = {}
        self.repeat_cursor = False
        super().__init__()

    # -- contract -----------------------------------------------------------------------------
    def routes(self) -> dict[str, Handler]:
        return {
            PROFILE: self._scripted(self._profile),
            FEED: self._scripted(self._feed),
            THREAD: self._scripted(self._thread),
            "/img/*": self._image,
            "/imgproxy/*": self._image,
        }

    def account(self, base_url: str) -> Account:
        return Account(
            id="bsky-teacher",
            kind="employee",
            owner="E200",
            platform="bluesky",
            locator=f"https://bsky.app/profile/{HANDLE}",
            api_base=base_url,
        )

    def add_item(self, rich: bool = False) -> str:
        template = next(e for e in self.feed if not e.get("reason") and not e.get("reply"))
        entry = copy.deepcopy(template)
        newest = max((_entry_time(e) for e in self.feed), default=self.now - timedelta(days=1))
        when = (newest + timedelta(minutes=1)).isoformat(timespec="milliseconds")
        entry["post"]["uri"] = f"at://{DID}/app.bsky.feed.post/3kzznewpost2a"
        text = rich_body(html=False) if rich else "A new post"
        entry["post"]["record"].update(text=text, createdAt=when.replace("+00:00", "Z"))
        entry["post"]["indexedAt"] = entry["post"]["record"]["createdAt"]
        self.feed.insert(0, entry)
        return str(entry["post"]["uri"])

    def make_empty(self) -> None:
        self.feed = []

    def assert_incremental(self, requests: list[Request]) -> None:
        pages = [r for r in requests if r.path == FEED]
        assert [(p.arg("actor"), p.arg("cursor")) for p in pages] == [(DID, None)]

    def auth_error(self, request: Request) -> Response:
        return 401, {}, {"error": "AuthMissing", "message": "Authentication Required"}

    def rate_limited(self, request: Request) -> Response:
        reset = int((self.now + timedelta(seconds=2)).timestamp())
        return (
            429,
            {
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            },
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        )

    # -- the fake AppView ---------------------------------------------------------------------
    def on(self, path: str, *answers: Response) -> None:
        self.script[path] = list(answers)

    def serve(self, body: Any) -> Any:
        text = json.dumps(body)
        for host in CDN_HOSTS:
            text = text.replace(host, self.fake.base_url)
        return json.loads(text)

    def _image(self, request: Request) -> Response:
        return 200, {"Content-Type": "image/png"}, PNG

    def _scripted(self, handler: Handler) -> Handler:
        def scripted(request: Request) -> Response:
            queue = self.script.get(request.path)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
            return handler(request)

        return scripted

    def _profile(self, request: Request) -> Response:
        if request.arg("actor") not in (HANDLE, DID):
            return 400, {}, {"error": "InvalidRequest", "message": "Profile not found"}
        return 200, {}, self.serve(self.profile)

    def _feed(self, request: Request) -> Response:
        limit = min(int(request.arg("limit") or 50), self.page_size)
        start = 0
        cursor = request.arg("cursor")
        if cursor:
            cid = cursor.split("::", 1)[1]
            start = 1 + next(i for i, e in enumerate(self.feed) if e["post"]["cid"] == cid)
        if self.repeat_cursor:
            start = 0  # a broken server: every cursor leads back to the first page
        page = self.feed[start : start + limit]
        body: dict[str, Any] = {"feed": page}
        if start + limit < len(self.feed):
            last = page[-1]
            body["cursor"] = f"{int(_entry_time(last).timestamp() * 1000)}::{last['post']['cid']}"
        return 200, {}, self.serve(body)

    def _thread(self, request: Request) -> Response:
        uri = request.arg("uri")
        post = next((e["post"] for e in self.feed if e["post"]["uri"] == uri), None)
        if post is None:
            return 400, {}, {"error": "NotFound", "message": f"Post not found: {uri}"}
        return 200, {}, self.serve({"thread": thread_view(post, self.replies.get(str(uri)))})


def _entry_time(entry: dict[str, Any]) -> datetime:
    reason = entry.get("reason") or {}
    value = reason.get("indexedAt") or entry["post"]["indexedAt"]
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


SCENARIO = BlueskyScenario
