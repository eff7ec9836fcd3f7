"""The per-account deadline and the per-run budget (issue 10, item 7): each ends the account's
fetch with its own coverage reason instead of hanging the night on retries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import FetchWindow
from connectors.http import HttpSettings
from demo.fakeplatform import FakePlatform, Request, Response
from flows.steps.fetching import AccessSink, FetchOutcome, fetch_account
from flows.steps.loading import load_outcome
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account, District
from hallmonitor.permissions import decide

NOW = datetime(2026, 11, 21, 8, tzinfo=UTC)
WINDOW = FetchWindow(NOW - timedelta(days=30), {}, True)


def slow_page(request: Request) -> Response:
    time.sleep(0.3)
    links = "".join(f'<a href="/site/p{n}">p</a>' for n in range(20))
    return 200, {"Content-Type": "text/html"}, f"<html><body>{links}</body></html>"


@pytest.fixture
def fake() -> Iterator[FakePlatform]:
    with FakePlatform() as platform:
        platform.route("/robots.txt", lambda r: (404, {}, ""))
        platform.route("/feed.xml", lambda r: (503, {}, "busy"))
        platform.route_prefix("/site/", slow_page)
        yield platform


def fetch(
    account: Account, tmp_path: Path, settings: HttpSettings, run_deadline: float | None = None
) -> FetchOutcome:
    return fetch_account(
        account,
        decide(account, NOW.date()),
        WINDOW,
        tmp_path,
        {},
        FixedClock(NOW),
        AccessSink(),
        http_settings=settings,
        run_deadline=run_deadline,
    )


def test_a_failing_feed_ends_at_the_account_deadline_not_after_every_retry(
    fake: FakePlatform, tmp_path: Path
) -> None:
    feed = Account(id="f", kind="sponsored", platform="rss", locator=fake.base_url + "/feed.xml")
    started = time.monotonic()
    outcome = fetch(feed, tmp_path, HttpSettings(account_deadline=0.5, max_attempts=4))
    assert outcome.reason == "account_deadline", outcome.error
    assert time.monotonic() - started < 1.5
    assert len(fake.requests) == 1, "the back-off would cross the deadline: not retried"


def test_a_crawl_past_the_run_budget_is_a_gap_with_that_reason(
    fake: FakePlatform, tmp_path: Path
) -> None:
    site = Account(id="s", kind="sponsored", platform="web", locator=fake.base_url + "/site/")
    outcome = fetch(site, tmp_path, HttpSettings(), run_deadline=time.monotonic() + 1.0)
    assert outcome.reason == "run_budget", outcome.error
    assert 2 <= len(fake.requests_to("/site/")) <= 5


def test_an_account_started_after_the_run_budget_sends_nothing(
    fake: FakePlatform, tmp_path: Path
) -> None:
    feed = Account(id="f", kind="sponsored", platform="rss", locator=fake.base_url + "/feed.xml")
    outcome = fetch(feed, tmp_path, HttpSettings(), run_deadline=time.monotonic() - 1)
    assert outcome.reason == "run_budget" and fake.requests == []


def test_the_deadline_is_recorded_as_the_accounts_coverage_reason(
    fake: FakePlatform, tmp_path: Path
) -> None:
    from hallmonitor.config import DistrictConfig
    from warehouse.db import connect

    feed = Account(id="f", kind="sponsored", platform="rss", locator=fake.base_url + "/feed.xml")
    outcome = fetch(feed, tmp_path, HttpSettings(account_deadline=0.3))
    district = District(
        id="d", name="D", policy="jndc", timezone="UTC", names=["D"], homepage="https://d.example/"
    )
    config = DistrictConfig(tmp_path, district, [feed], [], [])
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        con.execute("INSERT INTO districts VALUES ('d', 'D', 'jndc', 'UTC', NULL, ?)", [NOW])
    coverage, _ = load_outcome(db, "run-1", config, feed, outcome, [], NOW)
    assert (coverage.status, coverage.reason) == ("gap", "account_deadline")
