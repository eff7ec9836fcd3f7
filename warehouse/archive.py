"""The report archive, the record of every message sent, and the per-monitor digest watermark."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta

import duckdb

from warehouse.db import insert_sql
from warehouse.runs import running_since

STALE_RUN = timedelta(hours=24)


def save_report(con: duckdb.DuckDBPyConnection, *, district_id: str, kind: str, period: str,
                monitor_id: str | None, created_at: datetime, html: str, pdf: bytes | None,
                stats: dict[str, object]) -> str:
    report_id = uuid.uuid4().hex
    con.execute(
        insert_sql("report_archive",
                   ("report_id", "district_id", "kind", "period", "monitor_id", "created_at",
                    "html", "pdf", "html_sha256", "pdf_sha256", "stats_json")),
        [report_id, district_id, kind, period, monitor_id, created_at, html, pdf,
         hashlib.sha256(html.encode("utf-8")).hexdigest(),
         hashlib.sha256(pdf).hexdigest() if pdf is not None else None,
         json.dumps(stats, default=str)])
    con.execute("INSERT INTO audit_log (logged_at, actor, action, object_type, object_id, "
                "detail_json) VALUES (?, 'hallmonitor', ?, 'report', ?, ?)",
                [created_at, f"report.{kind}", report_id,
                 json.dumps({"period": period, "monitor_id": monitor_id})])
    return report_id


def watermark(con: duckdb.DuckDBPyConnection, district_id: str, monitor_id: str) -> datetime | None:
    row = con.execute("SELECT covered_until FROM digest_watermarks WHERE district_id = ? "
                      "AND monitor_id = ?", [district_id, monitor_id]).fetchone()
    return row[0] if row else None


def advance_watermark(con: duckdb.DuckDBPyConnection, district_id: str, monitor_id: str,
                      covered_until: datetime, report_id: str, now: datetime) -> None:
    con.execute(
        insert_sql("digest_watermarks",
                   ("district_id", "monitor_id", "covered_until", "report_id", "updated_at"),
                   "ON CONFLICT (district_id, monitor_id) "
                   "DO UPDATE SET covered_until = excluded.covered_until, "
                   "report_id = excluded.report_id, updated_at = excluded.updated_at"),
        [district_id, monitor_id, covered_until, report_id, now])


def digest_cutoff(con: duckdb.DuckDBPyConnection, district_id: str, now: datetime) -> datetime:
    """`now`, or just before an audit that is still running: its findings carry first_seen
    times from before they are written, and must not fall behind the watermark unseen. A run
    "running" for over a day crashed; it must not hold every later digest back."""
    running = running_since(con, district_id, now, STALE_RUN)
    return min(now, running) if running else now


def record_delivery(con: duckdb.DuckDBPyConnection, *, report_id: str, district_id: str,
                    monitor_id: str | None, recipient: str, role: str, subject: str,
                    message_id: str, attachments: list[object], status: str, error: str | None,
                    sent_at: datetime) -> None:
    """One message sent (or refused) for a report: to whom, when, under which Message-ID."""
    con.execute(
        insert_sql("report_deliveries",
                   ("delivery_id", "report_id", "district_id", "monitor_id", "recipient", "role",
                    "subject", "message_id", "attachments_json", "status", "error", "sent_at")),
        [uuid.uuid4().hex, report_id, district_id, monitor_id, recipient, role, subject,
         message_id, json.dumps(attachments), status, error, sent_at])
