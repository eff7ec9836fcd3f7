"""Small shared pieces of the reports: accounts as reports show them, scopes, months, links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

from hallmonitor.config import DistrictConfig, Monitor
from warehouse.store import stored_accounts

SEVERITIES = ("critical", "high", "medium", "low")
DISTRICT_WIDE = "District-wide"


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    name: str
    kind: str
    platform: str
    school: str | None  # school id; None for a district-wide account


def account_infos(con: duckdb.DuckDBPyConnection, config: DistrictConfig) -> dict[str, AccountInfo]:
    """Accounts from the config, plus any the warehouse still knows that the config dropped."""
    found: dict[str, AccountInfo] = {}
    for account_id, name, kind, platform, school in stored_accounts(con, config.district.id):
        found[account_id] = AccountInfo(account_id, name, kind, platform, school)
    for account in config.accounts:
        found[account.id] = AccountInfo(account.id, account.name or account.id, account.kind,
                                        account.platform, account.school)
    return found


def school_names(config: DistrictConfig) -> dict[str, str]:
    return {school.id: school.name for school in config.district.schools}


def school_label(config: DistrictConfig, school: str | None) -> str:
    if not school:
        return DISTRICT_WIDE
    return school_names(config).get(school, school)


def in_scope(monitor: Monitor, info: AccountInfo | None) -> bool:
    """Superintendents and monitors with no schools see the whole district; the others see the
    accounts of their schools only (district-wide accounts belong to district-wide monitors)."""
    if monitor.role == "superintendent" or not monitor.schools:
        return True
    return info is not None and info.school in monitor.schools


def finding_link(review_url: str | None, finding_id: str) -> str | None:
    if not review_url:
        return None
    return f"{review_url.rstrip('/')}/findings/{finding_id}"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            parsed = datetime.strptime(text + "+0000", "%Y-%m%z")
        except ValueError as exc:
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}") from exc
        return cls(parsed.year, parsed.month)

    @classmethod
    def containing(cls, moment: datetime, tz: ZoneInfo) -> Month:
        local = moment.astimezone(tz)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return date(self.year, self.month, 1).strftime("%B %Y")

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month in the district's time zone, as UTC instants."""
        nxt = self.shift(1)
        start = datetime(self.year, self.month, 1, tzinfo=tz)
        end = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier) / timedelta(days=1)
