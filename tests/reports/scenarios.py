"""Warehouses for the report tests: a demo-like October 2026, an empty month, thousands of
findings, and a district whose fetches all failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.reports.builders import Warehouse, local

NOW = datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # Nov 1, 08:00 in Chicago: the monthly run
OK = ("complete", None, None)
ALL = ("rhs-athletics", "rms-news", "district-fb", "band", "coach-smith")


def nightly_runs(wh: Warehouse, days: range, failing: dict[str, tuple[str, str, str]] | None = None,
                 failing_from: int = 99) -> None:
    for day in days:
        statuses = {account: OK for account in ALL}
        for account, why in (failing or {}).items():
            if day >= failing_from:
                statuses[account] = why
        wh.run(local(2026, 10, day), statuses)


def demo_month(path: Path) -> Warehouse:
    """October 2026 as a district would live it: a token that expired on the 29th, a quiet
    earlier half-year, decisions at a realistic pace, some old items still open."""
    wh = Warehouse(path)
    auth = ("gap", "auth",
            "HTTP 401 from graph API: Error validating access token: Session has expired")
    nightly_runs(wh, range(1, 32), {"district-fb": auth}, failing_from=29)
    for month, count in ((5, 3), (6, 1), (7, 0), (8, 6), (9, 9)):
        for i in range(count):
            fid = wh.finding(ALL[i % 4], i % 4, local(2026, month, 3 + i, 3))
            if i % 3:
                wh.review(fid, local(2026, month, 5 + i, 10))
    layout = [  # account, check, day, decided after hours (None: open)
        ("rhs-athletics", 0, 2, 20), ("rhs-athletics", 1, 3, 6), ("band", 2, 4, 70),
        ("district-fb", 3, 5, 30), ("rms-news", 0, 7, None), ("rhs-athletics", 2, 9, 12),
        ("coach-smith", 3, 10, 200), ("band", 0, 12, 48), ("rms-news", 1, 14, 3),
        ("district-fb", 2, 15, None), ("rhs-athletics", 0, 18, 26), ("band", 3, 21, None),
        ("coach-smith", 0, 22, 90), ("rhs-athletics", 1, 25, None), ("rms-news", 2, 27, 15),
        ("rhs-athletics", 0, 30, None), ("band", 2, 31, None),
    ]
    for n, (account, check, day, hours) in enumerate(layout):
        seen = local(2026, 10, day, 2, 10)
        fid = wh.finding(account, check, seen, student=n)
        if hours is not None:
            wh.flush()
            wh.review(fid, seen + timedelta(hours=hours), "dismiss" if n % 4 == 0 else "confirm")
    wh.flush()
    for day in (1, 8, 15, 22):
        wh.posts("rhs-athletics", local(2026, 10, day, 2, 5), 6, images=2)
        wh.posts("band", local(2026, 10, day, 2, 5), 2, images=1)
    wh.close()
    return wh


def empty_month(path: Path) -> Warehouse:
    wh = Warehouse(path)
    nightly_runs(wh, range(1, 32))
    wh.close()
    return wh


def busy_month(path: Path, count: int = 3000) -> Warehouse:
    wh = Warehouse(path)
    nightly_runs(wh, range(1, 32))
    for n in range(count):
        seen = local(2026, 10, 1 + n % 31, 2, 10) + timedelta(seconds=n)
        wh.finding(ALL[n % len(ALL)], n % 4, seen, student=n)
    wh.close()
    return wh


def failed_month(path: Path) -> Warehouse:
    wh = Warehouse(path)
    why = {
        "rhs-athletics": ("gap", "network", "connection refused"),
        "rms-news": ("gap", "not_found", "HTTP 404"),
        "district-fb": ("gap", "auth", "HTTP 401: token revoked"),
        "band": ("gap", "rate_limited", "HTTP 429"),
        "coach-smith": ("not_permitted", "lapsed", "written permission lapsed"),
    }
    nightly_runs(wh, range(1, 32), why, failing_from=1)
    wh.close()
    return wh
