"""Errors by kind: a platform's refusal is a skippable coverage gap with a reason from the one
enumeration; a spent retry budget is retried by the task; a bug in our own connector code
(KeyError, TypeError, ...) is not blamed on the platform: it propagates and the run is recorded
as failed, with its error and secrets masked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import DisallowedHost, Reason, SkippableError
from connectors.rss import RssConnector
from demo.sample_server import DemoSite, prepare_district
from flows.audit import nightly_audit
from flows.district import load_district
from flows.failures import error_text
from flows.steps.fetching import AccessSink, TransientAccountFailure, fetch_account, window_for
from hallmonitor.clock import clock_from
from hallmonitor.permissions import decide
from tests.flows.recovery_helpers import q

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
# Every reason ever stored in coverage.reason / access_log.outcome: renaming one breaks history.
STORED_REASONS = {
    "auth",
    "bad_content_type",
    "bad_locator",
    "bad_request",
    "data_quality",
    "disallowed_host",
    "error",
    "fatal",
    "forbidden",
    "gone",
    "http_error",
    "malformed",
    "no_permission",
    "not_found",
    "not_permitted",
    "platform_error",
    "quota",
    "rate_limited",
    "redirects",
    "request_error",
    "robots_disallowed",
    "too_large",
    "transient",
    "transient_exhausted",
}


def test_every_stored_reason_is_a_member_of_the_one_enumeration() -> None:
    assert STORED_REASONS <= {r.value for r in Reason}


def test_a_reason_outside_the_enumeration_is_refused() -> None:
    assert SkippableError("x", "auth").reason is Reason.AUTH
    assert DisallowedHost("http://x/").reason == "disallowed_host"
    with pytest.raises(ValueError):
        SkippableError("x", "token went away")


def _fetch_with(tmp_path: Path, failure: BaseException) -> Any:
    district = prepare_district(tmp_path, "http://127.0.0.1:9", NOW)
    config = load_district(district)
    account = next(a for a in config.accounts if a.platform == "rss")
    clock = clock_from(NOW.isoformat())

    def fetch(self: RssConnector, window: Any) -> Any:
        raise failure

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RssConnector, "fetch", fetch)
        return fetch_account(
            account,
            decide(account, NOW.date()),
            window_for(config.district, None, NOW),
            tmp_path / "media",
            {},
            clock,
            AccessSink(),
        )


@pytest.mark.parametrize(
    "bug", [KeyError("guid"), TypeError("x"), ValueError("x"), AttributeError("x"), IndexError(0)]
)
def test_a_bug_inside_a_connector_propagates_instead_of_becoming_a_gap(
    tmp_path: Path, bug: Exception
) -> None:
    with pytest.raises(type(bug)):
        _fetch_with(tmp_path, bug)


def test_a_platform_refusal_is_a_gap_with_its_reason(tmp_path: Path) -> None:
    outcome = _fetch_with(tmp_path, SkippableError("HTTP 401", Reason.AUTH))
    assert (outcome.reason, outcome.error) == ("auth", "HTTP 401")


def test_spent_retries_hand_the_account_back_to_the_task_for_another_try(tmp_path: Path) -> None:
    with pytest.raises(TransientAccountFailure):
        _fetch_with(tmp_path, SkippableError("gave up", Reason.TRANSIENT_EXHAUSTED))


def test_error_text_masks_configured_tokens_and_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    district = prepare_district(tmp_path, "http://127.0.0.1:9", NOW)
    (district / "accounts.yaml").write_text(
        (district / "accounts.yaml").read_text(encoding="utf-8")
        + "  - id: masto\n    kind: sponsored\n    platform: mastodon\n"
        + '    locator: "https://social.example/@pvps"\n    token_env: TEST_MASTO_TOKEN\n'
        + "    responsible: E104\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TEST_MASTO_TOKEN", "s3cret-token-value")
    config = load_district(district)
    text = error_text(RuntimeError("401: Bearer s3cret-token-value \x1b]0;pwned\x07"), config)
    assert "s3cret" not in text and "\x1b" not in text and "***" in text


def test_a_connector_bug_fails_the_run_loudly_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fetch(self: RssConnector, window: Any) -> Any:
        return {}["items"]  # our bug, not the platform's

    monkeypatch.setattr(RssConnector, "fetch", fetch)
    db = tmp_path / "w.duckdb"
    with DemoSite(NOW) as site:
        district = prepare_district(tmp_path, site.base_url, NOW)
        with pytest.raises(KeyError):
            nightly_audit(str(district), str(db), now=NOW.isoformat(), trigger="test")
    runs = q(db, "SELECT status, error, finished_at IS NOT NULL FROM fetch_runs")
    assert len(runs) == 1 and runs[0][0] == "failed" and runs[0][2]
    assert runs[0][1].startswith("KeyError: 'items'") and "test_errors_by_kind.py" in runs[0][1]
    assert q(db, "SELECT count(*) FROM coverage WHERE reason = 'malformed'") == [(0,)]
