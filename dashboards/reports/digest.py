"""The nightly digest for one monitor: findings new in their scope since their last digest,
grouped by severity and check, with links into the review app, and connection health.

Only `findings.category`, counts, account names and links are read: never the summary or the
evidence, which may name a student."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from dashboards.reports.common import SEVERITIES, AccountInfo, finding_link, in_scope
from dashboards.reports.health import CaptureProblem, Health, LapseWarning
from hallmonitor.config import DistrictConfig, Monitor
from warehouse.findings import new_findings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LINKS_PER_GROUP = 25  # a group of thousands still reads: the rest are one click away


@dataclass(frozen=True)
class DigestItem:
    finding_id: str
    account: str
    category: str
    level: str
    link: str | None


@dataclass
class DigestGroup:
    severity: str
    check_name: str
    count: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    items: list[DigestItem] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.items)


@dataclass
class Digest:
    district: str
    monitor: Monitor
    since: datetime | None
    until: datetime
    groups: list[DigestGroup]
    problems: list[CaptureProblem]
    lapses: list[LapseWarning]
    last_run_at: datetime | None
    review_url: str | None
    missed_days: list[date] = field(default_factory=list)  # scheduled nights with no audit

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)

    def by_severity(self) -> dict[str, int]:
        counts = Counter({s: 0 for s in SEVERITIES})
        for group in self.groups:
            counts[group.severity] += group.count
        return {s: counts[s] for s in SEVERITIES}

    def stats(self) -> dict[str, object]:
        return {"findings": self.total, "by_severity": self.by_severity(),
                "missed_nights": len(self.missed_days),
                "accounts_not_captured": len(self.problems), "lapses": len(self.lapses)}


def build_digest(con: duckdb.DuckDBPyConnection, config: DistrictConfig, monitor: Monitor,
                 accounts: dict[str, AccountInfo], health: Health, since: datetime | None,
                 until: datetime) -> Digest:
    district = config.district
    groups: dict[tuple[str, str], DigestGroup] = {}
    for finding_id, account_id, check, category, level, severity in new_findings(
            con, district.id, since, until):
        info = accounts.get(account_id)
        if not in_scope(monitor, info):
            continue
        group = groups.setdefault((severity, check), DigestGroup(severity, check))
        group.count += 1
        group.levels[level] += 1
        group.categories[category] += 1
        if len(group.items) < LINKS_PER_GROUP:
            group.items.append(DigestItem(finding_id, info.name if info else account_id, category,
                                          level, finding_link(district.review_url, finding_id)))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    ordered = sorted(groups.values(),
                     key=lambda g: (rank.get(g.severity, len(rank)), -g.count, g.check_name))
    return Digest(
        district=district.name, monitor=monitor, since=since, until=until, groups=ordered,
        problems=[p for p in health.problems if in_scope(monitor, p.account)],
        lapses=[w for w in health.lapses if in_scope(monitor, w.account)],
        last_run_at=health.last_run_at, review_url=district.review_url,
        missed_days=list(health.missed_days))
