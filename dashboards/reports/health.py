"""Connection health: which accounts were not captured, for how many nights in a row and why,
and which permissions or tokens are about to lapse. Silent capture failure is the complaint
districts have about the tools they use today, so the digest puts this section first."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from dashboards.reports.common import AccountInfo
from hallmonitor.config import DistrictConfig
from warehouse.runs import coverage_history, last_audit

LAPSE_WARNING_DAYS = 30
# Failed to capture: a health problem. "not_permitted" is not one: the district chose not to
# fetch an account without a current written permission, and the digest lists it under
# permissions instead (issue 13, item 3).
NOT_CAPTURED = ("gap", "quarantined")

# coverage.reason (machine code) -> what a monitor should read.
REASONS = {
    "auth": "sign-in refused: the token expired or access was revoked",
    "not_permitted": "no current written permission: not fetched",
    "lapsed": "written permission lapsed: not fetched",
    "missing": "no written permission on file: not fetched",
    "not_found": "account not found on the platform (renamed or deleted?)",
    "rate_limited": "the platform rate-limited the requests",
    "quota": "the platform's API quota was used up",
    "malformed": "the platform returned data that could not be read",
    "network": "the platform could not be reached",
    "quarantined": "captured data failed the data-quality checks and was set aside",
}


@dataclass(frozen=True)
class CaptureProblem:
    account: AccountInfo
    nights: int  # nights in a row not captured, up to the latest run
    since: datetime  # start of the first failing run of the streak
    status: str
    reason: str  # readable
    error: str | None  # the connector's message, shortened


@dataclass(frozen=True)
class LapseWarning:
    account: AccountInfo
    what: str  # "permission" | "token"
    expires: date | None
    days_left: int | None
    note: str


@dataclass(frozen=True)
class Health:
    last_run_at: datetime | None  # the latest audit run (a recheck is not one)
    problems: list[CaptureProblem]
    lapses: list[LapseWarning]
    missed_days: list[date] = field(default_factory=list)  # scheduled nights with no audit

    @property
    def is_clean(self) -> bool:
        return not self.problems and not self.lapses and not self.missed_days


def reason_text(status: str, reason: str | None) -> str:
    if reason and reason in REASONS:
        return REASONS[reason]
    if status in REASONS:
        return REASONS[status]
    return reason or status


def capture_problems(con: duckdb.DuckDBPyConnection, district_id: str,
                     accounts: dict[str, AccountInfo], until: datetime,
                     tz_name: str, nights_since_last_run: int = 0,
                     ) -> tuple[datetime | None, list[CaptureProblem]]:
    """Per account, the unbroken run of not-captured nights ending at its latest coverage row,
    plus `nights_since_last_run` (scheduled nights after the latest audit run that had none:
    the account was not captured on those either, and a stopped audit must not read as
    "1 night in a row" days later)."""
    rows = coverage_history(con, district_id, tz_name, until)
    last = last_audit(con, district_id, until)
    history: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        history[row[0]].append(row[1:])
    problems = []
    for account_id, runs in sorted(history.items()):
        streak = []
        for run in runs:
            if run[0] not in NOT_CAPTURED:
                break
            streak.append(run)
        if not streak:
            continue
        info = accounts.get(account_id) or AccountInfo(account_id, account_id, "?", "?", None)
        status, reason, error = streak[0][0], streak[0][1], streak[0][2]
        problems.append(CaptureProblem(
            account=info, nights=len({run[4] for run in streak}) + nights_since_last_run,
            since=streak[-1][3],
            status=status, reason=reason_text(status, reason), error=_short(error)))
    problems.sort(key=lambda p: (-p.nights, p.account.name))
    return last, problems


def lapse_warnings(config: DistrictConfig, accounts: dict[str, AccountInfo],
                   today: date) -> list[LapseWarning]:
    """Employee permissions that lapse within 30 days (or already have), and token variables
    the accounts name that this environment does not set."""
    warnings = []
    for account in config.accounts:
        info = accounts[account.id]
        if account.kind == "employee" and account.permission is None:
            warnings.append(LapseWarning(info, "permission", None, None,
                                         "no written permission on file: not fetched (by design)"))
        elif account.permission is not None:
            left = (account.permission.expires - today).days
            if left < 0:
                note = (f"permission lapsed on {account.permission.expires.isoformat()}: "
                        "not fetched (by design) until it is renewed")
            elif left <= LAPSE_WARNING_DAYS:
                note = f"permission expires on {account.permission.expires.isoformat()} " \
                       f"({left} day{'s' if left != 1 else ''} left): renew it to keep auditing"
            else:
                continue
            warnings.append(LapseWarning(info, "permission", account.permission.expires, left,
                                         note))
        if account.token_env and not os.environ.get(account.token_env):
            warnings.append(LapseWarning(info, "token", None, None,
                                         f"token variable {account.token_env} is not set"))
    warnings.sort(key=lambda w: (-10**6 if w.days_left is None else w.days_left, w.account.name))
    return warnings


def _short(text: str | None, limit: int = 160) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
