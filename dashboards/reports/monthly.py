"""The monthly superintendent summary, as data: findings by check, school, account kind and
level; trend against earlier months; time to decision; open items by age; coverage; which
policy clauses are checked. Counts and categories only: `findings.summary` and the evidence,
which may name a student, are never read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb

from dashboards.reports.clauses import ClauseCoverage, clause_coverage
from dashboards.reports.common import (
    SEVERITIES,
    AccountInfo,
    Month,
    account_infos,
    days_between,
    school_label,
)
from dashboards.reports.coverage import Coverage, coverage_for
from dashboards.review.precision import WINDOW_DAYS, rule_precision
from hallmonitor.config import DistrictConfig
from rules.registry import check_title
from warehouse import findings

TREND_MONTHS = 6
AGE_BUCKETS = ((7, "under 1 week"), (30, "1 to 4 weeks"), (90, "1 to 3 months"),
               (float("inf"), "over 3 months"))


@dataclass
class Decisions:
    count: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    by_disposition: dict[str, int] = field(default_factory=dict)


@dataclass
class MonthlySummary:
    district: str
    month: Month
    timezone: str
    generated_at: datetime
    as_of: datetime  # the end of the month, or now for the current month
    findings: int
    by_level: dict[str, int]
    by_severity: dict[str, int]
    by_check: list[tuple[str, int, int]]  # check, violations, advisories
    by_school: list[tuple[str, int, int]]  # school name, violations, advisories
    by_kind: list[tuple[str, int, int]]  # account kind, violations, advisories
    by_category: list[tuple[str, int]]
    trend: list[tuple[str, int, int]]  # month label, violations, advisories
    trend_no_data: list[str]  # labels of trend months before the district's first audit
    decisions: Decisions
    open_total: int
    open_by_age: list[tuple[str, int]]
    coverage: Coverage
    clauses: ClauseCoverage
    # How often each check was right on this district's accounts (monitors' decisions, 90 days).
    precision: list[CheckPrecision] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        """True when the month has not ended yet (a report run mid-month)."""
        return self.as_of < self.month.bounds(ZoneInfo(self.timezone))[1]

    def headline(self) -> dict[str, object]:
        return {"month": str(self.month), "findings": self.findings, **self.by_level,
                "open": self.open_total, "decided": self.decisions.count,
                "median_days_to_decision": self.decisions.median_days,
                "accounts_audited": self.coverage.accounts_audited,
                "accounts_configured": self.coverage.accounts_configured,
                "nights": self.coverage.nights, "scheduled_nights": self.coverage.scheduled}


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _split(rows: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    """(key, level) rows -> [(key, violations, advisories)], most first."""
    counts: dict[str, Counter[str]] = {}
    for key, level in rows:
        counts.setdefault(key, Counter())[level] += 1
    table = [(key, c["violation"], c["advisory"]) for key, c in counts.items()]
    return sorted(table, key=lambda r: (-(r[1] + r[2]), r[0]))


def _month_findings(con: duckdb.DuckDBPyConnection, district_id: str, start: datetime,
                    end: datetime) -> list[tuple[str, str, str, str, str]]:
    return findings.findings_first_seen_between(con, district_id, start, end)


def _no_data(trend: list[tuple[str, int, int]], month: Month, first_audit: datetime | None,
             tz: ZoneInfo) -> list[str]:
    """Trend months that ended before the first audit and hold no finding: "no data", not
    zero findings (a month with findings has data, however they got there)."""
    first = month.shift(-(TREND_MONTHS - 1))
    months = [first.shift(offset) for offset in range(TREND_MONTHS)]
    return [m.label for m, (_, v, a) in zip(months, trend, strict=True)
            if not v + a and (first_audit is None or m.bounds(tz)[1] <= first_audit)]


def _trend(con: duckdb.DuckDBPyConnection, district_id: str, tz: str, month: Month,
           as_of: datetime) -> list[tuple[str, int, int]]:
    first = month.shift(-(TREND_MONTHS - 1))
    counts = findings.counts_by_month_and_level(con, district_id, tz, as_of)
    trend = []
    for offset in range(TREND_MONTHS):
        current = first.shift(offset)
        trend.append((current.label, counts.get((str(current), "violation"), 0),
                      counts.get((str(current), "advisory"), 0)))
    return trend


def _decisions(con: duckdb.DuckDBPyConnection, district_id: str, start: datetime,
               end: datetime) -> Decisions:
    """First decision per finding made this month; time from first seen to that decision."""
    rows = findings.first_decisions_between(con, district_id, start, end)
    days = [max(0.0, days_between(seen, decided)) for seen, decided in rows]
    dispositions = findings.dispositions_between(con, district_id, start, end)
    return Decisions(len(days), percentile(days, 0.5), percentile(days, 0.9), dispositions)


def _open_by_age(con: duckdb.DuckDBPyConnection, district_id: str,
                 as_of: datetime) -> list[tuple[str, int]]:
    """Findings awaiting a first decision at `as_of`, by how long they had waited."""
    buckets: Counter[str] = Counter()
    for seen in findings.awaiting_first_decision(con, district_id, as_of):
        age = days_between(seen, as_of)
        buckets[next(label for limit, label in AGE_BUCKETS if age < limit)] += 1
    return [(label, buckets[label]) for _, label in AGE_BUCKETS]


@dataclass(frozen=True)
class CheckPrecision:
    """One check's live precision in words a superintendent reads (no rule identifiers)."""

    check: str  # the check's plain-language title
    confirmed: int
    false_detections: int

    @property
    def precision(self) -> float:
        return self.confirmed / (self.confirmed + self.false_detections)


def check_precision(
    con: duckdb.DuckDBPyConnection, district_id: str, until: datetime
) -> list[CheckPrecision]:
    """The review app's live precision (dashboards.review.precision), summed per check."""
    confirmed: Counter[str] = Counter()
    false: Counter[str] = Counter()
    for rule in rule_precision(con, district_id, until, WINDOW_DAYS):
        confirmed[rule.check_name] += rule.confirmed
        false[rule.check_name] += rule.false_detections
    return [
        CheckPrecision(check_title(name), confirmed[name], false[name])
        for name in sorted(set(confirmed) | set(false))
    ]


def build_monthly(con: duckdb.DuckDBPyConnection, config: DistrictConfig, month: Month,
                  now: datetime) -> MonthlySummary:
    district = config.district
    start, end = month.bounds(district.tz)
    as_of = min(end, now)  # everything is as of then: a replay with an earlier "now" sees no later
    accounts = account_infos(con, config)
    rows = _month_findings(con, district.id, start, as_of)

    def info(account_id: str) -> AccountInfo:
        return accounts.get(account_id) or AccountInfo(account_id, account_id, "unknown", "?", None)

    levels = Counter(level for *_, level, _ in rows)
    severities = Counter(severity for *_, severity in rows)
    open_by_age = _open_by_age(con, district.id, as_of)
    coverage = coverage_for(con, config, accounts, start, as_of)
    trend = _trend(con, district.id, district.timezone, month, as_of)
    return MonthlySummary(
        district=district.name, month=month, timezone=district.timezone, generated_at=now,
        as_of=as_of, findings=len(rows),
        by_level={"violation": levels["violation"], "advisory": levels["advisory"]},
        by_severity={s: severities[s] for s in SEVERITIES},
        by_check=_split([(check_title(r[1]), r[3]) for r in rows]),
        by_school=_split([(school_label(config, info(r[0]).school), r[3]) for r in rows]),
        by_kind=_split([(info(r[0]).kind, r[3]) for r in rows]),
        by_category=sorted(Counter(r[2] for r in rows).items(), key=lambda kv: (-kv[1], kv[0])),
        trend=trend, trend_no_data=_no_data(trend, month, coverage.data_since, district.tz),
        decisions=_decisions(con, district.id, start, as_of),
        open_total=sum(n for _, n in open_by_age), open_by_age=open_by_age,
        coverage=coverage,
        clauses=clause_coverage(district.policy),
        precision=check_precision(con, district.id, as_of))
