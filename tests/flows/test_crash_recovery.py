"""A run killed anywhere is finished by the next one: SIGKILL `hallmonitor audit` during fetch,
after load, during image analysis and during checks, re-run, and the warehouse holds exactly
what an uninterrupted run leaves: posts, media, analyses and findings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from demo.sample_server import DemoSite, prepare_district
from flows.audit import nightly_audit
from flows.checkpoints import POINTS
from flows.district import load_district
from flows.steps.recheck import recheck
from tests.flows.recovery_helpers import audit_killed_at, q, snapshot

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("crash")
    with DemoSite(NOW) as site:
        district = prepare_district(tmp, site.base_url, NOW)
        db = tmp / "uninterrupted.duckdb"
        nightly_audit(str(district), str(db), now=NOW.isoformat(), trigger="test")
        yield {"tmp": tmp, "district": district, "expected": snapshot(db)}


def test_the_uninterrupted_run_analyses_images_and_finds_something(world: dict[str, Any]) -> None:
    """Guards the comparison below: an empty warehouse would equal an empty warehouse."""
    expected = world["expected"]
    assert len(expected["analyses"]) == 3 and len(expected["findings"]) >= 5
    assert any(f[3] == "student_images" or "image" in f[8] for f in expected["findings"])
    assert len(expected["check_state"]) == len(expected["posts"])


@pytest.mark.parametrize("point", POINTS)
def test_an_audit_killed_at_any_point_is_finished_by_the_next_run(
    world: dict[str, Any], point: str
) -> None:
    tmp: Path = world["tmp"]
    db = tmp / f"killed-{point}.duckdb"
    audit_killed_at(point, world["district"], db, NOW.isoformat(), tmp)
    assert q(db, "SELECT status FROM fetch_runs") == [("running",)]

    rerun = nightly_audit(str(world["district"]), str(db), now=NOW.isoformat(), trigger="test")

    assert snapshot(db) == world["expected"]
    assert [r["run_id"] for r in rerun["abandoned_runs"]] == [
        q(db, "SELECT run_id FROM fetch_runs WHERE status = 'abandoned'")[0][0]
    ]
    statuses = q(db, "SELECT status, finished_at IS NOT NULL, error FROM fetch_runs ORDER BY 1")
    assert [s[:2] for s in statuses] == [("abandoned", True), ("completed", True)]
    assert "ended without finishing" in statuses[0][2]
    # and a further run finds nothing left to do
    again = nightly_audit(str(world["district"]), str(db), now=NOW.isoformat(), trigger="test")
    assert (again["media_analysed"], again["items_checked"], again["findings_new"]) == (0, 0, 0)
    assert snapshot(db) == world["expected"]


def test_recheck_after_a_kill_restores_image_analyses_as_well_as_text_findings(
    world: dict[str, Any],
) -> None:
    """`recheck` fetches nothing: it must analyse the images the killed run stored but never
    analysed before it checks, or the image findings stay lost."""
    tmp: Path = world["tmp"]
    db = tmp / "killed-then-rechecked.duckdb"
    audit_killed_at("loaded", world["district"], db, NOW.isoformat(), tmp)
    assert q(db, "SELECT count(*) FROM media_analysis") == [(0,)]

    stats = recheck(load_district(world["district"]), db, None, NOW)

    assert (stats.media_analysed, stats.errors) == (3, 0)
    assert snapshot(db) == world["expected"]
    assert q(db, "SELECT trigger, status FROM fetch_runs ORDER BY started_at, status") == [
        ("cli", "abandoned"),
        ("recheck", "completed"),
    ]
