"""Shared by the recovery tests: what "the same warehouse" means, and running `hallmonitor audit`
in a child process that can be killed at a named checkpoint (flows/checkpoints.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

HALLMONITOR = str(Path(sys.executable).parent / "hallmonitor")


def q(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _analysis(text: str) -> dict[str, Any]:
    data = json.loads(text)
    data.pop("timings", None)  # milliseconds per stage: differ from run to run
    return data


def snapshot(db: Path) -> dict[str, Any]:
    """Posts, versions, media, analyses, findings and check state, without run ids and timings:
    what an uninterrupted run and a killed-and-resumed one must agree on exactly."""
    return {
        "posts": q(
            db,
            "SELECT post_id, account_id, native_id, current_version, content_hash, text, "
            "deleted_at IS NULL FROM posts ORDER BY post_id",
        ),
        "versions": q(db, "SELECT post_id, version, content_hash FROM post_versions ORDER BY 1, 2"),
        "media": q(db, "SELECT sha256, path, bytes FROM media ORDER BY 1"),
        "media_sources": q(db, "SELECT url, sha256, status FROM media_sources ORDER BY 1"),
        "post_media": q(db, "SELECT post_id, position, url, sha256 FROM post_media ORDER BY 1, 2"),
        "analyses": [
            (*row[:-1], _analysis(row[-1]))
            for row in q(
                db,
                "SELECT sha256, analyser_version, marks_key, ok, phash, face_count, marks_found, "
                "analysis_json FROM media_analysis ORDER BY 1",
            )
        ],
        "findings": q(
            db,
            "SELECT finding_id, post_id, post_version, check_name, rule_id, level, severity, "
            "status, evidence_json, first_seen FROM findings ORDER BY 1",
        ),
        "check_state": q(
            db,
            "SELECT post_id, version, pack_id, pack_version, media_key FROM check_state "
            "ORDER BY 1, 2",
        ),
    }


def prefect_api_url() -> str:
    """The temporary Prefect server this test process started (its first flow run starts it):
    child processes use it rather than each starting their own, which takes a minute on a busy
    machine."""
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    return server.api_url


def audit_killed_at(point: str, district: Path, db: Path, now: str, tmp: Path) -> str:
    """Run `hallmonitor audit` in a child process, wait until it reaches `point`, SIGKILL it;
    returns its stderr so far (for a failing assertion's message)."""
    marker = tmp / f"paused-{point}"
    marker.unlink(missing_ok=True)
    env = {
        **os.environ,
        "HALLMONITOR_PAUSE_AT": point,
        "HALLMONITOR_PAUSE_FILE": str(marker),
        "PREFECT_API_URL": prefect_api_url(),
    }
    log = tmp / f"audit-{point}.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [HALLMONITOR, "audit", "--config", str(district), "--db", str(db), "--now", now],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 600
        try:
            while not marker.exists():
                if child.poll() is not None:
                    raise AssertionError(
                        f"audit ended ({child.returncode}) before {point}: "
                        + log.read_text(errors="replace")[-3000:]
                    )
                if time.monotonic() > deadline:
                    raise AssertionError(f"audit never reached {point}")
                time.sleep(0.1)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL
    return log.read_text(errors="replace")
