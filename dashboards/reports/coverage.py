"""Coverage for a period, measured against the schedule: the nights the audit should have run,
the nights it did, and for each account the nights it was captured, the nights it was not (a
failed fetch, or no audit at all that night: a health problem) and the nights it was not fetched
by design (no current written permission: not a problem)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from dashboards.reports import schedule
from dashboards.reports.common import AccountInfo, school_label
from dashboards.reports.health import reason_text
from hallmonitor.config import DistrictConfig
from warehouse import runs, store

NOT_PERMITTED = "not_permitted"
NO_RUN = "the audit did not run"


@dataclass(frozen=True)
class AccountCoverage:
    name: str
    school: str
    kind: str
    platform: str
    nights_captured: int
    nights_missed: int  # not captured: the fetch failed, or no audit ran that night
    reason: str | None  # latest reason it was not captured
    nights_not_permitted: int = 0  # not fetched by design (no current written permission)
    permission_note: str | None = None
    nights_failed: int = 0  # of nights_missed, those the audit ran and this account failed

    @property
    def by_design_only(self) -> bool:
        """Never fetched in the period because the district chose not to: not an outage."""
        return self.nights_not_permitted > 0 and not self.nights_captured and not self.nights_missed


@dataclass
class Coverage:
    runs: int = 0  # audit runs (a recheck is not one)
    nights: int = 0  # scheduled nights the audit ran
    scheduled: int = 0  # scheduled nights since the first audit (the ones it should have run)
    missed_days: list[date] = field(default_factory=list)  # scheduled nights with no audit
    data_since: datetime | None = None  # the district's first audit; None: no data at all
    accounts_configured: int = 0
    accounts_audited: int = 0
    items_fetched: int = 0
    posts_captured: int = 0  # distinct posts with a new or changed version this period
    images_examined: int = 0  # distinct images first downloaded this period
    accounts: list[AccountCoverage] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        """An audit had run by the end of the period (before it, there is nothing to count)."""
        return self.data_since is not None

    @property
    def accounts_missed(self) -> int:
        return sum(1 for a in self.accounts if a.nights_missed)

    @property
    def accounts_expected(self) -> list[AccountCoverage]:
        """The accounts the audit should have captured (not those left out by design)."""
        return [a for a in self.accounts if not a.by_design_only]

    @property
    def accounts_not_permitted(self) -> list[AccountCoverage]:
        return [a for a in self.accounts if a.nights_not_permitted]


def coverage_for(con: duckdb.DuckDBPyConnection, config: DistrictConfig,
                 accounts: dict[str, AccountInfo], start: datetime, end: datetime) -> Coverage:
    district = config.district
    scheduled = schedule.nights(con, config, start, end)
    night_of = {run_id: index for index, n in enumerate(scheduled) for run_id in n.run_ids}
    rows = runs.coverage_between(con, district.id, start - schedule.GRACE, end)
    captured: dict[str, set[int]] = defaultdict(set)
    refused: dict[str, set[int]] = defaultdict(set)
    seen: dict[str, set[int]] = defaultdict(set)
    last_reason: dict[str, str] = {}
    refused_reason: dict[str, str] = {}
    for run_id, account_id, status, reason in rows:
        night = night_of.get(run_id)
        if night is None:
            continue
        seen[account_id].add(night)
        if status == "complete":
            captured[account_id].add(night)
        elif status == NOT_PERMITTED:
            refused[account_id].add(night)
            refused_reason[account_id] = reason_text(status, reason)
        else:
            last_reason[account_id] = reason_text(status, reason)
    no_run = {i for i, n in enumerate(scheduled) if not n.ran}
    table = []
    for account_id in sorted(set(accounts) & ({a.id for a in config.accounts} | set(seen))):
        info = accounts[account_id]
        # From the night it first appears (an account added mid-month), and every night the
        # audit did not run at all; an account in no run of the period: every night.
        first = min(seen[account_id], default=0)
        expected = {i for i in range(len(scheduled)) if i >= first} | no_run
        ok, off = captured[account_id], refused[account_id] - captured[account_id]
        never_permitted = bool(off) and not ok and not (set(seen[account_id]) - off)
        missed = expected - ok - off - (no_run if never_permitted else set())
        reason = last_reason.get(account_id) if missed - no_run else None
        if missed and reason is None:
            reason = NO_RUN if missed <= no_run else "not in the audit run"
        table.append(AccountCoverage(
            info.name, school_label(config, info.school), info.kind, info.platform, len(ok),
            len(missed), reason, len(off),
            (refused_reason.get(account_id, "") + " (by design)") if off else None,
            len(missed - no_run)))
    table.sort(key=lambda a: (-a.nights_missed, a.by_design_only, a.name))
    return Coverage(
        runs=len({r for n in scheduled for r in n.run_ids}),
        nights=sum(1 for n in scheduled if n.ran), scheduled=len(scheduled),
        missed_days=[n.day for n in scheduled if not n.ran],
        data_since=runs.first_audit(con, district.id, end),
        accounts_configured=len(config.accounts),
        accounts_audited=sum(1 for a in table if a.nights_captured),
        items_fetched=runs.items_fetched_between(con, district.id, start, end),
        posts_captured=store.posts_captured_between(con, district.id, start, end),
        images_examined=store.images_first_seen_between(con, district.id, start, end),
        accounts=table)
