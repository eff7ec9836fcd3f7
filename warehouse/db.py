"""Open the DuckDB file and bring its schema up to date.

Migrations are the numbered files in warehouse/migrations/. Each is applied in one transaction
together with its row in `schema_migrations`, so a crash never leaves a half-applied schema.

DuckDB lets only one process hold a file read-write (and then no other process can open it at
all), so callers keep connections short: open, do one unit of work, close. `connect` waits, with
back-off, while another process (the review app, a report, a read-only reader) holds the file:
up to HALLMONITOR_DB_LOCK_WAIT seconds (default 15 minutes), and every wait is added to a
process-wide tally (`lock_wait_seconds`) that the audit records on its run.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
LOCK_WAIT_ENV = "HALLMONITOR_DB_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 900.0  # a report or an export may hold the file for minutes: outwait it
FIRST_BACKOFF, MAX_BACKOFF = 0.1, 5.0

log = logging.getLogger(__name__)


class _LockWaits:
    """Seconds this process has spent waiting for other processes to release database files."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.count = 0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds
            self.count += 1


_waits = _LockWaits()


def lock_wait_seconds() -> float:
    """Total seconds spent waiting for a file lock so far (take the difference around a run)."""
    return _waits.seconds


def lock_wait_limit() -> float:
    """How long `connect` waits for a lock: HALLMONITOR_DB_LOCK_WAIT seconds, else 15 minutes."""
    value = os.environ.get(LOCK_WAIT_ENV)
    return float(value) if value else DEFAULT_LOCK_WAIT


def migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                insert_sql("schema_migrations", ("version", "name", "applied_at")),
                [version, name, datetime.now(UTC)],
            )
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def media_dir(db_path: str | Path) -> Path:
    """Media files live beside the database: warehouse.duckdb -> warehouse.duckdb.media/."""
    path = Path(db_path)
    return path.with_name(path.name + ".media")


def _open(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting with exponential back-off while another process holds its lock."""
    started = time.monotonic()
    deadline = started + wait_seconds
    backoff = FIRST_BACKOFF
    try:
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                    raise
                if backoff == FIRST_BACKOFF:
                    log.warning(
                        "%s is held by another process; waiting up to %.0f s",
                        path.name,
                        wait_seconds,
                    )
                time.sleep(min(backoff, max(deadline - time.monotonic(), 0.0)))
                backoff = min(backoff * 2, MAX_BACKOFF)
    finally:
        if backoff != FIRST_BACKOFF:  # we waited (whether or not the lock came free)
            _waits.add(time.monotonic() - started)


@contextmanager
def connect(
    db_path: str | Path, *, read_only: bool = False, wait_seconds: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection, migrated when writable; waits while another process holds it
    (`wait_seconds`, default `lock_wait_limit()`)."""
    path = Path(db_path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, lock_wait_limit() if wait_seconds is None else wait_seconds)
    try:
        if not read_only:
            migrate(con)
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def stage_keys(con: duckdb.DuckDBPyConnection, table: str, column: str, values: list[str]) -> None:
    """A temp table of keys to join against (one statement, however many keys): how the
    warehouse selects "these posts" or "these URLs" without an IN list of thousands."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT unnest(?::VARCHAR[]) AS {column}", [values]
    )


def insert_sql(table: str, columns: Sequence[str], conflict: str = "") -> str:
    """`INSERT INTO table (columns) VALUES (?, ...)` with every column named, so that a migration
    adding a column never breaks a writer; `conflict` is an optional `ON CONFLICT ...` clause."""
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}".rstrip()
