"""Data-quality suites (Great Expectations 1.x) for a batch of fetched items and of finding drafts.

A batch that fails is quarantined by the caller with `BatchVerdict.failures`, not loaded.

Why it is built this way:
- GX runs on the pandas DataFrame, never on DuckDB: its SQL datasource on DuckDB fails silently
  (every expectation false, an IndexError inside).
- Importing GX costs seconds, so the ephemeral context, datasource and suites are built once per
  process, lazily, on first use, and reused under a lock (a flow may validate from several threads).
- "now" changes per call, so the upper bound on `published_at` is a suite parameter
  (`{"$PARAMETER": ...}`) rather than a suite rebuilt each time.
- Timestamps are normalised to a UTC datetime column first: GX compares an object column of
  datetimes row by row in Python (about ten times slower). Values that are not timezone-aware
  datetimes go to a helper column that must be all null, so they are reported, not coerced away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from connectors import CONNECTORS

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_suite import ExpectationSuite

ITEM_KINDS = ("post", "comment", "share", "profile", "page")
LEVELS = ("violation", "advisory")
SEVERITIES = ("low", "medium", "high", "critical")
POST_COLUMNS = ("district_id", "account_id", "platform", "native_id", "kind", "permalink",
                "published_at", "text")
FINDING_COLUMNS = ("finding_id", "district_id", "account_id", "check_name", "rule_id", "citation",
                   "level", "severity", "category")
# Clocks drift and platforms round; a post a few minutes "ahead" of our clock is not bad data.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_EXAMPLES = 5
MAX_EXAMPLE_CHARS = 120

# A helper column holding the raw value of each published_at that is not an aware datetime.
_BAD_TIME = "_published_at_not_aware_datetime"
_REPORTED_AS = {_BAD_TIME: "published_at"}
_NOW_PARAM = "latest_allowed_published_at"


@dataclass
class BatchVerdict:
    """`failures`: one JSON-able dict per failed expectation, for the quarantine table."""

    success: bool
    failures: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Gx:
    batch: BatchDefinition[Any]
    posts: ExpectationSuite
    findings: ExpectationSuite


_lock = threading.Lock()
_gx: _Gx | None = None


def validate_posts(df: pd.DataFrame, now: datetime) -> BatchVerdict:
    """Validate one account's batch of fetched items (one row per item, POST_COLUMNS)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    frame, missing = _with_columns(df, POST_COLUMNS)
    frame[_BAD_TIME] = _not_aware(frame["published_at"])
    frame["published_at"] = _as_utc(frame["published_at"], frame[_BAD_TIME])
    # GX checks an object column value by value; on pandas' own string dtype it compares the
    # column dtype, whose identity differs between pandas 2 and 3.
    frame["text"] = frame["text"].astype(object)
    params = {_NOW_PARAM: (now + FUTURE_TOLERANCE).astimezone(UTC)}
    return _run(frame, missing, lambda gx: gx.posts, params)


def validate_findings(df: pd.DataFrame, now: datetime) -> BatchVerdict:
    """Validate a batch of finding drafts before they are upserted. `now` is accepted for symmetry
    with validate_posts (drafts carry no timestamps yet)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    frame, missing = _with_columns(df, FINDING_COLUMNS)
    return _run(frame, missing, lambda gx: gx.findings, {})


def _run(frame: pd.DataFrame, missing: list[str], pick: Callable[[_Gx], ExpectationSuite],
         params: dict[str, Any]) -> BatchVerdict:
    if frame.empty:  # nothing would be loaded, so nothing can be wrong
        return BatchVerdict(True, [])
    failures = [{"expectation": "expect_column_to_exist", "column": name,
                 "unexpected_count": len(frame), "examples": []} for name in missing]
    with _lock:
        gx = _context()
        batch = gx.batch.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(pick(gx), expectation_parameters=params, result_format={
            "result_format": "SUMMARY", "partial_unexpected_count": 20})
    failures.extend(_failure(r, frame) for r in result.results if not r.success)
    return BatchVerdict(not failures, failures)


def _with_columns(df: pd.DataFrame, required: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """A copy with a positional index (examples name row numbers); missing columns become null so
    every other expectation still runs and the batch fails on them too."""
    frame = df.reset_index(drop=True).copy()
    missing = [name for name in required if name not in frame.columns]
    for name in missing:
        frame[name] = pd.Series([None] * len(frame), dtype=object)
    return frame, missing


def _not_aware(values: pd.Series) -> pd.Series:
    """The raw value where published_at is present but not a timezone-aware datetime, else None."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.Series([None] * len(values), dtype=object)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):  # naive datetime64: every value is bad
        return values.map(lambda v: None if pd.isna(v) else str(v)).astype(object)

    def check(value: Any) -> str | None:
        if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
            return None
        if isinstance(value, datetime) and value.tzinfo is not None:
            return None
        return str(value)

    return values.map(check).astype(object)


def _as_utc(values: pd.Series, bad: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):  # the common case: no per-value work
        return values.dt.tz_convert(UTC)
    kept = values.astype(object).where(bad.isna(), None)
    return pd.to_datetime(kept, utc=True)


def _context() -> _Gx:
    """Build the GX context, datasource and suites on first use (the import alone takes seconds)."""
    global _gx
    if _gx is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # GX announces its temporary docs folder at INFO on every start (that module sets its own
        # logger to INFO): not news for an operator.
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                             metric_calculations=False)
        asset = context.data_sources.add_pandas("hallmonitor").add_dataframe_asset("batch")
        _gx = _Gx(asset.add_batch_definition_whole_dataframe("whole"),
                  _posts_suite(gx), _findings_suite(gx))
    return _gx


def _posts_suite(gx: Any) -> ExpectationSuite:
    e = gx.expectations
    not_null = [e.ExpectColumnValuesToNotBeNull(column=c)
                for c in ("district_id", "account_id", "native_id", "permalink", "text")]
    suite: ExpectationSuite = gx.ExpectationSuite(name="posts_batch", expectations=[
        *not_null,
        # The batch is one account, so unique in the batch is unique per account.
        e.ExpectColumnValuesToBeUnique(column="native_id"),
        e.ExpectColumnValuesToMatchRegex(column="permalink", regex=r"^https?://"),
        e.ExpectColumnValuesToBeInSet(column="platform", value_set=sorted(CONNECTORS)),
        e.ExpectColumnValuesToBeInSet(column="kind", value_set=list(ITEM_KINDS)),
        e.ExpectColumnValuesToBeNull(column=_BAD_TIME),
        # Nulls are skipped by column-map expectations: a profile or page may have no date.
        e.ExpectColumnValuesToBeBetween(column="published_at", min_value=EARLIEST,
                                        max_value={"$PARAMETER": _NOW_PARAM}),
        # Empty text is fine (an image-only post); a number or a list is a connector bug.
        e.ExpectColumnValuesToBeInTypeList(column="text", type_list=["str"]),
    ])
    return suite


def _findings_suite(gx: Any) -> ExpectationSuite:
    e = gx.expectations
    not_null = [e.ExpectColumnValuesToNotBeNull(column=c) for c in FINDING_COLUMNS]
    suite: ExpectationSuite = gx.ExpectationSuite(name="findings_batch", expectations=[
        *not_null,
        e.ExpectColumnValuesToBeUnique(column="finding_id"),
        e.ExpectColumnValuesToBeInSet(column="level", value_set=list(LEVELS)),
        e.ExpectColumnValuesToBeInSet(column="severity", value_set=list(SEVERITIES)),
    ])
    return suite


def _failure(result: Any, frame: pd.DataFrame) -> dict[str, Any]:
    config = result.expectation_config
    column = config.kwargs.get("column")
    detail = result.result or {}
    examples: list[dict[str, Any]] = []
    if result.exception_info and result.exception_info.get("raised_exception"):
        examples.append({"error": _short(result.exception_info.get("exception_message"))})
    for row in (detail.get("partial_unexpected_index_list") or [])[:MAX_EXAMPLES]:
        examples.append({"row": int(row), "value": _short(frame.at[row, column])})
    return {"expectation": config.type, "column": _REPORTED_AS.get(column, column),
            "unexpected_count": int(detail.get("unexpected_count") or 0), "examples": examples}


def _short(value: Any) -> Any:
    """A JSON-able, truncated rendering of one offending value."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1] + "…"
