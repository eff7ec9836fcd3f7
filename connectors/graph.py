"""Shared Meta Graph API plumbing for the Facebook and Instagram connectors.

- `classify`: the `HttpClient.get` hook that reads Graph error bodies. Meta answers throttling with
  HTTP 400/403 and an error *code*, not 429, so the code decides (Graph API "Handling Errors" and
  "Rate Limiting" docs): 4 (app), 17 (user), 32 (page), 613 (custom), 80001 (Pages business use
  case), 80002 (Instagram business use case) are transient; 190 (invalid/expired token) and the
  permission codes are auth failures; 100 is a bad or unknown object.
- `usage_wait`: how long the usage headers (`X-App-Usage`, `X-Page-Usage`,
  `X-Business-Use-Case-Usage`) ask us to hold off. Calls are throttled once a value reaches 100;
  `estimated_time_to_regain_access` is in minutes.
- `GraphApi.walk`: `paging.walk` over `paging.next` links (JsonLink), stopping at `since`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import requests

from connectors.errors import RetriableError, SkippableError
from connectors.http import ConnectorProblem, HttpClient, parse_retry_after
from connectors.paging import JsonLink, PageRequest, Walk, walk
from connectors.timeparse import parse_utc

THROTTLE_CODES = {4, 17, 32, 613, 80001, 80002}
# 1 "unknown error" and 2 "service temporarily unavailable" are documented as retry-later.
TRANSIENT_CODES = {1, 2}
TOKEN_CODES = {102, 190}
PERMISSION_CODES = {10, *range(200, 300)}
# When a usage header reads 100% but gives no estimate, wait this long before the next call.
# Meta's app and page limits are a rolling one-hour window, so a short pause is a first try only.
USAGE_FULL_WAIT = 60.0
# Failures of one post's comment list that leave the rest of the account readable (the post was
# deleted meanwhile, comments are restricted on it): a note, not a lost account. Token, quota and
# throttling failures concern the whole account and still end it.
ITEM_LEVEL_REASONS = {"not_found", "forbidden", "bad_request", "malformed", "gone"}
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage")
BUC_HEADER = "X-Business-Use-Case-Usage"


def parse_time(value: Any) -> datetime | None:
    """Graph times look like `2021-07-09T19:09:52+0000` (offset without colon); one without an
    offset is not a Graph time."""
    return parse_utc(value, naive_is_utc=False)


def _header_json(headers: Any, name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def usage_wait(headers: Any) -> float | None:
    """Seconds to wait before the next call according to the usage headers; None: go ahead."""
    wait: float | None = None
    for name in USAGE_HEADERS:
        usage = _header_json(headers, name)
        if isinstance(usage, dict) and _full(usage):
            wait = max(wait or 0.0, USAGE_FULL_WAIT)
    buc = _header_json(headers, BUC_HEADER)
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, (int, float)) and minutes > 0:
                    wait = max(wait or 0.0, float(minutes) * 60.0)
                elif _full(entry):
                    wait = max(wait or 0.0, USAGE_FULL_WAIT)
    return wait


def _full(usage: dict[str, Any]) -> bool:
    keys = ("call_count", "total_cputime", "total_time", "acc_id_util_pct")
    return any(isinstance(usage.get(k), (int, float)) and usage[k] >= 100 for k in keys)


def classify(response: requests.Response) -> ConnectorProblem | None:
    """Map a Graph error body to retriable / skippable; None leaves it to the HTTP layer."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    message = f"Graph API error {code}: {error.get('message', '')}".strip()
    if code in THROTTLE_CODES:
        hinted = usage_wait(response.headers)
        if hinted is None:
            hinted = parse_retry_after(response.headers.get("Retry-After"))
        return RetriableError(f"rate limited ({message})", retry_after=hinted)
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return RetriableError(message)
    if code in TOKEN_CODES:
        return SkippableError(message, reason="auth")
    if code in PERMISSION_CODES:
        return SkippableError(message, reason="forbidden")
    if code == 100:
        # (#100) covers both "object does not exist" and a bad parameter; subcode 33 is the former.
        missing = error.get("error_subcode") == 33 or "does not exist" in str(error.get("message"))
        return SkippableError(message, reason="not_found" if missing else "bad_request")
    if error.get("type") == "OAuthException" and response.status_code in (401, 403):
        return SkippableError(message, reason="auth")
    return None


class GraphApi:
    """Graph requests for one account: bearer token header, usage-aware pacing, paging."""

    def __init__(self, http: HttpClient, base: str, token: str) -> None:
        self.http = http
        self.base = base.rstrip("/")
        # Graph accepts the token as a bearer header; it then stays out of URLs and logs.
        self._headers = {"Authorization": f"Bearer {token}"}
        self._pending_wait: float | None = None

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.get_page(path_or_url, params)[0]

    def get_page(
        self, path_or_url: str, params: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], requests.Response]:
        self._respect_usage()
        url = path_or_url if "://" in path_or_url else f"{self.base}/{path_or_url.lstrip('/')}"
        body, response = self.http.get_json(
            url, params=params, headers=self._headers, classify=classify
        )
        self._pending_wait = usage_wait(response.headers)
        if not isinstance(body, dict):
            raise SkippableError(
                f"malformed Graph response from {self.http.redact(url)}: expected an object",
                reason="malformed",
            )
        return body, response

    def _respect_usage(self) -> None:
        wait, self._pending_wait = self._pending_wait, None
        if wait is None:
            return
        if wait > self.http.settings.max_wait:
            raise SkippableError(
                f"rate limited: usage headers ask for a {wait:.0f}s pause", reason="rate_limited"
            )
        self.http.sleep(wait)

    def walk_children(
        self, path: str, params: dict[str, Any], notes: list[str], max_pages: int
    ) -> list[dict[str, Any]]:
        """Walk a per-post edge (comments); an item-level failure becomes a note."""
        try:
            found = self.walk(
                path, params, since=None, time_field="created_time", max_pages=max_pages
            )
        except SkippableError as exc:
            if exc.reason not in ITEM_LEVEL_REASONS:
                raise
            notes.append(f"{path} not read ({exc.reason}): {exc}")
            return []
        notes += found.notes
        return found.items

    def walk(
        self,
        path: str,
        params: dict[str, Any],
        *,
        since: datetime | None,
        time_field: str,
        max_pages: int,
        max_items: int | None = None,
    ) -> Walk[dict[str, Any]]:
        """Follow `paging.next` from `path` until the end, `since`, or a limit."""

        def fetch(request: PageRequest) -> tuple[Any, requests.Response]:
            return self.get_page(request.url, request.params)

        def rows(body: Any) -> list[dict[str, Any]]:
            data = body.get("data")
            if not isinstance(data, list):
                raise SkippableError(
                    f"malformed Graph page from {path}: no data list", reason="malformed"
                )
            return [r for r in data if isinstance(r, dict)]

        def past(row: dict[str, Any]) -> bool:
            when = parse_time(row.get(time_field))
            return since is not None and when is not None and when < since

        return walk(
            fetch,
            PageRequest(f"{self.base}/{path.lstrip('/')}", params),
            JsonLink("paging", "next"),
            rows=rows,
            key=lambda r: str(r["id"]) if r.get("id") else None,
            past=past,
            label=path,
            max_pages=max_pages,
            max_items=max_items,
            # The edges are filtered by `since` on the server but their order is not
            # promised (a post may be listed by its last activity): a page stops the walk
            # only when everything on it is older.
            stop_when_all_past=True,
        )
