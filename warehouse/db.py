"""Open the DuckDB file and bring its schema up to date.

Migrations are the numbered files in warehouse/migrations/. Each is applied in one transaction
together with its row in `schema_migrations`, so a crash never leaves a half-applied schema.

DuckDB lets only one process hold a file read-write (and then no other process can open it at
all), so callers keep connections short: open, do one unit of work, close. `connect` retries for
a while when another process (the review app, a report) holds the file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


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


@contextmanager
def connect(
    db_path: str | Path, *, read_only: bool = False, wait_seconds: float = 30.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection, migrated when writable; waits while another process holds it."""
    path = Path(db_path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
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
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS "
                f"SELECT unnest(?::VARCHAR[]) AS {column}", [values])


def insert_sql(table: str, columns: Sequence[str], conflict: str = "") -> str:
    """`INSERT INTO table (columns) VALUES (?, ...)` with every column named, so that a migration
    adding a column never breaks a writer; `conflict` is an optional `ON CONFLICT ...` clause."""
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}".rstrip()
