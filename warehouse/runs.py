"""Run bookkeeping that survives crashes: who is running, what failed, what was abandoned.

A run row is written as `running` when an audit or a recheck starts. It ends as `completed`, as
`failed` (an exception: the error is stored, secrets masked by the caller), or, when the process
died without a word (SIGKILL, power loss, the container stopped), as `abandoned`: the next run of
the district closes every `running` row whose process is gone. Without that a killed run stays
`running` forever and holds back every monitor's digest.

`run_problems` and `open_item_errors` are what the digest's health section reads.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from warehouse.db import insert_sql

ERROR_CHARS = 2000
# A `running` row from another host cannot be probed; after this long it is certainly dead.
FOREIGN_RUN_MAX_AGE = timedelta(hours=12)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (signal 0 probes without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def claim_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Record this process as the run's owner, so a later start can tell if it is still alive."""
    con.execute(
        "UPDATE fetch_runs SET host = ?, pid = ? WHERE run_id = ?",
        [this_host(), os.getpid(), run_id],
    )


@dataclass(frozen=True)
class AbandonedRun:
    run_id: str
    trigger: str | None
    started_at: datetime
    host: str | None
    pid: int | None


def close_stale_runs(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    now: datetime,
    alive: Callable[[int], bool] = pid_alive,
) -> list[AbandonedRun]:
    """Close the district's `running` runs whose process is gone as `abandoned` (finished_at =
    now, with why), and return them. A run of a live process on this host is left alone; one from
    another host is closed once it is older than FOREIGN_RUN_MAX_AGE."""
    rows = con.execute(
        "SELECT run_id, trigger, started_at, host, pid FROM fetch_runs "
        "WHERE district_id = ? AND status = 'running' ORDER BY started_at",
        [district_id],
    ).fetchall()
    here = this_host()
    closed = []
    for run_id, trigger, started, host, pid in rows:
        if host == here and pid is not None:
            if pid == os.getpid() or alive(pid):
                continue
            why = f"process {pid} on {host} ended without finishing the run"
        elif now - started < FOREIGN_RUN_MAX_AGE:
            continue
        else:
            why = f"still running after {FOREIGN_RUN_MAX_AGE} (host {host or 'unknown'})"
        con.execute(
            "UPDATE fetch_runs SET status = 'abandoned', finished_at = ?, error = ? "
            "WHERE run_id = ? AND status = 'running'",
            [now, why, run_id],
        )
        closed.append(AbandonedRun(run_id, trigger, started, host, pid))
    return closed


def fail_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    error: str,
    stats: dict[str, Any],
    now: datetime,
) -> None:
    """Record the run as failed with its (already redacted) error and what it had done."""
    con.execute(
        "UPDATE fetch_runs SET status = 'failed', finished_at = ?, error = ?, stats_json = ? "
        "WHERE run_id = ?",
        [now, error[:ERROR_CHARS], json.dumps(stats, sort_keys=True, default=str), run_id],
    )


def record_lock_wait(con: duckdb.DuckDBPyConnection, run_id: str, seconds: float) -> None:
    con.execute(
        "UPDATE fetch_runs SET lock_wait_seconds = ? WHERE run_id = ?", [round(seconds, 3), run_id]
    )


# -- per-item errors -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemError:
    stage: str  # analyse | check
    subject: str  # media | post
    subject_id: str
    account_id: str | None
    error_type: str
    error: str


def record_item_errors(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    district_id: str,
    errors: list[ItemError],
    now: datetime,
) -> None:
    if not errors:
        return
    con.executemany(
        insert_sql(
            "item_errors",
            (
                "run_id",
                "district_id",
                "stage",
                "subject",
                "subject_id",
                "account_id",
                "error_type",
                "error",
                "occurred_at",
            ),
        ),
        [
            [
                run_id,
                district_id,
                e.stage,
                e.subject,
                e.subject_id,
                e.account_id,
                e.error_type,
                e.error[:ERROR_CHARS],
                now,
            ]
            for e in errors
        ],
    )


def resolve_item_errors(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    stage: str,
    subject_ids: list[str],
    now: datetime,
) -> None:
    """The work these errors stopped has now been done: mark them resolved."""
    if subject_ids:
        con.execute(
            "UPDATE item_errors SET resolved_at = ? WHERE district_id = ? AND stage = ? "
            "AND resolved_at IS NULL AND list_contains(?, subject_id)",
            [now, district_id, stage, subject_ids],
        )


# -- for the digest's health section ---------------------------------------------------------------
@dataclass(frozen=True)
class RunProblem:
    run_id: str
    status: str  # failed | abandoned
    trigger: str | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None


def run_problems(
    con: duckdb.DuckDBPyConnection, district_id: str, since: datetime, until: datetime
) -> list[RunProblem]:
    """Runs of the district started in [since, until) that failed or were abandoned, oldest
    first: a night whose findings may be incomplete until a later run finished its work."""
    rows = con.execute(
        "SELECT run_id, status, trigger, started_at, finished_at, error FROM fetch_runs "
        "WHERE district_id = ? AND status IN ('failed', 'abandoned') "
        "AND started_at >= ? AND started_at < ? ORDER BY started_at",
        [district_id, since, until],
    ).fetchall()
    return [RunProblem(*row) for row in rows]


@dataclass(frozen=True)
class OpenItemError:
    stage: str
    subject: str
    subject_id: str
    account_id: str | None
    error_type: str
    error: str
    first_seen: datetime
    last_seen: datetime
    times: int


def open_item_errors(
    con: duckdb.DuckDBPyConnection, district_id: str, until: datetime
) -> list[OpenItemError]:
    """Posts and images that raised and have not been processed since, one row per item (with
    how many runs it failed in): what the audit could not judge, so a monitor knows to look."""
    rows = con.execute(
        "SELECT stage, subject, subject_id, any_value(account_id), arg_max(error_type, id), "
        "arg_max(error, id), min(occurred_at), max(occurred_at), count(*) FROM item_errors "
        "WHERE district_id = ? AND resolved_at IS NULL AND occurred_at <= ? "
        "GROUP BY stage, subject, subject_id ORDER BY min(occurred_at), subject_id",
        [district_id, until],
    ).fetchall()
    return [OpenItemError(*row) for row in rows]


def begin_run(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    trigger: str,
    pack_id: str,
    pack_version: str,
    now: datetime,
) -> tuple[str, list[AbandonedRun]]:
    """Close the district's stale runs, then start a new one owned by this process."""
    abandoned = close_stale_runs(con, district_id, now)
    run_id = start_run(con, district_id, trigger, pack_id, pack_version, now)
    claim_run(con, run_id)
    return run_id, abandoned


# -- runs and coverage: the writers ------------------------------------------------------------
def start_run(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    trigger: str,
    pack_id: str,
    pack_version: str,
    now: datetime,
) -> str:
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    con.execute(
        insert_sql(
            "fetch_runs",
            ("run_id", "district_id", "started_at", "status", "trigger", "pack_id", "pack_version"),
        ),
        [run_id, district_id, now, "running", trigger, pack_id, pack_version],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, stats: dict[str, Any], now: datetime
) -> None:
    con.execute(
        "UPDATE fetch_runs SET finished_at = ?, status = ?, stats_json = ? WHERE run_id = ?",
        [now, status, _json(stats), run_id],
    )


@dataclass
class Coverage:
    account_id: str
    status: str  # complete | partial (cut short by a limit) | gap | not_permitted | quarantined
    reason: str | None = None
    error: str | None = None
    items_fetched: int = 0
    items_new: int = 0
    items_changed: int = 0
    items_deleted: int = 0
    media_new: int = 0
    requests: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None


def record_coverage(
    con: duckdb.DuckDBPyConnection, run_id: str, district_id: str, cov: Coverage
) -> None:
    values = asdict(cov)
    columns = ["run_id", "district_id", *values.keys()]
    con.execute(
        f"INSERT OR REPLACE INTO coverage ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})",
        [run_id, district_id, *values.values()],
    )


# -- reads for the digests, the coverage table and the monthly summary ----------------------------
# A recheck re-runs the checks over stored items; it is not a night's audit (nothing fetched).
AUDIT_RUN = "trigger IS NULL OR trigger NOT IN ('recheck')"


def first_audit(
    con: duckdb.DuckDBPyConnection, district_id: str, before: datetime
) -> datetime | None:
    """When the district's first audit run started (None: no audit has run yet)."""
    row = con.execute(
        f"SELECT min(started_at) FROM fetch_runs WHERE district_id = ? AND "
        f"started_at < ? AND ({AUDIT_RUN})",
        [district_id, before],
    ).fetchone()
    return row[0] if row else None


def last_audit(
    con: duckdb.DuckDBPyConnection, district_id: str, until: datetime
) -> datetime | None:
    """When the district's latest audit run up to `until` started."""
    row = con.execute(
        f"SELECT max(started_at) FROM fetch_runs WHERE district_id = ? AND "
        f"started_at <= ? AND ({AUDIT_RUN})",
        [district_id, until],
    ).fetchone()
    return row[0] if row else None


def audit_runs_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> list[tuple[str, datetime]]:
    """(run_id, started_at) of audit runs started in [start, end), oldest first."""
    return con.execute(
        f"SELECT run_id, started_at FROM fetch_runs WHERE district_id = ? AND started_at >= ? "
        f"AND started_at < ? AND ({AUDIT_RUN}) ORDER BY started_at",
        [district_id, start, end],
    ).fetchall()


def running_since(
    con: duckdb.DuckDBPyConnection, district_id: str, now: datetime, stale_after: timedelta
) -> datetime | None:
    """When the oldest run still `running` (and younger than `stale_after`) started."""
    row = con.execute(
        "SELECT min(started_at) FROM fetch_runs WHERE district_id = ? AND "
        "status = 'running' AND started_at <= ? AND started_at > ?",
        [district_id, now, now - stale_after],
    ).fetchone()
    return row[0] if row else None


def coverage_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> list[tuple[str, str, str, str | None]]:
    """(run_id, account_id, status, reason) of audit runs started in [start, end), oldest first."""
    return con.execute(
        "SELECT c.run_id, c.account_id, c.status, c.reason FROM coverage c JOIN fetch_runs r "
        "ON r.run_id = c.run_id WHERE c.district_id = ? AND r.started_at >= ? AND "
        f"r.started_at < ? AND ({AUDIT_RUN}) ORDER BY r.started_at",
        [district_id, start, end],
    ).fetchall()


def coverage_history(
    con: duckdb.DuckDBPyConnection, district_id: str, timezone: str, until: datetime
) -> list[tuple[Any, ...]]:
    """(account_id, status, reason, error, started_at, local date) of every audit run up to
    `until`, by account, newest first."""
    return con.execute(
        "SELECT c.account_id, c.status, c.reason, c.error, r.started_at, "
        "       CAST(timezone(?, r.started_at) AS DATE) "
        "FROM coverage c JOIN fetch_runs r ON r.run_id = c.run_id "
        f"WHERE c.district_id = ? AND r.started_at <= ? AND ({AUDIT_RUN}) "
        "ORDER BY c.account_id, r.started_at DESC",
        [timezone, district_id, until],
    ).fetchall()


def items_fetched_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> int:
    row = con.execute(
        "SELECT sum(c.items_fetched) FROM coverage c JOIN fetch_runs r ON r.run_id = c.run_id "
        "WHERE c.district_id = ? AND r.started_at >= ? AND r.started_at < ?",
        [district_id, start, end],
    ).fetchone()
    return int(row[0] or 0) if row else 0
