"""Contract scenario for `youtube`, also the fake Data API v3 test_youtube.py drives.

It serves the recorded bodies (tests/fixtures/http/youtube/): `channels` answers from the recorded
two-channel list by `id` or `forHandle`, and `playlistItems` pages the 13 recorded items of channel
UC_x5XG1OV2P6uZZ5FSM9Ttw. The recording is an ordinary playlist in ascending order; an uploads
playlist lists newest first, so the items are served newest first, at most 10 per page (the
recorded `resultsPerPage`), with the recorded `nextPageToken` `CAoQAA` for the second page.
The API key must arrive in the `X-Goog-Api-Key` header.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.fakeplatform import Handler, Request, Response
from hallmonitor.config import Account
from tests.connectors.contract import ContractScenario, rich_body

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "youtube"
KEY = "AIzaSy-test-api-key"
CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
UPLOADS = "UU_x5XG1OV2P6uZZ5FSM9Ttw"
PAGE_SIZE = 10
TOKENS = {10: "CAoQAA", 20: "CBQQAA"}  # offset -> recorded-style page token


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def recorded_items() -> list[dict[str, Any]]:
    items = load("playlistitems-page1.json")["items"] + load("playlistitems-page2.json")["items"]
    return sorted(items, key=lambda i: i["snippet"]["publishedAt"], reverse=True)


def page_token(offset: int) -> str:
    return TOKENS.get(offset, f"offset{offset}")


def token_offset(token: str | None) -> int:
    recorded = {t: n for n, t in TOKENS.items()}
    if not token:
        return 0
    return recorded.get(token) or int(token.removeprefix("offset"))


def youtube_error(code: int, reason: str, message: str) -> dict[str, Any]:
    """An error body in the shape of the recorded quotaExceeded answer."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "youtube", "reason": reason}],
        }
    }


class YouTubeScenario(ContractScenario):
    platform = "youtube"
    token = KEY
    listing_path = "/youtube/v3/playlistItems"
    since = datetime(2019, 1, 1, tzinfo=UTC)
    now = datetime(2019, 12, 1, tzinfo=UTC)

    def __init__(self, locator: str = CHANNEL) -> None:
        self.locator = locator
        self.channels = load("channels-contentdetails.json")
        self.items = recorded_items()
        self.queues: dict[str, list[Response]] = {}
        super().__init__()

    def on(self, path: str, *answers: Response) -> None:
        """Answer the next requests to `path` with these, in order; then serve normally."""
        self.queues[path] = list(answers)

    def routes(self) -> dict[str, Handler]:
        return {"/youtube/v3/*": self._dispatch}

    def account(self, base_url: str) -> Account:
        return Account(
            id="yt-district",
            kind="sponsored",
            platform="youtube",
            locator=self.locator,
            api_base=f"{base_url}/youtube/v3",
            token_env="YOUTUBE_API_KEY",
        )

    def add_item(self, rich: bool = False) -> str:
        newest = max(
            (datetime.fromisoformat(i["snippet"]["publishedAt"]) for i in self.items),
            default=self.now - timedelta(days=1),
        )
        when = (newest + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        video_id = f"NewVid{len(self.items):05d}"
        self.items.insert(
            0,
            {
                "kind": "youtube#playlistItem",
                "id": f"UU{video_id}",
                "snippet": {
                    "publishedAt": when,
                    "channelId": CHANNEL,
                    "title": "New upload",
                    "description": rich_body(html=False) if rich else "Fresh from the district.",
                    "playlistId": UPLOADS,
                    "thumbnails": {
                        "high": {
                            "url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg",
                            "width": 480,
                            "height": 360,
                        }
                    },
                    "position": 0,
                    "resourceId": {"kind": "youtube#video", "videoId": video_id},
                },
                "contentDetails": {"videoId": video_id, "videoPublishedAt": when},
                "status": {"privacyStatus": "public"},
            },
        )
        return video_id

    def make_empty(self) -> None:
        self.items = []

    def assert_incremental(self, requests: list[Request]) -> None:
        pages = [r for r in requests if r.path.endswith("/playlistItems")]
        assert len(pages) == 1 and pages[0].arg("pageToken") is None

    def auth_error(self, request: Request) -> Response:
        message = "API key not valid. Please pass a valid API key."
        body = youtube_error(400, "badRequest", message)
        body["error"]["status"] = "INVALID_ARGUMENT"
        return 400, {}, body

    def rate_limited(self, request: Request) -> Response:
        return 403, {}, youtube_error(403, "rateLimitExceeded", "The request rate is too high.")

    # -- the fake API -----------------------------------------------------------------------------
    def _dispatch(self, request: Request) -> Response:
        queue = self.queues.get(request.path)
        if queue:
            return queue.pop(0)
        if request.headers.get("X-Goog-Api-Key") != KEY:
            return self.auth_error(request)
        if request.path == "/youtube/v3/channels":
            return 200, {}, self._channels(request)
        if request.path == "/youtube/v3/playlistItems":
            return self._playlist_items(request)
        return 404, {}, youtube_error(404, "notFound", "Not Found")

    def _channels(self, request: Request) -> dict[str, Any]:
        wanted = request.arg("id")
        handle = request.arg("forHandle")
        found = [
            c
            for c in self.channels["items"]
            if c["id"] == wanted or (handle and c["snippet"].get("customUrl") == handle)
        ]
        body = {k: v for k, v in self.channels.items() if k != "items"}
        body["pageInfo"] = {"totalResults": len(found), "resultsPerPage": 5}
        if found:  # the API leaves `items` out when nothing matched
            body["items"] = found
        return body

    def _playlist_items(self, request: Request) -> Response:
        if request.arg("playlistId") != UPLOADS:
            return 404, {}, youtube_error(404, "playlistNotFound", "Playlist not found.")
        offset = token_offset(request.arg("pageToken"))
        size = min(int(request.arg("maxResults") or 5), PAGE_SIZE)
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": f"etag-{offset}",
            "pageInfo": {"totalResults": len(self.items), "resultsPerPage": size},
            "items": self.items[offset : offset + size],
        }
        if offset + size < len(self.items):
            body["nextPageToken"] = page_token(offset + size)
        return 200, {}, body


SCENARIO = YouTubeScenario
