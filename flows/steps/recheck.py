"""Replay the current pack over posts already in the warehouse: no fetching.

When a pack or a district's parameters change, `recheck` evaluates the current rule set over the
stored current version of every item (not deleted; optionally only those published, or for
undated items last seen, since a date) and then:
- findings the rules produce that are not stored yet are added (status open);
- stored findings produced again get last_seen, evidence and pack_version refreshed and keep the
  status a monitor gave them (a superseded one produced again is reopened) — warehouse.store;
- OPEN findings on the rechecked items that the rules no longer produce are closed as
  `superseded`, with the pack id and version in status_reason. Decided findings (confirmed,
  dismissed, escalated) keep their status. Findings of checks the pack no longer uses (say,
  an image check whose rule was switched off) are left alone.
Targets are rebuilt exactly as the nightly audit does (flows.steps.checking.load_targets).
Images no run has analysed yet (a crash, an analysis that raised) are analysed first; the items
rechecked get their check state (warehouse.pending), so the next audit does not check them again;
an item whose checks raise is a recorded item error, left for the next run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb

from flows.failures import error_text
from flows.steps.checking import check_context, evaluate_isolated, findings_frame, load_targets
from flows.steps.imaging import analyse_pending
from hallmonitor.config import DistrictConfig
from rules.engine import FindingDraft, RuleSet
from warehouse import findings, runs, store
from warehouse.db import connect
from warehouse.pending import Checked, mark_checked, media_keys

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
    errors: int = 0  # items whose checks raised: recorded in item_errors, left unchecked
    media_analysed: int = 0  # images left unanalysed by earlier runs, analysed first
    media_failed: int = 0  # images whose analysis raised: recorded in item_errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def since_start(config: DistrictConfig, since: date | None) -> datetime | None:
    """Midnight at the start of `since` in the district's time zone."""
    if since is None:
        return None
    return datetime.combine(since, time(0), tzinfo=config.district.tz)


def recheck(
    config: DistrictConfig,
    db_path: str | Path,
    since: date | None,
    now: datetime,
) -> RecheckStats:
    """Re-run the district's current rule set over stored items; see the module docstring.
    A failure is recorded on the run (`failed`, with the error) and re-raised."""
    ruleset = RuleSet.for_district(config)  # validated first
    db = Path(db_path)
    with connect(db) as con:
        run_id, _ = runs.begin_run(
            con, config.district.id, "recheck", ruleset.pack.id, ruleset.pack.version, now
        )
    stats = RecheckStats(run_id, ruleset.pack.id, ruleset.pack.version)
    try:
        _recheck(config, ruleset, db, since, now, stats)
    except BaseException as exc:
        with connect(db) as con:
            runs.fail_run(con, run_id, error_text(exc, config), stats.as_dict(), now)
        raise
    return stats


def _recheck(
    config: DistrictConfig,
    ruleset: RuleSet,
    db: Path,
    since: date | None,
    now: datetime,
    stats: RecheckStats,
) -> None:
    from rules.detect.media_pipeline import ANALYSER_VERSION

    district_id, run_id = config.district.id, stats.run_id
    # Images an earlier run stored but never analysed (it crashed, or the analysis raised) are
    # analysed first, so the image checks see them.
    imaging = analyse_pending(db, config, run_id, now)
    stats.media_analysed, stats.media_failed = imaging.analysed, imaging.failed
    start = since_start(config, since)
    with connect(db, read_only=True) as con:
        post_ids = store.live_post_ids(con, district_id, start)
        targets = load_targets(con, config, post_ids)
        keys = media_keys(con, [t.post_id for t in targets])
        ctx = check_context(con, config, db, now)
    stats.posts, stats.skipped = len(targets), len(post_ids) - len(targets)
    # the same path as the nightly audit; an item whose checks raise is recorded, not fatal
    drafts, errors = evaluate_isolated(ruleset, targets, ctx, config)
    failed = {e.subject_id for e in errors}
    judged = [t for t in targets if t.post_id not in failed]
    stats.findings, stats.errors = len(drafts), len(errors)
    failures = _validate(drafts, now)
    with connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        if failures is not None:
            rows = findings_frame(drafts).astype(str).to_dict("records")
            store.quarantine(con, run_id, district_id, None, "findings", failures, rows, now)
            stats.quarantined = len(drafts)
        else:
            _apply(con, ruleset, [t.post_id for t in judged], drafts, run_id, now, stats)
            checked = [Checked(t.post_id, t.version, keys[t.post_id]) for t in judged]
            pack = ruleset.pack
            mark_checked(con, checked, pack.id, pack.version, ANALYSER_VERSION, run_id, now)
            runs.resolve_item_errors(con, district_id, "check", [c.post_id for c in checked], now)
        runs.record_item_errors(con, run_id, district_id, errors, now)
        status = "completed" if failures is None else "failed"
        runs.finish_run(con, run_id, status, stats.as_dict(), now)
        detail = {**stats.as_dict(), "since": since.isoformat() if since else None}
        store.audit(con, "recheck", "recheck", "district", district_id, detail, now)
        con.execute("COMMIT")


def _apply(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    post_ids: list[str],
    drafts: list[FindingDraft],
    run_id: str,
    now: datetime,
    stats: RecheckStats,
) -> None:
    evaluated = sorted({bound.rule.check for bound in ruleset.rules})
    before = findings.statuses_for_posts(con, ruleset.district_id, post_ids, evaluated)
    produced = {d.finding_id for d in drafts}
    stats.new = findings.upsert_findings(con, drafts, run_id, now).new
    stats.reopened = sum(1 for f in produced if before.get(f) == "superseded")
    stats.still_supported = sum(1 for f in produced if f in before) - stats.reopened
    gone = [f for f, status in before.items() if f not in produced and status == "open"]
    stats.kept_decided = sum(1 for f, s in before.items() if f not in produced and s in DECIDED)
    reason = f"no longer supported by pack {ruleset.pack.id} {ruleset.pack.version}"
    if gone:
        findings.supersede(con, gone, reason, run_id)
    stats.superseded = len(gone)


def _validate(drafts: list[FindingDraft], now: datetime) -> list[dict[str, Any]] | None:
    """The same expectation suite the nightly audit applies to findings; None when they pass."""
    if not drafts:
        return None
    from warehouse.expectations import validate_findings

    frame = findings_frame(drafts)
    verdict = validate_findings(frame, now)
    return None if verdict.success else list(verdict.failures)
