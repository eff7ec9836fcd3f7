"""Replay the current pack over posts already in the warehouse (issue 4, item 3): no fetching.

When a pack or a district's parameters change, `recheck` evaluates the current rule set over the
stored current version of every item (not deleted; optionally only those published, or for
undated items last seen, since a date) and then:
- findings the rules produce that are not stored yet are added (status open);
- stored findings produced again get last_seen, evidence and pack_version refreshed and keep the
  status a monitor gave them (a superseded one produced again is reopened) — warehouse.store;
- OPEN findings on the rechecked items that the rules no longer produce are closed as
  `superseded`, with the pack id and version in status_reason. Decided findings (confirmed,
  dismissed, escalated) keep their status. Findings of checks the run could not evaluate (a
  pack loaded with strict_checks=False) are left alone.
Targets are rebuilt exactly as the nightly audit does (flows.steps.checking.load_targets).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from flows.steps.checking import evaluate_targets, load_targets
from flows.steps.imaging import sponsored_images, sponsored_phashes
from hallmonitor.config import DistrictConfig
from rules.base import CheckContext
from rules.engine import FindingDraft, RuleSet
from warehouse import store
from warehouse.db import connect

DECIDED = ("confirmed", "dismissed", "escalated")


@dataclass
class RecheckStats:
    run_id: str
    pack_id: str
    pack_version: str
    posts: int = 0  # items rechecked
    skipped: int = 0  # items of accounts no longer in the configuration
    findings: int = 0  # findings the current rules produce on them
    new: int = 0
    still_supported: int = 0
    reopened: int = 0
    superseded: int = 0
    kept_decided: int = 0  # decided findings no longer produced: status kept
    quarantined: int = 0  # the findings batch failed its expectations: nothing changed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def since_start(config: DistrictConfig, since: date | None) -> datetime | None:
    """Midnight at the start of `since` in the district's time zone."""
    if since is None:
        return None
    return datetime.combine(since, time(0), tzinfo=config.district.tz)


SCOPE_SQL = """
SELECT post_id FROM posts
WHERE district_id = ? AND deleted_at IS NULL
  AND (CAST(? AS TIMESTAMPTZ) IS NULL OR COALESCE(published_at, last_seen) >= ?)
ORDER BY post_id
"""


def recheck(config: DistrictConfig, db_path: str | Path, since: date | None, now: datetime, *,
            strict_checks: bool = True) -> RecheckStats:
    """Re-run the district's current rule set over stored items; see the module docstring."""
    ruleset = RuleSet.for_district(config, strict_checks=strict_checks)  # validated first
    start = since_start(config, since)
    with connect(db_path) as con:
        run_id = store.start_run(con, config.district.id, "recheck", ruleset.pack.id,
                                 ruleset.pack.version, now)
        post_ids = [r[0] for r in con.execute(SCOPE_SQL, [config.district.id, start, start])
                    .fetchall()]
        targets = load_targets(con, config, post_ids)
        phashes = sponsored_phashes(con, config.district.id)
        sponsored = sponsored_images(con, config.district.id, Path(db_path))
    stats = RecheckStats(run_id, ruleset.pack.id, ruleset.pack.version, posts=len(targets),
                         skipped=len(post_ids) - len(targets))
    ctx = CheckContext(config, now)
    ctx.cached("sponsored_phashes", lambda: phashes)
    ctx.cached("sponsored_images", lambda: sponsored)
    drafts = evaluate_targets(ruleset, targets, ctx)  # the same path as the nightly audit
    stats.findings = len(drafts)
    failures = _validate(drafts, now)
    with connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        if failures is not None:
            store.quarantine(con, run_id, config.district.id, None, "findings", failures,
                             [_flat(d) for d in drafts], now)
            stats.quarantined = len(drafts)
        else:
            _apply(con, ruleset, [t.post_id for t in targets], drafts, run_id, now, stats)
        status = "completed" if failures is None else "failed"
        store.finish_run(con, run_id, status, stats.as_dict(), now)
        store.audit(con, "recheck", "recheck", "district", config.district.id,
                    {**stats.as_dict(), "since": since.isoformat() if since else None}, now)
        con.execute("COMMIT")
    return stats


def _apply(con: duckdb.DuckDBPyConnection, ruleset: RuleSet, post_ids: list[str],
           drafts: list[FindingDraft], run_id: str, now: datetime, stats: RecheckStats) -> None:
    evaluated = sorted({bound.rule.check for bound in ruleset.rules})
    con.execute("CREATE OR REPLACE TEMP TABLE _recheck_posts AS "
                "SELECT * FROM (VALUES (NULL::VARCHAR)) t(post_id) WHERE false")
    if post_ids:
        con.executemany("INSERT INTO _recheck_posts VALUES (?)", [[pid] for pid in post_ids])
    before = dict(con.execute(
        "SELECT finding_id, status FROM findings WHERE district_id = ? AND post_id IN "
        "(SELECT post_id FROM _recheck_posts) AND list_contains(?, check_name)",
        [ruleset.district_id, evaluated]).fetchall())
    produced = {d.finding_id for d in drafts}
    stats.new = store.upsert_findings(con, drafts, run_id, now).new
    stats.reopened = sum(1 for f in produced if before.get(f) == "superseded")
    stats.still_supported = sum(1 for f in produced if f in before) - stats.reopened
    gone = [f for f, status in before.items() if f not in produced and status == "open"]
    stats.kept_decided = sum(1 for f, s in before.items() if f not in produced and s in DECIDED)
    reason = f"no longer supported by pack {ruleset.pack.id} {ruleset.pack.version}"
    if gone:
        con.executemany(
            "UPDATE findings SET status = 'superseded', status_reason = ?, last_run_id = ? "
            "WHERE finding_id = ?", [[reason, run_id, f] for f in gone])
    stats.superseded = len(gone)


def _flat(draft: FindingDraft) -> dict[str, Any]:
    row = {name: getattr(draft, name) for name in store.FINDING_FIELDS}
    return {k: json.dumps(v, default=str) if isinstance(v, dict | list) else v
            for k, v in row.items()}


def _validate(drafts: list[FindingDraft], now: datetime) -> list[dict[str, Any]] | None:
    """The same expectation suite the nightly audit applies to findings; None when they pass."""
    if not drafts:
        return None
    from warehouse.expectations import validate_findings

    frame = pd.DataFrame([_flat(d) for d in drafts], columns=list(store.FINDING_FIELDS))
    verdict = validate_findings(frame, now)
    return None if verdict.success else list(verdict.failures)
