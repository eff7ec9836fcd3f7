"""One image or one post that raises is a recorded item error, never the end of the night, and
the next run finishes the work (issue: a 1x1 tracking pixel in a district with logos crashed the
audit and the night's findings were lost for good). Also: the audit outwaits a reader holding the
warehouse file and records the wait."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

import flows.steps.checking as checking
import rules.detect.media_pipeline as media_pipeline
from cli.main import cli
from demo.sample_server import DEMO_DIR, DemoSite, Entry, prepare_district
from tests.flows.recovery_helpers import q

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
RAISING_TEXT = "Friday's game moves"  # ath-3: the post whose checks are made to raise once


def _ava_flagged(db: Path) -> bool:
    """The opt-out student (Ava Martinez, named in ath-2) has an open finding."""
    rows = q(
        db,
        "SELECT count(*) FROM findings f JOIN posts p USING (post_id) "
        "WHERE p.native_id = 'ath-2' AND f.status = 'open'",
    )
    return rows[0][0] > 0


def _audit(district: Path, db: Path, now: datetime) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli,
        ["audit", "--config", str(district), "--db", str(db), "--now", now.isoformat(), "--json"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _checks_raising_on_one_post(real: Any) -> Any:
    def evaluate(ruleset: Any, targets: list[Any], ctx: Any) -> list[Any]:
        if any(RAISING_TEXT in t.text for t in targets):
            raise RuntimeError("a check fell over on this post")
        return real(ruleset, targets, ctx)

    return evaluate


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("items")
    media = tmp / "media"
    shutil.copytree(DEMO_DIR / "media", media)
    Image.new("RGB", (1, 1), (255, 255, 255)).save(media / "pixel.png")  # a tracking pixel
    real_analyse, real_evaluate = media_pipeline.analyse, checking.evaluate_targets
    with DemoSite(NOW, media_dir=media) as site, pytest.MonkeyPatch.context() as patch:
        site.add(
            "/athletics/feed.xml",
            Entry(
                "ath-news",
                "Newsletter",
                "<p>This week</p>",
                NOW - timedelta(hours=3),
                images=["pixel.png"],
            ),
        )
        district = prepare_district(tmp, site.base_url, NOW)  # logos configured
        db = tmp / "w.duckdb"

        # Night 1: whatever the detectors make of a 1x1 image today, make its analysis raise,
        # and make the checks of one other post raise.
        def analyse_failing_on_the_pixel(path: Path, *args: Any, **kwargs: Any) -> Any:
            if Image.open(path).size == (1, 1):
                raise ValueError("resize: inv_scale_x > 0")
            return real_analyse(path, *args, **kwargs)

        patch.setattr(media_pipeline, "analyse", analyse_failing_on_the_pixel)
        patch.setattr(checking, "evaluate_targets", _checks_raising_on_one_post(real_evaluate))
        first = _audit(district, db, NOW)
        after_first = {
            "flagged": _ava_flagged(db),
            "errors": q(
                db,
                "SELECT stage, subject, subject_id, error_type, error, resolved_at "
                "FROM item_errors ORDER BY stage",
            ),
            "pixel_analysed": q(
                db,
                "SELECT count(*) FROM media_analysis a JOIN media m "
                "USING (sha256) WHERE m.bytes < 100",
            )[0][0],
        }

        # Night 2: the detector and the check are fixed (the pixel analyses as a degenerate image).
        def analyse_fixed(path: Path, *args: Any, **kwargs: Any) -> Any:
            if Image.open(path).size == (1, 1):
                sha = media_pipeline.sha256_file(path)
                return media_pipeline.MediaAnalysis(sha256=sha, ok=False, error="too_small: 1x1")
            return real_analyse(path, *args, **kwargs)

        patch.setattr(media_pipeline, "analyse", analyse_fixed)
        patch.setattr(checking, "evaluate_targets", real_evaluate)
        second = _audit(district, db, LATER)
        yield {"db": db, "district": district, "first": first, "second": second, **after_first}


def test_the_night_with_a_failing_pixel_and_a_failing_post_completes_and_flags_the_student(
    world: dict[str, Any],
) -> None:
    assert world["first"]["media_failed"] == 1 and world["first"]["check_errors"] == 1
    assert world["flagged"]  # the opt-out student named in another post
    assert world["pixel_analysed"] == 0
    errors = {(e[0], e[1]): e for e in world["errors"]}
    assert set(errors) == {("analyse", "media"), ("check", "post")}
    assert errors[("analyse", "media")][3] == "ValueError"
    assert "inv_scale_x" in errors[("analyse", "media")][4]
    assert "a check fell over" in errors[("check", "post")][4]
    assert all(e[5] is None for e in world["errors"])  # open until the work is done


def test_the_next_run_finishes_what_failed_and_resolves_the_errors(world: dict[str, Any]) -> None:
    db, second = world["db"], world["second"]
    assert second["media_analysed"] == 1 and second["media_failed"] == 0
    # the pixel's post (its analysis changed) and the post whose checks raised, nothing else
    assert second["items_checked"] == 2 and second["check_errors"] == 0
    assert q(db, "SELECT count(*) FROM item_errors WHERE resolved_at IS NULL") == [(0,)]
    checked_again = q(
        db,
        "SELECT p.native_id FROM check_state s JOIN posts p USING (post_id) "
        "JOIN fetch_runs r ON r.run_id = s.run_id WHERE r.started_at = ? ORDER BY 1",
        [LATER],
    )
    assert checked_again == [("ath-3",), ("ath-news",)]
    assert q(
        db,
        "SELECT count(*) FROM posts p LEFT JOIN check_state s ON s.post_id = p.post_id "
        "AND s.version = p.current_version WHERE s.post_id IS NULL",
    ) == [(0,)]


def test_the_audit_outwaits_a_reader_holding_the_file_and_records_the_wait(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe held the file 45 s with a read-only connection and the audit died of "Could
    not set lock"; here a shorter hold, with the wait limit above it."""
    db = world["db"]
    monkeypatch.setenv("HALLMONITOR_DB_LOCK_WAIT", "120")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print('held', flush=True); time.sleep(float(sys.argv[2]))",
            str(db),
            "6",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        third = _audit(world["district"], db, LATER + timedelta(hours=1))
    finally:
        holder.kill()
        holder.wait()
    assert third["lock_wait_seconds"] >= 1.0
    stored = q(
        db, "SELECT status, lock_wait_seconds FROM fetch_runs WHERE run_id = ?", [third["run_id"]]
    )
    assert stored[0][0] == "completed" and stored[0][1] == third["lock_wait_seconds"]
