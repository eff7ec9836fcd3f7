"""Coverage for a period: how many nights the audit ran, which accounts it captured, how much
it examined, and the nights each account was not captured (with the latest reason)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from dashboards.reports.common import AccountInfo, school_label
from dashboards.reports.health import reason_text
from hallmonitor.config import DistrictConfig


@dataclass(frozen=True)
class AccountCoverage:
    name: str
    school: str
    kind: str
    platform: str
    nights_captured: int
    nights_missed: int
    reason: str | None  # latest reason it was not captured


@dataclass
class Coverage:
    runs: int = 0
    nights: int = 0
    accounts_configured: int = 0
    accounts_audited: int = 0
    items_fetched: int = 0
    posts_captured: int = 0  # distinct posts with a new or changed version this period
    images_examined: int = 0  # distinct images first downloaded this period
    accounts: list[AccountCoverage] = field(default_factory=list)

    @property
    def accounts_missed(self) -> int:
        return sum(1 for a in self.accounts if a.nights_missed)


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0] or 0) if row else 0


def coverage_for(con: duckdb.DuckDBPyConnection, config: DistrictConfig,
                 accounts: dict[str, AccountInfo], start: datetime, end: datetime) -> Coverage:
    district = config.district
    window = [district.id, start, end]
    runs = con.execute(
        "SELECT run_id, CAST(timezone(?, started_at) AS DATE) FROM fetch_runs "
        "WHERE district_id = ? AND started_at >= ? AND started_at < ?",
        [district.timezone, *window]).fetchall()
    nights: set[date] = {night for _, night in runs}
    rows = con.execute(
        "SELECT c.account_id, c.status, c.reason, CAST(timezone(?, r.started_at) AS DATE) "
        "FROM coverage c JOIN fetch_runs r ON r.run_id = c.run_id WHERE c.district_id = ? "
        "AND r.started_at >= ? AND r.started_at < ? ORDER BY r.started_at",
        [district.timezone, *window]).fetchall()
    captured: dict[str, set[date]] = defaultdict(set)
    first_night: dict[str, date] = {}
    last_reason: dict[str, str] = {}
    for account_id, status, reason, night in rows:
        first_night.setdefault(account_id, night)
        if status == "complete":
            captured[account_id].add(night)
        else:
            last_reason[account_id] = reason_text(status, reason)
    table = []
    for account_id in sorted(set(accounts) & ({a.id for a in config.accounts} | set(first_night))):
        info = accounts[account_id]
        since = first_night.get(account_id)
        expected = {n for n in nights if since is None or n >= since}
        missed = len(expected - captured[account_id])
        reason = last_reason.get(account_id) or (None if since else "not in any audit run")
        table.append(AccountCoverage(info.name, school_label(config, info.school), info.kind,
                                     info.platform, len(captured[account_id]), missed,
                                     reason if missed else None))
    table.sort(key=lambda a: (-a.nights_missed, a.name))
    return Coverage(
        runs=len(runs), nights=len(nights), accounts_configured=len(config.accounts),
        accounts_audited=sum(1 for a in table if a.nights_captured),
        items_fetched=_count(con, "SELECT sum(c.items_fetched) FROM coverage c JOIN fetch_runs r "
                             "ON r.run_id = c.run_id WHERE c.district_id = ? AND r.started_at >= ? "
                             "AND r.started_at < ?", window),
        posts_captured=_count(con, "SELECT count(DISTINCT v.post_id) FROM post_versions v JOIN "
                              "posts p ON p.post_id = v.post_id WHERE p.district_id = ? AND "
                              "v.captured_at >= ? AND v.captured_at < ?", window),
        images_examined=_count(con, "SELECT count(DISTINCT m.sha256) FROM media m JOIN post_media "
                               "pm ON pm.sha256 = m.sha256 JOIN posts p ON p.post_id = pm.post_id "
                               "WHERE p.district_id = ? AND m.first_seen >= ? AND m.first_seen < ?",
                               window),
        accounts=table)
