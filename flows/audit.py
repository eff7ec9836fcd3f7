"""The nightly audit as a Prefect flow: thin orchestration over plain functions.

    config → permission gate → fetch each permitted account (one task each, retried on network
    faults, a per-platform concurrency limit) → validate + load (single writer) → analyse every
    unanalysed image → check every unchecked item → findings

`run_audit` is what `hallmonitor audit` and the schedule call. A run completes even when accounts
fail (they become coverage gaps with their reason) and when one image or one item raises (a
recorded item error). Analyses and checks are driven by what the warehouse says is not done, not
by what this run fetched, so a run killed at any point is finished by the next one. A bug in our
own code fails the run loudly: recorded `failed` with its error, then re-raised.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.errors import Reason
from connectors.http import HttpSettings
from connectors.scope import Claim, claims_for
from dashboards.review.merge import merge_sidecar as merge_review_decisions
from dashboards.review.sidecar import sidecar_path
from flows.checkpoints import checkpoint
from flows.district import load_district
from flows.failures import error_text
from flows.progress import Progress
from flows.steps.checking import check_pending
from flows.steps.fetching import (
    AccessSink,
    FetchOutcome,
    TransientAccountFailure,
    fetch_account,
    window_for,
)
from flows.steps.imaging import analyse_pending
from flows.steps.loading import load_outcome
from hallmonitor.clock import Clock, clock_from
from hallmonitor.config import Account, DistrictConfig
from hallmonitor.permissions import FetchDecision, decide
from hallmonitor.redaction import redact_secrets_in_logs
from warehouse import runs, store
from warehouse.db import connect, lock_wait_seconds, media_dir
from warehouse.findings import count_findings

PLATFORM_CONCURRENCY = 2  # simultaneous accounts per platform: be gentle with rate limits
TASK_RETRIES = 2
TASK_RETRY_DELAYS = [10.0, 60.0]


@dataclass
class AuditSummary:
    run_id: str
    db_path: str
    accounts: int = 0
    fetched: int = 0
    gaps: list[dict[str, Any]] = field(default_factory=list)
    not_permitted: list[dict[str, Any]] = field(default_factory=list)
    items_new: int = 0
    items_changed: int = 0
    items_deleted: int = 0
    media_new: int = 0
    media_analysed: int = 0
    media_failed: int = 0  # analysis raised: recorded in item_errors, retried next run
    items_checked: int = 0  # items run through the pack: this run's and any left unchecked
    check_errors: int = 0  # items whose checks raised: recorded in item_errors
    findings_new: int = 0
    findings_total: int = 0
    abandoned_runs: list[dict[str, Any]] = field(default_factory=list)  # closed at this start
    lock_wait_seconds: float = 0.0  # waited for another process to release the warehouse file


_semaphores: dict[str, threading.BoundedSemaphore] = defaultdict(
    lambda: threading.BoundedSemaphore(PLATFORM_CONCURRENCY)
)
_semaphore_lock = threading.Lock()


def _platform_slot(platform: str) -> threading.BoundedSemaphore:
    with _semaphore_lock:
        return _semaphores[platform]


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry the whole account only for network-level faults, never for auth or quota."""
    try:
        state.result()
    except TransientAccountFailure:
        return True
    except Exception:  # noqa: BLE001 - any other failure is final for this account
        return False
    return False


@task(
    name="fetch-account",
    cache_policy=NO_CACHE,
    retries=TASK_RETRIES,
    retry_delay_seconds=TASK_RETRY_DELAYS,
    retry_condition_fn=_transient,
)
def fetch_account_task(
    account: Account,
    decision: FetchDecision,
    window: Any,
    media_root: Path,
    known_media: dict[str, str | None],
    clock: Clock,
    sink: AccessSink,
    claims: list[Claim],
    run_deadline: float,
) -> FetchOutcome:
    with _platform_slot(account.platform):
        return fetch_account(
            account,
            decision,
            window,
            media_root,
            known_media,
            clock,
            sink,
            claims=claims,
            run_deadline=run_deadline,
        )


def plan(config: DistrictConfig, clock: Clock) -> list[tuple[Account, FetchDecision]]:
    today = clock.now().astimezone(config.district.tz).date()
    return [(account, decide(account, today)) for account in config.accounts]


# Prefect's stubs type the runner's future parameter as Never when it is built bare.
@flow(name="nightly-audit", task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
def nightly_audit(
    config_dir: str,
    db_path: str,
    now: str | None = None,
    trigger: str = "schedule",
    show_progress: bool = False,
) -> dict[str, Any]:
    """Audit every account of one district once."""
    return run_audit_body(config_dir, db_path, now, trigger, show_progress)


def run_audit_body(
    config_dir: str, db_path: str, now: str | None, trigger: str, show_progress: bool
) -> dict[str, Any]:
    """Start the run (closing any stale one), do it, and record how it ended: `completed`, or
    `failed` with its error (then re-raised: our bugs fail loudly). A process killed outright
    leaves the run `running`; the next start closes it as `abandoned`."""
    from rules.engine import RuleSet

    logger = get_run_logger()
    clock = clock_from(now)
    config = load_district(config_dir)
    ruleset = RuleSet.for_district(config)  # validated before any fetch
    redact_secrets_in_logs(config)
    db = Path(db_path)
    waited_before = lock_wait_seconds()
    started = clock.now()
    with connect(db) as con:
        merge_review_decisions(con, sidecar_path(db), started)  # decisions made since last run
        store.upsert_district(con, config, started)
        store.upsert_accounts(con, config, started)
        run_id, abandoned = runs.begin_run(
            con, config.district.id, trigger, ruleset.pack.id, ruleset.pack.version, started
        )
    summary = AuditSummary(run_id=run_id, db_path=str(db))
    summary.abandoned_runs = [
        {"run_id": r.run_id, "started_at": r.started_at.isoformat(), "trigger": r.trigger}
        for r in abandoned
    ]
    for stale in abandoned:
        logger.warning(
            "closed stale run %s (started %s) as abandoned", stale.run_id, stale.started_at
        )
    try:
        _audit(config, ruleset, db, clock, started, summary, logger, show_progress)
    except BaseException as exc:
        summary.lock_wait_seconds = round(lock_wait_seconds() - waited_before, 3)
        with connect(db) as con:
            runs.fail_run(con, run_id, error_text(exc, config), _public(summary), clock.now())
            runs.record_lock_wait(con, run_id, summary.lock_wait_seconds)
        raise
    summary.lock_wait_seconds = round(lock_wait_seconds() - waited_before, 3)
    with connect(db) as con:
        merge_review_decisions(con, sidecar_path(db), clock.now())  # made during this run
        summary.findings_total = count_findings(con, config.district.id)
        con.execute("BEGIN TRANSACTION")
        runs.finish_run(con, run_id, "completed", _public(summary), clock.now())
        runs.record_lock_wait(con, run_id, summary.lock_wait_seconds)
        store.audit(
            con,
            "hallmonitor",
            "audit.completed",
            "fetch_run",
            run_id,
            _public(summary),
            clock.now(),
        )
        con.execute("COMMIT")
    return _public(summary)


def _audit(
    config: DistrictConfig,
    ruleset: Any,
    db: Path,
    clock: Clock,
    started: datetime,
    summary: AuditSummary,
    logger: Any,
    show_progress: bool,
) -> None:
    """Fetch and load every permitted account, then finish every analysis and check left to do
    (this run's and any earlier run's)."""
    _fetch_and_load(config, db, clock, started, summary, logger, show_progress)
    checkpoint("loaded")
    imaging = analyse_pending(db, config, summary.run_id, clock.now())
    summary.media_analysed, summary.media_failed = imaging.analysed, imaging.failed
    stats = check_pending(db, config, ruleset, summary.run_id, clock.now())
    summary.items_checked, summary.check_errors = stats.targets, stats.errors
    summary.findings_new = stats.new
    for what, count in (("images", imaging.failed), ("items", stats.errors)):
        if count:
            logger.warning("%d %s raised and were skipped (see item_errors)", count, what)


def _fetch_and_load(
    config: DistrictConfig,
    db: Path,
    clock: Clock,
    started: datetime,
    summary: AuditSummary,
    logger: Any,
    show_progress: bool,
) -> None:
    run_id = summary.run_id
    decisions = plan(config, clock)
    summary.accounts = len(decisions)
    with connect(db) as con:
        cursors = {a.id: store.load_cursor(con, config.district.id, a.id) for a, _ in decisions}
        known_media = store.known_media_urls(con)
        for account, decision in decisions:
            if not decision.allowed:
                runs.record_coverage(
                    con,
                    run_id,
                    config.district.id,
                    runs.Coverage(
                        account.id,
                        "not_permitted",
                        reason=Reason.NO_PERMISSION,
                        error=decision.reason,
                    ),
                )
    summary.not_permitted = [
        {"account": a.id, "reason": d.reason} for a, d in decisions if not d.allowed
    ]
    for entry in summary.not_permitted:
        logger.info("not fetched: %s (%s)", entry["account"], entry["reason"])
    sink = AccessSink()
    # Every request of every account is judged against every other account's scope and today's
    # permission for it; the whole night's fetching shares one time budget.
    claims = claims_for((a, d.allowed) for a, d in decisions)
    run_deadline = time.monotonic() + HttpSettings().run_budget
    futures = {}
    for account, decision in decisions:
        if decision.allowed:
            window = window_for(config.district, cursors[account.id], started)
            future = fetch_account_task.submit(
                account,
                decision,
                window,
                media_dir(db),
                known_media,
                clock,
                sink,
                claims,
                run_deadline,
            )
            futures[future] = account
    with Progress(total=len(futures), enabled=show_progress, label="accounts") as progress:
        for future in as_completed(list(futures)):
            account = futures[future]
            outcome = _outcome_of(future, account, cursors, config, started)
            coverage, _ = load_outcome(
                db, run_id, config, account, outcome, sink.drain(account.id), clock.now()
            )
            _tally(summary, coverage)
            logger.info(
                "%s: %s%s",
                account.id,
                coverage.status,
                f" ({coverage.reason}: {coverage.error})" if coverage.reason else "",
            )
            progress.advance(f"{account.id}: {coverage.status}")


def _outcome_of(
    future: Any, account: Account, cursors: dict[str, Any], config: DistrictConfig, started: Any
) -> FetchOutcome:
    try:
        outcome: FetchOutcome = future.result()
        return outcome
    except TransientAccountFailure as exc:
        # Prefect keeps the failed task's exception until the process exits; the frames its
        # traceback gained on the way here hold this run's (closed) DuckDB connection, which
        # DuckDB then reports at exit as "nanobind: leaked ...". The run log has the traceback.
        exc.__traceback__ = None
        outcome = FetchOutcome(
            account.id, window_for(config.district, cursors[account.id], started)
        )
        outcome.reason, outcome.error = Reason.TRANSIENT_EXHAUSTED, str(exc)
        return outcome


def _tally(summary: AuditSummary, coverage: runs.Coverage) -> None:
    if coverage.status == "complete":
        summary.fetched += 1
    else:
        summary.gaps.append(
            {
                "account": coverage.account_id,
                "status": coverage.status,
                "reason": coverage.reason,
                "error": coverage.error,
            }
        )
    summary.items_new += coverage.items_new
    summary.items_changed += coverage.items_changed
    summary.items_deleted += coverage.items_deleted
    summary.media_new += coverage.media_new


def _public(summary: AuditSummary) -> dict[str, Any]:
    return {k: v for k, v in vars(summary).items()}
