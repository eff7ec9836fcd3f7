"""The app's private copy of the warehouse: taken only when the warehouse changed, off the request
path, and a decision made while a copy is being taken neither waits for it nor goes missing."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboards.review import snapshot as snapshot_module
from dashboards.review.decisions import decide
from dashboards.review.scope import Principal
from dashboards.review.sidecar import sidecar_path
from dashboards.review.snapshot import Snapshot, clone_file
from tests.dashboards.builders import Built
from warehouse.db import connect

LEE = Principal("lee@riverbend.example", "Lee", "monitor", "m-all", None, ())


def _status(snap: Snapshot, fid: str) -> str:
    with snap.cursor() as con:
        return con.execute("SELECT status FROM findings WHERE finding_id = ?", [fid]).fetchone()[0]


def test_a_copy_is_taken_only_when_the_warehouse_changed(built: Built) -> None:
    snap = Snapshot(built.db, sidecar_path(built.db))
    try:
        assert snap.refresh() is True and snap.copies == 1
        assert snap.refresh() is False and snap.copies == 1  # unchanged: nothing copied
        with connect(built.db) as con:
            con.execute("UPDATE findings SET summary = 'changed' WHERE finding_id = 'f-rhs'")
        assert snap.refresh() is True and snap.copies == 2
        with snap.cursor() as con:
            summary = con.execute("SELECT summary FROM findings WHERE finding_id = 'f-rhs'")
            assert summary.fetchone()[0] == "changed"
        # Only the copy in use and the one before it (requests may still read it) are kept.
        with connect(built.db) as con:
            con.execute("UPDATE findings SET summary = 'again' WHERE finding_id = 'f-rhs'")
        snap.refresh()
        assert len(list(snap.work_dir.glob("snapshot-*.duckdb"))) == 2
    finally:
        snap.close()


def test_a_decision_during_a_slow_copy_neither_waits_nor_is_lost(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    side = sidecar_path(built.db)
    snap = Snapshot(built.db, side)
    snap.refresh()
    copying, release = threading.Event(), threading.Event()
    real_clone = clone_file

    def slow_clone(source: Path, target: Path) -> None:
        copying.set()
        assert release.wait(30)
        real_clone(source, target)

    monkeypatch.setattr(snapshot_module, "clone_file", slow_clone)
    with connect(built.db) as con:  # the warehouse changed: the next refresh copies it
        con.execute("UPDATE findings SET summary = 'new night' WHERE finding_id = 'f-evil'")
    refresher = threading.Thread(target=snap.refresh)
    try:
        refresher.start()
        assert copying.wait(30)
        started = time.perf_counter()
        decide(side, LEE, "f-rhs", "open", "confirm", at=datetime.now(UTC))
        snap.merge_now()  # what the decision route does; must not wait for the copy
        assert time.perf_counter() - started < 5
        assert _status(snap, "f-rhs") == "confirmed"  # seen at once, in the old copy
        release.set()
        refresher.join(30)
        assert snap.copies == 2
        assert _status(snap, "f-rhs") == "confirmed"  # and in the new one
        with snap.cursor() as con:
            summary = con.execute("SELECT summary FROM findings WHERE finding_id = 'f-evil'")
            assert summary.fetchone()[0] == "new night"
    finally:
        release.set()
        refresher.join(30)
        snap.close()


def test_clone_file_copies_the_bytes(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    clone_file(source, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == source.read_bytes()
