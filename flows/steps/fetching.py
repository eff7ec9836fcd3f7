"""Fetch one account: the window to ask for, the connector call and the media downloads.

Plain functions (the Prefect task in flows/audit.py only wraps `fetch_account`). Nothing here
writes to the warehouse; the outcome is handed back to the flow, which owns the single writer.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors import connector_for
from connectors.base import FetchSettings, FetchWindow, Item
from connectors.errors import ConnectorError, NotPermitted, Reason, SkippableError
from connectors.http import AccessRecord, Deadline, HttpClient, HttpSettings
from connectors.scope import AccessPolicy, Claim
from flows.checkpoints import checkpoint
from hallmonitor.clock import Clock
from hallmonitor.config import Account, District
from hallmonitor.permissions import FetchDecision
from warehouse.store import CursorState, MediaDownload, write_media_file

TRANSIENT_MEDIA_FAILURES = {
    Reason.TRANSIENT_EXHAUSTED,
    Reason.TRANSIENT,
    Reason.REQUEST_ERROR,
    Reason.RESPONSE_DEADLINE,
    Reason.ACCOUNT_DEADLINE,
    Reason.RUN_BUDGET,
}
MEDIA_HOST_BREAKER = 3
MAX_MEDIA_PER_ACCOUNT = 500


class AccessSink:
    """Thread-safe collector of access records, shared by the fetch tasks of one run so that
    requests made by attempts that later failed are still logged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[AccessRecord] = []

    def __call__(self, record: AccessRecord) -> None:
        with self._lock:
            self._records.append(record)

    def drain(self, account_id: str) -> list[AccessRecord]:
        with self._lock:
            mine = [r for r in self._records if r.account_id == account_id]
            self._records = [r for r in self._records if r.account_id != account_id]
        return mine


class TransientAccountFailure(Exception):
    """The platform kept failing transiently; the Prefect task may retry the whole account."""


@dataclass
class FetchOutcome:
    account_id: str
    window: FetchWindow
    items: list[Item] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    complete_since: datetime | None = None
    complete_how: str | None = None
    gone: dict[str, str] = field(default_factory=dict)  # native id -> how the platform said so
    cut_short: str | None = None  # a limit ended the fetch early: coverage is partial
    media: list[MediaDownload] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: Reason | None = None  # set when the account could not be completed
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def window_for(district: District, state: CursorState | None, now: datetime) -> FetchWindow:
    """First fetch: backfill_days back. Later: from the high-water mark less an overlap, except
    every rescan_days a full re-scan of that many days, which is how edits and deletions of older
    posts are noticed."""
    if state is None:
        return FetchWindow(
            since=now - timedelta(days=district.backfill_days), cursor={}, full_rescan=True
        )
    rescan_due = state.last_full_scan is None or now - state.last_full_scan >= timedelta(
        days=district.rescan_days
    )
    if rescan_due:
        return FetchWindow(
            since=now - timedelta(days=district.rescan_days), cursor=state.cursor, full_rescan=True
        )
    # Re-read a little behind the high-water mark (posts the platform indexed late, clock skew);
    # kept short so a night asks only for what is new; the periodic re-scan catches older edits.
    since = (state.high_water or now) - timedelta(minutes=district.overlap_minutes)
    return FetchWindow(since=since, cursor=state.cursor, full_rescan=False)


def next_cursor_state(old: CursorState | None, outcome: FetchOutcome, now: datetime) -> CursorState:
    times = [i.published_at for i in outcome.items if i.published_at is not None]
    high = max(times) if times else None
    if old is not None and old.high_water is not None and (high is None or old.high_water > high):
        high = old.high_water
    last_full = now if outcome.window.full_rescan else (old.last_full_scan if old else None)
    return CursorState(cursor=outcome.cursor, high_water=high, last_full_scan=last_full)


def make_client(
    account: Account,
    decision: FetchDecision,
    sink: AccessSink | None = None,
    http_settings: HttpSettings | None = None,
    claims: Sequence[Claim] = (),
    run_deadline: float | None = None,
) -> HttpClient:
    """The account's HTTP client: the gate's decision (`allowed`, a second line of defence), its
    access policy (own scope, media hosts, every other account's claim) and its deadlines."""
    cls = connector_for(account.platform)
    settings = http_settings or HttpSettings()
    token = os.environ.get(account.token_env) if account.token_env else None
    media = set(cls.media_hosts) | set(account.media_hosts)
    api = cls.api_hosts(account)
    deadlines: list[Deadline] = [(time.monotonic() + settings.account_deadline, "account_deadline")]
    if run_deadline is not None:
        deadlines.append((run_deadline, "run_budget"))
    return HttpClient(
        account_id=account.id,
        basis=decision.basis,
        allowed_hosts=api | media,
        allowed=decision.allowed,
        secrets=[token] if token else [],
        settings=settings,
        on_access=sink,
        policy=AccessPolicy.for_account(account, api, media, claims),
        deadlines=tuple(deadlines),
    )


def fetch_account(
    account: Account,
    decision: FetchDecision,
    window: FetchWindow,
    media_root: Path,
    known_media: dict[str, str | None],
    clock: Clock,
    sink: AccessSink,
    http_settings: HttpSettings | None = None,
    fetch_settings: FetchSettings | None = None,
    claims: Sequence[Claim] = (),
    run_deadline: float | None = None,
) -> FetchOutcome:
    """Fetch one permitted account. Account-level failures come back as an outcome with a reason;
    a persistent transient failure raises TransientAccountFailure so the task can retry. Every
    error, note and media URL in the outcome has had its secrets redacted."""
    if not decision.allowed:
        raise NotPermitted(f"account {account.id} is not permitted: {decision.reason}")
    outcome = FetchOutcome(account.id, window, started_at=clock.now())
    if run_deadline is not None and time.monotonic() >= run_deadline:
        outcome.reason = Reason.RUN_BUDGET
        outcome.error = "the run's time budget was spent before it"
        outcome.finished_at = clock.now()
        return outcome
    cls = connector_for(account.platform)
    http = make_client(account, decision, sink, http_settings, claims, run_deadline)
    token = http.secrets[0] if http.secrets else None
    connector = cls(account, http, clock, fetch_settings or FetchSettings(), token=token)
    try:
        result = connector.fetch(window)
    except SkippableError as exc:
        if exc.reason == Reason.TRANSIENT_EXHAUSTED:
            raise TransientAccountFailure(http.redact_text(str(exc))) from None
        outcome.reason, outcome.error = exc.reason, http.redact_text(str(exc))
        outcome.finished_at = clock.now()
        return outcome
    # Anything else (KeyError, TypeError, ...) is a bug in our code, not the platform's fault: it
    # propagates, and the flow records the run as failed. A response the connector cannot read
    # is the connector's to report, as SkippableError(reason=Reason.MALFORMED).
    checkpoint("fetch")
    outcome.cursor, outcome.complete_since = result.cursor, result.complete_since
    outcome.notes = [http.redact_text(note) for note in result.notes]
    outcome.complete_how, outcome.gone = result.complete_how, dict(result.gone)
    outcome.cut_short = result.cut_short
    outcome.media = download_media(http, result.items, media_root, known_media)
    outcome.items = [strip_media_secrets(item, http) for item in result.items]
    outcome.finished_at = clock.now()
    return outcome


def strip_media_secrets(item: Item, http: HttpClient) -> Item:
    """The item with each media URL as stored: secrets masked (the download used the real one)."""
    refs = [dataclasses.replace(ref, url=http.redact_text(ref.url)) for ref in item.media]
    if all(a.url == b.url for a, b in zip(refs, item.media, strict=True)):
        return item
    return dataclasses.replace(item, media=refs)


def download_media(
    http: HttpClient, items: list[Item], media_root: Path, known: dict[str, str | None]
) -> list[MediaDownload]:
    """Download each image once: URLs already stored are skipped; failures are recorded, not fatal.

    A host that fails transiently MEDIA_HOST_BREAKER times in a row is not asked again this run
    (its remaining images are recorded as transient failures and tried next night), so a CDN
    outage cannot stall the night on back-off."""
    wanted: list[str] = []
    for item in items:
        for ref in item.media:
            if known.get(http.redact_text(ref.url)) is None and ref.url not in wanted:
                wanted.append(ref.url)
    downloads = []
    failing: dict[str, int] = {}
    for url in wanted[:MAX_MEDIA_PER_ACCOUNT]:
        host = urlsplit(url).netloc.lower()
        stored = http.redact_text(url)  # the key media is stored and looked up under
        if failing.get(host, 0) >= MEDIA_HOST_BREAKER:
            downloads.append(
                MediaDownload(
                    stored, None, None, None, 0, error=f"not tried: {host} kept failing this run"
                )
            )
            continue
        try:
            data, ctype = http.get_bytes(url)
        except ConnectorError as exc:
            transient = exc.reason in TRANSIENT_MEDIA_FAILURES
            failing[host] = failing.get(host, 0) + 1 if transient else 0
            error = http.redact_text(str(exc))
            downloads.append(
                MediaDownload(stored, None, None, None, 0, error=error, permanent=not transient)
            )
            continue
        failing[host] = 0
        sha, relative = write_media_file(media_root, data)
        downloads.append(MediaDownload(stored, sha, relative, ctype, len(data)))
    return downloads
