"""The review app's own store: users, sessions, claims, decisions and its audit events.

Why a separate SQLite file beside the warehouse: DuckDB lets one process hold a file read-write
and then no other process may open it at all, so a monitor's decision written straight into the
warehouse would either fail or block while the nightly audit runs. SQLite in WAL mode lets the
app write while the flow reads, and the flow never writes here: it copies new decisions and
events into `reviews`, `findings` and `audit_log` at the start and end of every run
(dashboards/review/merge.py). Decisions and events are append-only (triggers refuse UPDATE and
DELETE), so nothing a monitor did can be lost or rewritten.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,          -- an e-mail address
    password_hash TEXT,                      -- Argon2id; NULL: single sign-on only
    role          TEXT NOT NULL,             -- monitor | superintendent | admin
    monitor_id    TEXT,                      -- district.yaml monitor (scope and role come from it)
    disabled      INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    last_failure  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash    TEXT PRIMARY KEY,          -- sha256 of the cookie value: a stolen file is no key
    username      TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    via           TEXT NOT NULL,             -- password | oidc
    created_at    TEXT NOT NULL,
    seen_at       TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_pending (
    state         TEXT PRIMARY KEY,
    nonce         TEXT NOT NULL,
    verifier      TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    finding_id    TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    claimed_by    TEXT NOT NULL,             -- differs from username when assigned
    claimed_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    finding_id    TEXT NOT NULL,
    action        TEXT NOT NULL,             -- confirm | dismiss | escalate | reopen
    reason        TEXT,                      -- dismiss: a code from decisions.DISMISS_REASONS
    note          TEXT,
    username      TEXT NOT NULL,
    decided_at    TEXT NOT NULL,
    post_version  INTEGER                    -- the version the monitor saw
);
CREATE TABLE IF NOT EXISTS events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    logged_at     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    object_type   TEXT,
    object_id     TEXT,
    detail_json   TEXT
);
CREATE TABLE IF NOT EXISTS address_failures (  -- sign-in back-off per client address (throttle.py)
    address       TEXT PRIMARY KEY,          -- IPv4, or an IPv6 /64
    failures      INTEGER NOT NULL,
    last_failure  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_finding ON decisions (finding_id, id);
CREATE TRIGGER IF NOT EXISTS decisions_append_only_u BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_d BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def sidecar_path(db_path: str | Path) -> Path:
    """warehouse.duckdb -> warehouse.duckdb.review.sqlite, beside the warehouse."""
    path = Path(db_path)
    return path.with_name(path.name + ".review.sqlite")


def now_text(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


@contextmanager
def open_sidecar(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A short connection in WAL mode; commits on success. busy_timeout makes a second writer
    wait instead of failing (writes are single small transactions, so waits are short)."""
    con = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA busy_timeout=30000")
        con.execute("PRAGMA synchronous=NORMAL")
        con.row_factory = sqlite3.Row
        yield con
    finally:
        con.close()


def ensure_schema(path: str | Path) -> None:
    with open_sidecar(path) as con:
        con.executescript(SCHEMA)


@contextmanager
def transaction(path: str | Path) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE takes the write lock up front: no upgrade races)."""
    with open_sidecar(path) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def log_event(
    con: sqlite3.Connection,
    actor: str,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one audit event (a view, a decision, a sign-in, a refusal)."""
    con.execute(
        "INSERT INTO events (logged_at, actor, action, object_type, object_id, detail_json) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [now_text(at), actor, action, object_type, object_id, json.dumps(detail or {})],
    )
