"""The nights the audit should have run (district.yaml `schedule.audit`, a cron string in the
district's time zone) against the audit runs the warehouse holds.

Coverage is only honest against this: counting the runs that happened says nothing about the
ones that did not. A `recheck` replays stored posts and fetches nothing, so it is not an audit
run. Nights before the district's first audit are not missed: the tool was not there yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
from cronsim import CronSim

from hallmonitor.config import DistrictConfig
from warehouse.runs import audit_runs_between, first_audit

# A run that starts up to this long before its slot (a manual run just before, clock skew)
# counts for that slot; a run any later, until the next slot, counts for it too.
GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Night:
    slot: datetime  # the scheduled start, in the district's time zone
    run_ids: tuple[str, ...]  # audit runs started in this slot's window

    @property
    def day(self) -> date:
        return self.slot.date()

    @property
    def ran(self) -> bool:
        return bool(self.run_ids)


def slots(cron: str, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Scheduled starts in [start, end), in the district's time zone."""
    found = []
    for moment in CronSim(cron, start.astimezone(tz) - timedelta(microseconds=1)):
        if moment >= end:
            break
        found.append(moment)
    return found


def nights(
    con: duckdb.DuckDBPyConnection, config: DistrictConfig, start: datetime, end: datetime
) -> list[Night]:
    """Every scheduled night in [start, end) from the first audit on, with the runs that
    covered it. Empty when no audit has ever run before `end`."""
    district = config.district
    first = first_audit(con, district.id, end)
    if first is None:
        return []
    begin = max(start, first - GRACE)
    starts = slots(district.schedule.audit, district.tz, begin, end)
    runs = audit_runs_between(con, district.id, begin - GRACE, end)
    found = []
    # Runs before the first slot of the period (the first audit, run by hand on the day of
    # installation, or `hallmonitor demo`) are a night of their own: they ran.
    before = [
        (r, at)
        for r, at in runs
        if first - GRACE >= start and at >= begin and (not starts or at < starts[0] - GRACE)
    ]
    if before:
        found.append(Night(before[0][1].astimezone(district.tz), tuple(r for r, _ in before)))
    for index, slot in enumerate(starts):
        until = starts[index + 1] - GRACE if index + 1 < len(starts) else end
        found.append(Night(slot, tuple(r for r, at in runs if slot - GRACE <= at < until)))
    return found


def missed(found: list[Night]) -> list[Night]:
    return [night for night in found if not night.ran]


def describe_days(days: list[date]) -> str:
    """`Oct 29, Oct 30 and Oct 31` (at most six named, then "and N more")."""
    names = [f"{d:%b} {d.day}" for d in days]
    if len(names) > 6:
        names = [*names[:5], f"{len(names) - 5} more"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
