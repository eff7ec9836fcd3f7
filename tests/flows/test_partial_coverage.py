"""A fetch cut short by the page ceiling is partial coverage, not complete: what was read is
stored, nothing is marked deleted, and the night says the account was not fully captured."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from connectors.base import FetchSettings, FetchWindow
from flows.district import load_district
from flows.steps.fetching import AccessSink, fetch_account
from flows.steps.loading import load_outcome
from hallmonitor.clock import FixedClock
from hallmonitor.permissions import FetchDecision
from tests.connectors.contract import started
from tests.connectors.scenarios.mastodon import MastodonScenario
from tests.flows.test_all_platforms_e2e import _write_district


@pytest.fixture
def scenario() -> Iterator[MastodonScenario]:
    with started(MastodonScenario()) as running:
        yield running


def test_page_ceiling_is_recorded_as_partial_coverage(
    scenario: MastodonScenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_district(tmp_path / "district", {"mastodon": scenario}, monkeypatch)
    config = load_district(tmp_path / "district")
    account = config.accounts[0]
    decision = FetchDecision(account.id, True, "written consent (test)", "ok")
    sink = AccessSink()
    window = FetchWindow(since=scenario.now - timedelta(days=3650), cursor={}, full_rescan=True)
    outcome = fetch_account(
        account,
        decision,
        window,
        tmp_path / "media",
        {},
        FixedClock(scenario.now),
        sink,
        fetch_settings=FetchSettings(max_pages=2),
    )
    assert outcome.ok and outcome.cut_short == "page_limit"
    assert outcome.complete_since is None
    db = tmp_path / "w.duckdb"
    coverage, _ = load_outcome(
        db, "run-1", config, account, outcome, sink.drain(account.id), scenario.now
    )
    assert coverage.status == "partial" and coverage.reason == "page_limit"
    assert coverage.error and "stopped after 2 pages" in coverage.error
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM posts WHERE kind <> 'profile'").fetchone()
        status = con.execute("SELECT status, reason FROM coverage").fetchall()
    finally:
        con.close()
    assert stored == (2 * scenario.page_size,), "what was read is stored"
    assert status == [("partial", "page_limit")]
