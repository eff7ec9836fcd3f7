"""The findings table: the one writer (`upsert_findings`, one INSERT ... ON CONFLICT), what a
recheck supersedes, and every read of findings and of the monitors' decisions (`reviews`) that the
digests and the monthly summary make. The review app's own pages read its snapshot
(dashboards/review); its decisions are merged into `reviews` by dashboards/review/merge.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.db import stage_keys

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


# Draft fields stored as JSON get a `_json` column; every other draft field is a column of its own.
_JSON_FIELDS = {"citation": "citation_json", "evidence": "evidence_json"}
# A finding seen again refreshes what the check decides now; its status is the monitors' (a
# superseded finding that is produced again is reopened).
_REFRESHED = (
    "post_version",
    "evidence_json",
    "summary",
    "level",
    "severity",
    "citation_json",
    "pack_version",
    "last_seen",
    "last_run_id",
)
# A dismissed finding whose post has a new version since: the decision was about other content.
_CHANGED = (
    "(findings.status = 'dismissed' "
    "AND findings.post_version IS DISTINCT FROM excluded.post_version)"
)


@dataclass
class FindingStats:
    new: int = 0
    seen_again: int = 0


def _finding_row(draft: Any) -> dict[str, Any]:
    row = {}
    for f in fields(draft):
        value = getattr(draft, f.name)
        if f.name in _JSON_FIELDS:
            row[_JSON_FIELDS[f.name]] = _json(value)
        else:
            row[f.name] = value
    return row


def upsert_findings(
    con: duckdb.DuckDBPyConnection, drafts: list[Any], run_id: str, now: datetime
) -> FindingStats:
    """Insert new findings as open and refresh known ones, in one INSERT ... ON CONFLICT. A known
    finding keeps the status monitors gave it, except that a superseded one produced again is
    reopened, and a dismissed one reopens (reason `content_changed`) when the post changed: the
    review app then shows both versions."""
    if not drafts:
        return FindingStats()
    rows = [_finding_row(d) for d in drafts]
    ids = list({r["finding_id"] for r in rows})
    stage_keys(con, "_upsert_findings", "finding_id", ids)
    (known,) = con.execute(
        "SELECT count(*) FROM findings JOIN _upsert_findings USING (finding_id)"
    ).fetchone() or (0,)
    columns = [*rows[0], "status", "first_seen", "last_seen", "first_run_id", "last_run_id"]
    refreshed = ", ".join(f"{c} = excluded.{c}" for c in _REFRESHED)
    con.executemany(
        f"INSERT INTO findings ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT (finding_id) DO UPDATE SET {refreshed}, "
        f"status = CASE WHEN findings.status = 'superseded' OR {_CHANGED} THEN 'open' "
        "ELSE findings.status END, "
        "status_reason = CASE WHEN findings.status = 'superseded' THEN NULL "
        f"WHEN {_CHANGED} THEN 'content_changed' ELSE findings.status_reason END",
        [[*r.values(), "open", now, now, run_id, run_id] for r in rows],
    )
    return FindingStats(new=len(ids) - known, seen_again=known)


# -- recheck ---------------------------------------------------------------------------------------
def statuses_for_posts(
    con: duckdb.DuckDBPyConnection, district_id: str, post_ids: list[str], checks: list[str]
) -> dict[str, str]:
    """finding_id -> status of the findings the given checks made on the given posts."""
    if not post_ids:
        return {}
    stage_keys(con, "_status_posts", "post_id", post_ids)
    rows = con.execute(
        "SELECT finding_id, status FROM findings WHERE district_id = ? AND post_id IN "
        "(SELECT post_id FROM _status_posts) AND list_contains(?, check_name)",
        [district_id, checks],
    ).fetchall()
    return dict(rows)


def supersede(
    con: duckdb.DuckDBPyConnection, finding_ids: list[str], reason: str, run_id: str
) -> None:
    """Open findings the current rule set no longer produces: kept, marked superseded."""
    con.executemany(
        "UPDATE findings SET status = 'superseded', status_reason = ?, last_run_id = ? "
        "WHERE finding_id = ?",
        [[reason, run_id, f] for f in finding_ids],
    )


def count_findings(con: duckdb.DuckDBPyConnection, district_id: str) -> int:
    row = con.execute(
        "SELECT count(*) FROM findings WHERE district_id = ?", [district_id]
    ).fetchone()
    return int(row[0]) if row else 0


# -- reads for the digests and the monthly summary -------------------------------------------------
# Counts and categories only: `summary` and the evidence, which may name a student, are not read.
def new_findings(
    con: duckdb.DuckDBPyConnection, district_id: str, since: datetime | None, until: datetime
) -> list[tuple[Any, ...]]:
    """(finding_id, account_id, check_name, category, level, severity) of the findings first
    seen in (since, until]."""
    return con.execute(
        "SELECT finding_id, account_id, check_name, category, level, severity FROM findings "
        "WHERE district_id = ? AND status <> 'superseded' AND first_seen > ? AND first_seen <= ? "
        "ORDER BY first_seen, finding_id",
        [district_id, since or EPOCH, until],
    ).fetchall()


def findings_first_seen_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> list[tuple[str, str, str, str, str]]:
    """(account_id, check_name, category, level, severity) of the findings first seen in
    [start, end)."""
    return con.execute(
        "SELECT account_id, check_name, category, level, severity FROM findings "
        "WHERE district_id = ? AND status <> 'superseded' AND first_seen >= ? AND first_seen < ?",
        [district_id, start, end],
    ).fetchall()


def counts_by_month_and_level(
    con: duckdb.DuckDBPyConnection, district_id: str, timezone: str, before: datetime
) -> dict[tuple[str, str], int]:
    """(YYYY-MM in the district's zone, level) -> findings first seen then, before `before`."""
    rows = con.execute(
        "SELECT strftime(timezone(?, first_seen), '%Y-%m') AS m, level, count(*) FROM findings "
        "WHERE district_id = ? AND status <> 'superseded' AND first_seen < ? GROUP BY m, level",
        [timezone, district_id, before],
    ).fetchall()
    return {(m, level): n for m, level, n in rows}


def first_decisions_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """(first seen, first decision) of findings whose first decision fell in [start, end)."""
    return con.execute(
        "SELECT f.first_seen, min(r.decided_at) FROM reviews r "
        "JOIN findings f ON f.finding_id = r.finding_id WHERE f.district_id = ? "
        "GROUP BY f.finding_id, f.first_seen HAVING min(r.decided_at) >= ? "
        "AND min(r.decided_at) < ?",
        [district_id, start, end],
    ).fetchall()


def dispositions_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> dict[str, int]:
    """Decisions made in [start, end), by disposition."""
    rows = con.execute(
        "SELECT r.disposition, count(*) FROM reviews r JOIN findings f "
        "ON f.finding_id = r.finding_id WHERE f.district_id = ? AND r.decided_at >= ? "
        "AND r.decided_at < ? GROUP BY 1 ORDER BY 1",
        [district_id, start, end],
    ).fetchall()
    return dict(rows)


def awaiting_first_decision(
    con: duckdb.DuckDBPyConnection, district_id: str, as_of: datetime
) -> list[datetime]:
    """First-seen times of the findings that had no decision yet at `as_of`."""
    rows = con.execute(
        "SELECT f.first_seen FROM findings f WHERE f.district_id = ? AND f.status <> 'superseded' "
        "AND f.first_seen < ? AND NOT EXISTS (SELECT 1 FROM reviews r WHERE "
        "r.finding_id = f.finding_id AND r.decided_at < ?)",
        [district_id, as_of, as_of],
    ).fetchall()
    return [seen for (seen,) in rows]
