"""The data-quality suites: good batches pass, each kind of bad row is caught and reported with its
column and examples, and the near-misses (exactly now, a minute ahead, http) are not flagged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from warehouse.expectations import FUTURE_TOLERANCE, MAX_EXAMPLES, validate_findings, validate_posts

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def post(index: int, **changes: Any) -> dict[str, Any]:
    row = {"district_id": "wf", "account_id": "wf-news", "platform": "rss",
           "native_id": f"n{index}", "kind": "post",
           "permalink": f"https://news.example.org/{index}",
           "published_at": NOW - timedelta(hours=index + 1), "text": f"post {index}"}
    row.update(changes)
    return row


def posts(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def failure(verdict: Any, expectation: str, column: str) -> dict[str, Any]:
    found = [f for f in verdict.failures
             if f["expectation"] == expectation and f["column"] == column]
    assert found, f"no {expectation} failure on {column}: {verdict.failures}"
    return found[0]


def test_good_posts_batch_passes() -> None:
    verdict = validate_posts(posts(post(0), post(1), post(2, kind="comment")), NOW)
    assert verdict.success is True
    assert verdict.failures == []


def test_empty_posts_batch_passes() -> None:
    assert validate_posts(pd.DataFrame(columns=list(post(0))), NOW).success is True


@pytest.mark.parametrize("published_at", [
    NOW,                                    # exactly now
    NOW + timedelta(minutes=1),              # a minute ahead: inside the clock-skew tolerance
    NOW + FUTURE_TOLERANCE,                  # the edge of the tolerance
    datetime(2000, 1, 1, tzinfo=UTC),        # the earliest date accepted
    (NOW - timedelta(hours=1)).astimezone(ZoneInfo("America/Chicago")),  # aware, another zone
])
def test_timestamps_at_or_near_now_pass(published_at: datetime) -> None:
    assert validate_posts(posts(post(0, published_at=published_at)), NOW).success is True


@pytest.mark.parametrize("permalink", ["https://example.org/p/1", "http://example.org/p/1"])
def test_http_and_https_permalinks_pass(permalink: str) -> None:
    assert validate_posts(posts(post(0, permalink=permalink)), NOW).success is True


def test_profile_and_page_without_publication_time_pass() -> None:
    batch = posts(post(0), post(1, kind="profile", native_id="profile", published_at=None),
                  post(2, kind="page", published_at=None))
    assert validate_posts(batch, NOW).success is True


def test_empty_text_passes() -> None:
    assert validate_posts(posts(post(0, text="")), NOW).success is True


def test_duplicate_native_ids_fail_naming_both_rows() -> None:
    verdict = validate_posts(posts(post(0), post(1, native_id="n0"), post(2)), NOW)
    assert verdict.success is False
    found = failure(verdict, "expect_column_values_to_be_unique", "native_id")
    assert found["unexpected_count"] == 2
    assert found["examples"] == [{"row": 0, "value": "n0"}, {"row": 1, "value": "n0"}]


def test_null_native_id_fails() -> None:
    verdict = validate_posts(posts(post(0), post(1, native_id=None)), NOW)
    found = failure(verdict, "expect_column_values_to_not_be_null", "native_id")
    assert found["unexpected_count"] == 1
    assert found["examples"] == [{"row": 1, "value": None}]


def test_timestamp_beyond_tolerance_fails_as_future() -> None:
    ahead = NOW + FUTURE_TOLERANCE + timedelta(seconds=1)
    verdict = validate_posts(posts(post(0), post(1, published_at=ahead)), NOW)
    found = failure(verdict, "expect_column_values_to_be_between", "published_at")
    assert found["unexpected_count"] == 1
    assert found["examples"] == [{"row": 1, "value": ahead.isoformat()}]


def test_timestamp_before_2000_fails() -> None:
    old = datetime(1999, 12, 31, 23, 59, tzinfo=UTC)
    verdict = validate_posts(posts(post(0, published_at=old)), NOW)
    assert failure(verdict, "expect_column_values_to_be_between", "published_at")["examples"] == [
        {"row": 0, "value": old.isoformat()}]


@pytest.mark.parametrize("value", [
    datetime(2026, 3, 1, 9, 0),  # noqa: DTZ001 - naive on purpose
    "2026-03-01T09:00:00Z",
    1772355600,
])
def test_timestamp_that_is_not_an_aware_datetime_fails(value: Any) -> None:
    verdict = validate_posts(posts(post(0), post(1, published_at=value)), NOW)
    found = failure(verdict, "expect_column_values_to_be_null", "published_at")
    assert found["unexpected_count"] == 1
    assert found["examples"][0]["row"] == 1


def test_batch_of_only_naive_timestamps_fails_every_dated_row() -> None:
    naive = [datetime(2026, 3, 1, h, 0) for h in (8, 9)]  # noqa: DTZ001 - naive on purpose
    batch = posts(post(0, published_at=naive[0]), post(1, published_at=naive[1]))
    assert str(batch["published_at"].dtype).startswith("datetime64")
    found = failure(validate_posts(batch, NOW), "expect_column_values_to_be_null", "published_at")
    assert found["unexpected_count"] == 2


@pytest.mark.parametrize("permalink", ["ftp://example.org/p/1", "example.org/p/1", "/p/1", ""])
def test_permalink_that_is_not_a_web_url_fails(permalink: str) -> None:
    verdict = validate_posts(posts(post(0), post(1, permalink=permalink)), NOW)
    found = failure(verdict, "expect_column_values_to_match_regex", "permalink")
    assert found["examples"] == [{"row": 1, "value": permalink}]


def test_null_permalink_fails() -> None:
    verdict = validate_posts(posts(post(0, permalink=None)), NOW)
    found = failure(verdict, "expect_column_values_to_not_be_null", "permalink")
    assert found["unexpected_count"] == 1


def test_unknown_platform_fails() -> None:
    verdict = validate_posts(posts(post(0, platform="myspace")), NOW)
    found = failure(verdict, "expect_column_values_to_be_in_set", "platform")
    assert found["examples"] == [{"row": 0, "value": "myspace"}]


def test_unknown_kind_fails() -> None:
    verdict = validate_posts(posts(post(0, kind="story")), NOW)
    assert failure(verdict, "expect_column_values_to_be_in_set", "kind")["unexpected_count"] == 1


@pytest.mark.parametrize(("text", "expectation"), [
    (None, "expect_column_values_to_not_be_null"),
    (42, "expect_column_values_to_be_in_type_list"),
])
def test_text_that_is_not_a_string_fails(text: Any, expectation: str) -> None:
    verdict = validate_posts(posts(post(0), post(1, text=text)), NOW)
    assert failure(verdict, expectation, "text")["examples"][0]["row"] == 1


def test_missing_column_fails_the_batch() -> None:
    verdict = validate_posts(posts(post(0)).drop(columns=["permalink"]), NOW)
    assert failure(verdict, "expect_column_to_exist", "permalink")["unexpected_count"] == 1


def test_examples_are_capped_truncated_and_json_storable() -> None:
    long_id = "x" * 500
    batch = posts(*[post(i, native_id=long_id) for i in range(12)])
    verdict = validate_posts(batch, NOW)
    found = failure(verdict, "expect_column_values_to_be_unique", "native_id")
    assert found["unexpected_count"] == 12
    assert len(found["examples"]) == MAX_EXAMPLES
    assert all(len(example["value"]) <= 120 for example in found["examples"])
    assert json.loads(json.dumps(verdict.failures)) == verdict.failures


def test_index_of_the_caller_frame_does_not_leak_into_examples() -> None:
    batch = posts(post(0), post(1, platform="myspace"))
    batch.index = ["a", "b"]
    verdict = validate_posts(batch, NOW)
    assert failure(verdict, "expect_column_values_to_be_in_set", "platform")["examples"] == [
        {"row": 1, "value": "myspace"}]


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_posts(posts(post(0)), datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001


# --- findings ---------------------------------------------------------------------------------

def draft(index: int, **changes: Any) -> dict[str, Any]:
    row = {"finding_id": f"f{index}", "district_id": "wf", "account_id": "wf-news",
           "check_name": "confidentiality", "rule_id": "wf.confidentiality.student-records",
           "citation": json.dumps({"policy": "DEBH-AP", "section": "para. 3", "quote": "..."}),
           "level": "violation", "severity": "high", "category": "student record"}
    row.update(changes)
    return row


def drafts(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def test_good_findings_batch_passes() -> None:
    batch = drafts(draft(0), draft(1, level="advisory", severity="low"),
                   draft(2, severity="critical"), draft(3, severity="medium"))
    assert validate_findings(batch, NOW).success is True


def test_empty_findings_batch_passes() -> None:
    assert validate_findings(pd.DataFrame(columns=list(draft(0))), NOW).success is True


def test_duplicate_finding_ids_fail() -> None:
    verdict = validate_findings(drafts(draft(0), draft(1, finding_id="f0")), NOW)
    found = failure(verdict, "expect_column_values_to_be_unique", "finding_id")
    assert found["examples"] == [{"row": 0, "value": "f0"}, {"row": 1, "value": "f0"}]


@pytest.mark.parametrize("column", ["finding_id", "check_name", "rule_id", "citation", "category"])
def test_finding_without_required_value_fails(column: str) -> None:
    verdict = validate_findings(drafts(draft(0), draft(1, **{column: None})), NOW)
    found = failure(verdict, "expect_column_values_to_not_be_null", column)
    assert found["examples"] == [{"row": 1, "value": None}]


@pytest.mark.parametrize(("column", "value"), [
    ("level", "warning"), ("level", "Violation"), ("severity", "urgent"), ("severity", "")])
def test_finding_with_unknown_level_or_severity_fails(column: str, value: str) -> None:
    verdict = validate_findings(drafts(draft(0, **{column: value})), NOW)
    assert failure(verdict, "expect_column_values_to_be_in_set", column)["examples"] == [
        {"row": 0, "value": value}]
