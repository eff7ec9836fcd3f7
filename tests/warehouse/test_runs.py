"""Run bookkeeping: stale `running` runs closed as abandoned (only when their process is gone),
failed and abandoned runs and open item errors reported for the digest, and the file-lock wait."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from warehouse import runs
from warehouse.db import connect, lock_wait_seconds

NOW = datetime(2026, 11, 21, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started: datetime,
    host: str,
    pid: int,
    district: str = "d1",
) -> None:
    con.execute(
        "INSERT INTO fetch_runs (run_id, district_id, started_at, status, trigger, host, pid) "
        "VALUES (?, ?, ?, 'running', 'schedule', ?, ?)",
        [run_id, district, started, host, pid],
    )


def test_stale_runs_are_closed_as_abandoned_only_when_their_process_is_gone(
    tmp_path: Path,
) -> None:
    here = runs.this_host()
    with connect(tmp_path / "w.duckdb") as con:
        _run(con, "dead-here", NOW - HOUR, here, 4001)
        _run(con, "alive-here", NOW - 30 * HOUR, here, 4002)
        _run(con, "elsewhere-old", NOW - 13 * HOUR, "other-host", 1)
        _run(con, "elsewhere-recent", NOW - HOUR, "other-host", 1)
        _run(con, "other-district", NOW - 30 * HOUR, here, 4001, district="d2")
        closed = runs.close_stale_runs(con, "d1", NOW, alive=lambda pid: pid == 4002)
        rows = dict(
            con.execute(
                "SELECT run_id, status || '/' || coalesce(error, '') FROM fetch_runs"
            ).fetchall()
        )
        finished = con.execute(
            "SELECT finished_at FROM fetch_runs WHERE run_id = 'dead-here'"
        ).fetchone()
    assert [r.run_id for r in closed] == ["elsewhere-old", "dead-here"]
    assert rows["dead-here"].startswith("abandoned/process 4001")
    assert rows["elsewhere-old"].startswith("abandoned/still running")
    for kept in ("alive-here", "elsewhere-recent", "other-district"):
        assert rows[kept] == "running/"
    assert finished == (NOW,)


def test_begin_run_closes_stale_runs_and_claims_the_new_one(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        _run(con, "killed", NOW - HOUR, runs.this_host(), 2**22 + 7)  # no such process
        run_id, abandoned = runs.begin_run(con, "d1", "test", "p", "1", NOW)
        host, pid, status = con.execute(
            "SELECT host, pid, status FROM fetch_runs WHERE run_id = ?", [run_id]
        ).fetchone()
    assert [r.run_id for r in abandoned] == ["killed"]
    assert (host, status) == (runs.this_host(), "running") and pid > 0


def test_failed_and_abandoned_runs_are_reported_for_the_digest(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        ok = runs.start_run(con, "d1", "schedule", "p", "1", NOW - 3 * HOUR)
        runs.finish_run(con, ok, "completed", {}, NOW - 3 * HOUR)
        bad = runs.start_run(con, "d1", "schedule", "p", "1", NOW - 2 * HOUR)
        runs.fail_run(con, bad, "KeyError: 'items'", {"fetched": 2}, NOW - 2 * HOUR)
        _run(con, "gone", NOW - HOUR, runs.this_host(), 2**22 + 7)
        runs.close_stale_runs(con, "d1", NOW)
        old = runs.start_run(con, "d1", "schedule", "p", "1", NOW - 48 * HOUR)
        runs.fail_run(con, old, "too old for the window", {}, NOW - 48 * HOUR)
        problems = runs.run_problems(con, "d1", NOW - 24 * HOUR, NOW)
    assert [(p.run_id, p.status) for p in problems] == [(bad, "failed"), ("gone", "abandoned")]
    assert problems[0].error == "KeyError: 'items'" and problems[1].finished_at == NOW


def test_item_errors_stay_open_until_the_work_is_done(tmp_path: Path) -> None:
    def err(sha: str, message: str) -> runs.ItemError:
        return runs.ItemError("analyse", "media", sha, None, "ValueError", message)

    with connect(tmp_path / "w.duckdb") as con:
        runs.record_item_errors(con, "r1", "d1", [err("aa", "first"), err("bb", "x")], NOW - HOUR)
        runs.record_item_errors(con, "r2", "d1", [err("aa", "second")], NOW)
        runs.record_item_errors(con, "r2", "d2", [err("cc", "other district")], NOW)
        runs.resolve_item_errors(con, "d1", "analyse", ["bb"], NOW)
        open_errors = runs.open_item_errors(con, "d1", NOW)
    assert [(e.subject_id, e.error, e.times) for e in open_errors] == [("aa", "second", 2)]
    assert (open_errors[0].first_seen, open_errors[0].last_seen) == (NOW - HOUR, NOW)


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print('held', flush=True); time.sleep(float(sys.argv[2]))",
            str(db),
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_writer_waits_for_a_reader_holding_the_file_and_the_wait_is_counted(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.duckdb"
    with connect(db):
        pass
    before = lock_wait_seconds()
    holder = _hold(db, 2.0)
    try:
        with connect(db, wait_seconds=60) as con:
            con.execute("CREATE TABLE written (x INTEGER)")
    finally:
        holder.kill()
        holder.wait()
    assert lock_wait_seconds() - before >= 0.5


def test_a_writer_gives_up_after_its_wait_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    with connect(db):
        pass
    monkeypatch.setenv("HALLMONITOR_DB_LOCK_WAIT", "0.3")
    holder = _hold(db, 30.0)
    try:
        with pytest.raises(duckdb.IOException, match="(?i)lock"), connect(db):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_wait_setting_is_documented_in_operations() -> None:
    from tests.conftest import ROOT
    from warehouse.db import LOCK_WAIT_ENV

    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert f"`{LOCK_WAIT_ENV}`" in doc and "abandoned" in doc
