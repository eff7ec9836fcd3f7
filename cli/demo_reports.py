"""The reports `hallmonitor demo` writes after its audit (a preview: nothing sent)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dashboards.reports.common import Month
from dashboards.reports.jobs import produce_digests, produce_monthly
from flows.district import load_district


def demo_reports(district_dir: Path, db: Path, out_dir: Path, now: datetime) -> dict[str, Path]:
    """Write every monitor's digest and the summary of the month so far; send nothing and leave
    the digest watermarks alone (a demo is a preview). `now` may be when the demo started:
    the reports are made after its audit, so they use the later of that and the clock."""
    now = max(now, datetime.now(UTC))
    config = load_district(district_dir)
    digests = produce_digests(config, db, out_dir, now)
    monthly = produce_monthly(config, db, out_dir, now,
                              Month.containing(now, config.district.tz))
    paths: dict[str, Path] = {"summary": monthly.paths[1], "summary web": monthly.paths[0]}
    for produced in digests:
        paths[f"digest {produced.monitor_id}"] = produced.paths[0]
    return paths
