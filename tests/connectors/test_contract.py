"""The shared connector contract, run against every scenario in tests/connectors/scenarios/.

How to add a platform: see the docstring of tests/connectors/contract.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from connectors import CONNECTORS
from connectors.base import FetchSettings, FetchWindow, Item
from connectors.errors import SkippableError
from flows.steps.fetching import FetchOutcome
from flows.steps.loading import batch_frame
from tests.connectors.contract import BASIS, RICH_LINES, Harness, discover, harness, started
from warehouse import store
from warehouse.db import connect
from warehouse.expectations import validate_posts

SCENARIOS = discover()


@pytest.fixture(params=sorted(SCENARIOS), ids=str)
def h(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with started(SCENARIOS[request.param]()) as scenario:
        yield harness(scenario)


def posts(items: list[Item]) -> list[Item]:
    """Everything but the profile, which an account has even when it has published nothing."""
    return [i for i in items if i.kind != "profile"]


def test_every_registered_connector_has_a_contract_scenario() -> None:
    covered = {cls.platform for cls in SCENARIOS.values()}
    assert set(CONNECTORS) <= covered, f"no contract scenario for {set(CONNECTORS) - covered}"


def test_scenario_module_names_match_their_platform() -> None:
    mismatched = {name: cls.platform for name, cls in SCENARIOS.items() if name != cls.platform}
    assert not mismatched


def test_items_have_absolute_permalinks_aware_utc_times_and_unique_ids(h: Harness) -> None:
    result, requests = h.fetch()
    assert len(posts(result.items)) >= h.scenario.min_items
    assert len(requests) >= h.scenario.min_requests, "scenario must serve more than one page"
    for item in result.items:
        parts = urlsplit(item.permalink)
        assert parts.scheme in ("http", "https") and parts.netloc, item.permalink
        for when in (item.published_at, item.edited_at):
            assert when is None or when.utcoffset() == timedelta(0), (item.native_id, when)
        for ref in item.media:
            assert urlsplit(ref.url).scheme in ("http", "https"), ref.url
    keys = [(i.kind, i.native_id) for i in result.items]
    assert len(keys) == len(set(keys))
    assert any(i.published_at is not None for i in posts(result.items))


def test_cursor_and_raw_payloads_are_json(h: Harness) -> None:
    result, _ = h.fetch()
    json.dumps(result.cursor)
    for item in result.items:
        json.dumps(item.raw)
        json.dumps(item.extra)
    assert result.complete_since is None or result.complete_since.utcoffset() == timedelta(0)


def test_second_fetch_with_cursor_asks_only_for_new_items_and_returns_the_new_one(
    h: Harness,
) -> None:
    first, _ = h.fetch()
    newest = max((i.published_at for i in first.items if i.published_at), default=h.scenario.since)
    new_id = h.scenario.add_item()
    second, requests = h.fetch(since=newest, cursor=first.cursor)
    assert new_id in {i.native_id for i in second.items}
    assert new_id not in {i.native_id for i in first.items}
    h.scenario.assert_incremental(requests)


def test_empty_account_ends_cleanly(h: Harness) -> None:
    h.scenario.make_empty()
    result, requests = h.fetch()
    assert len(posts(result.items)) == h.scenario.items_when_empty
    assert requests, "the connector must still ask the platform"


def test_auth_error_skips_the_account(h: Harness) -> None:
    h.scenario.mode = "auth_error"
    with pytest.raises(SkippableError) as caught:
        h.fetch()
    assert caught.value.reason in ("auth", "forbidden")


def test_single_throttle_is_retried_and_the_fetch_succeeds(h: Harness) -> None:
    expected, _ = h.fetch()
    h.scenario.mode = "rate_limit_once"
    result, requests = h.fetch()
    assert [i.native_id for i in result.items] == [i.native_id for i in expected.items]
    assert len(h.sleeps) == 1, h.sleeps
    assert len(requests) >= 2


def test_access_log_has_one_record_per_request_with_the_basis(h: Harness) -> None:
    _, requests = h.fetch()
    assert len(h.http.records) == len(requests)
    assert {r.basis for r in h.http.records} == {BASIS}
    assert {r.account_id for r in h.http.records} == {h.account.id}
    if h.scenario.token:
        assert not any(h.scenario.token in r.url for r in h.http.records)


# -- everything a post says, repeats, and what absence proves -------------------------------------
def text_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.split("\n") if line.strip()]


def test_all_visible_text_is_kept_in_order_with_line_breaks(h: Harness) -> None:
    new_id = h.scenario.add_item(rich=True)
    result, _ = h.fetch()
    item = next(i for i in result.items if i.native_id == new_id)
    lines = text_lines(item.text)
    start = lines.index(RICH_LINES[0])
    assert lines[start : start + len(RICH_LINES)] == RICH_LINES, item.text


def test_an_item_repeated_across_pages_does_not_fail_validation(h: Harness) -> None:
    h.scenario.mode = "publish_during_paging"
    result, _ = h.fetch()
    keys = [(i.kind, i.native_id) for i in result.items]
    assert len(keys) == len(set(keys))
    outcome = FetchOutcome(h.account.id, FetchWindow(h.scenario.since, {}), items=result.items)
    verdict = validate_posts(batch_frame("d1", h.account, outcome), h.scenario.now)
    assert verdict.success, verdict.failures


def test_a_completeness_claim_names_the_listing_that_makes_it(h: Harness) -> None:
    result, _ = h.fetch()
    assert (result.complete_since is None) is (result.complete_how is None)


def test_an_item_absent_from_a_non_chronological_feed_is_not_marked_deleted(
    h: Harness, tmp_path: Path
) -> None:
    first, _ = h.fetch()
    dropped = h.scenario.rotate_out()
    if dropped is None:
        # A by-date API listing: absence from a complete walk is deletion, and the connector
        # must say which listing vouches for that.
        assert first.complete_since is not None and first.complete_how
        return
    assert dropped in {i.native_id for i in first.items}
    second, _ = h.fetch(cursor=first.cursor)
    assert dropped not in {i.native_id for i in second.items}
    with connect(tmp_path / "w.duckdb") as con:
        for result in (first, second):
            evidence = store.DeletionEvidence(result.complete_how, result.gone)
            store.store_items(
                con,
                "run",
                "d1",
                h.account,
                result.items,
                result.complete_since,
                h.scenario.now,
                None,
                evidence,
            )
        deleted = con.execute("SELECT native_id FROM posts WHERE deleted_at IS NOT NULL").fetchall()
    assert deleted == [], "the item's page is still online: it left the listing, not the platform"


def test_a_fetch_cut_short_by_the_page_ceiling_claims_nothing_and_says_so(h: Harness) -> None:
    full, _ = h.fetch()
    h.connector.settings = FetchSettings(max_pages=1, max_site_pages=2)
    cut, _ = h.fetch()
    if len(posts(cut.items)) == len(posts(full.items)):
        # The whole listing is one document (a feed): nothing was cut, so nothing may say so.
        assert cut.cut_short is None and full.cut_short is None
        return
    assert cut.cut_short in ("page_limit", "crawl_incomplete")
    assert cut.complete_since is None and cut.gone == {}
    assert cut.notes
