"""Copy the review app's decisions and audit events into the warehouse.

The nightly flow calls `merge_sidecar` at the start and the end of every run (it is the only
process that writes the warehouse); the app calls the same function on its private snapshot, so
what a monitor sees is exactly what the warehouse will hold. It is incremental and idempotent:
the last decision and event copied are recorded in `audit_log` (action `review.merged`), and a
second call copies nothing twice.

A decision sets the finding's status: confirm -> confirmed, dismiss -> dismissed (the reason code
in status_reason), escalate -> escalated, reopen -> open. It also becomes a row of `reviews`
(reopen included), which the monthly summary's time-to-decision reads.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dashboards.review.sidecar import open_sidecar, parse_time

STATUS_FOR = {
    "confirm": "confirmed",
    "dismiss": "dismissed",
    "escalate": "escalated",
    "reopen": "open",
}
MERGED = "review.merged"


@dataclass
class MergeStats:
    decisions: int = 0
    events: int = 0


def watermark(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(last decision id, last event id) already copied into this warehouse."""
    row = con.execute(
        "SELECT detail_json FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1", [MERGED]
    ).fetchone()
    if row is None:
        return 0, 0
    detail = json.loads(row[0])
    return int(detail["decision_id"]), int(detail["event_id"])


def merge_sidecar(
    con: duckdb.DuckDBPyConnection, sidecar: Path, now: datetime | None = None
) -> MergeStats:
    """Copy new decisions and events from `sidecar` into the warehouse open on `con`."""
    stats = MergeStats()
    if not sidecar.exists():
        return stats
    last_decision, last_event = watermark(con)
    # A read in WAL mode sees one consistent state and never blocks the app's writers.
    with open_sidecar(sidecar) as side:
        try:
            decisions = side.execute(
                "SELECT * FROM decisions WHERE id > ? ORDER BY id", [last_decision]
            ).fetchall()
            events = side.execute(
                "SELECT * FROM events WHERE id > ? ORDER BY id", [last_event]
            ).fetchall()
        except sqlite3.OperationalError:  # an empty file: the app never ran
            return stats
    if not decisions and not events:
        return stats
    con.execute("BEGIN TRANSACTION")
    try:
        for row in decisions:
            _apply(con, row)
        for row in events:
            con.execute(
                "INSERT INTO audit_log (logged_at, actor, action, object_type, object_id, "
                "detail_json) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    parse_time(row["logged_at"]),
                    f"review:{row['actor']}",
                    row["action"],
                    row["object_type"],
                    row["object_id"],
                    row["detail_json"],
                ],
            )
        stats.decisions, stats.events = len(decisions), len(events)
        mark = {
            "decision_id": decisions[-1]["id"] if decisions else last_decision,
            "event_id": events[-1]["id"] if events else last_event,
            "decisions": stats.decisions,
            "events": stats.events,
        }
        con.execute(
            "INSERT INTO audit_log (logged_at, actor, action, object_type, object_id, "
            "detail_json) VALUES (?, 'hallmonitor', ?, 'review_store', ?, ?)",
            [now or datetime.now(UTC), MERGED, str(sidecar.name), json.dumps(mark)],
        )
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return stats


def _apply(con: duckdb.DuckDBPyConnection, row: sqlite3.Row) -> None:
    decided = parse_time(row["decided_at"])
    note = row["note"] or None
    con.execute(
        "INSERT INTO reviews (finding_id, disposition, reviewer, note, decided_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [row["finding_id"], row["action"], row["username"], note, decided],
    )
    reason = row["reason"] if row["action"] == "dismiss" else None
    seen = row["post_version"] if row["action"] == "dismiss" else None
    # A dismissal of a version that has since changed does not hide the new content: it reopens,
    # as the nightly upsert would have done had the dismissal come first.
    con.execute(
        "UPDATE findings SET "
        "status = CASE WHEN ?::INTEGER IS NOT NULL AND post_version IS DISTINCT FROM ?::INTEGER "
        "THEN 'open' ELSE ? END, "
        "status_reason = CASE WHEN ?::INTEGER IS NOT NULL AND post_version IS DISTINCT FROM "
        "?::INTEGER THEN 'content_changed' ELSE ? END "
        "WHERE finding_id = ? AND status <> 'superseded'",
        [seen, seen, STATUS_FOR[row["action"]], seen, seen, reason, row["finding_id"]],
    )
