"""`hallmonitor audit` and `hallmonitor accounts check`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from flows.district import load_district
from hallmonitor.clock import clock_from
from hallmonitor.config import ConfigError, DistrictConfig
from hallmonitor.permissions import decide
from hallmonitor.redaction import terminal_safe


def load_or_exit(config_dir: str) -> DistrictConfig:
    """Load and validate config and pack; on a problem print every one and exit 2."""
    try:
        config = load_district(config_dir)
        from rules.engine import RuleSet

        RuleSet.for_district(config)
    except ConfigError as exc:
        click.echo("configuration error — nothing was fetched:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
    except ValueError as exc:  # pack and override errors name their file, line and field
        click.echo(f"configuration error — nothing was fetched:\n  {exc}", err=True)
        sys.exit(2)
    return config


@click.command()
@click.option(
    "--config",
    "config_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="District configuration directory (district.yaml, accounts.yaml, roster/).",
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="DuckDB warehouse file (created if missing).",
)
@click.option("--now", default=None, help="Pretend it is this ISO time (replays and tests).")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also print Prefect's run and task logs, tracebacks included (they always go "
    "to the run's log file, <db>.logs/<run id>.log).",
)
def audit(config_dir: str, db_path: str, now: str | None, as_json: bool, verbose: bool) -> None:
    """Run the nightly audit once, now (no Prefect server needed).

    Quiet enough for cron: the summary, one line per coverage gap, and warnings; the details go
    to the run's log file. Exits 0 when the run completed, even if some accounts could not be
    fetched (they are recorded as coverage gaps) or some images or items raised (recorded item
    errors, retried next run); exits 2 on a configuration error, before anything is fetched;
    exits 1 on an internal error (the run is recorded as failed, and the next run finishes what
    it left)."""
    config = load_or_exit(config_dir)
    if now:  # a bare date is a day in the district, resolved here where its time zone is known
        now = clock_from(now, config.district.tz).now().isoformat()
    summary = run_audit(config_dir, db_path, now, trigger="cli", verbose=verbose)
    # JSON escapes control characters itself; the text summary carries servers' error text.
    click.echo(json.dumps(summary, indent=2, default=str) if as_json else format_summary(summary))


def run_audit(
    config_dir: str, db_path: str, now: str | None, trigger: str, verbose: bool = False
) -> dict[str, Any]:
    from flows.audit import nightly_audit  # imports Prefect, which sets up its logging
    from flows.console import run_logging

    with run_logging(db_path, verbose) as log_path:
        summary = nightly_audit(
            config_dir=str(Path(config_dir).resolve()),
            db_path=str(Path(db_path).resolve()),
            now=now,
            trigger=trigger,
            show_progress=True,
        )
    named = log_path.with_name(f"{summary['run_id']}.log")
    log_path.replace(named)
    return {**summary, "log_path": str(named)}


def format_summary(summary: dict[str, Any]) -> str:
    """The run summary as printed. Gap errors are servers' text: escape sequences are removed
    (they could retitle the terminal or rewrite what was printed above)."""
    lines = [
        f"run {summary['run_id']}: {summary['fetched']}/{summary['accounts']} accounts captured",
        f"  items: {summary['items_new']} new, {summary['items_changed']} changed, "
        f"{summary['items_deleted']} removed from the platform; media: {summary['media_new']} new",
        f"  findings: {summary['findings_new']} new ({summary['findings_total']} in the warehouse)",
    ]
    if summary.get("media_failed") or summary.get("check_errors"):
        lines.append(
            f"  item errors: {summary.get('media_failed', 0)} images and "
            f"{summary.get('check_errors', 0)} items raised; recorded and retried next run"
        )
    for run in summary.get("abandoned_runs", []):
        lines.append(
            f"  closed stale run {run['run_id']} (started {run['started_at']}) as abandoned; "
            "its unfinished work was done by this run"
        )
    if summary.get("lock_wait_seconds"):
        lines.append(
            f"  waited {summary['lock_wait_seconds']:.1f} s for another process to release "
            "the warehouse file"
        )
    for gap in summary["gaps"]:
        lines.append(f"  coverage gap: {gap['account']} ({gap['reason']}): {gap['error']}")
    if summary["not_permitted"]:
        skipped = "; ".join(f"{s['account']} ({s['reason']})" for s in summary["not_permitted"])
        lines.append(f"  not fetched by design: {skipped}")
    log = f"; log: {summary['log_path']}" if summary.get("log_path") else ""
    lines.append(f"  warehouse: {summary['db_path']}{log}")
    return terminal_safe("\n".join(lines))


@click.group()
def accounts() -> None:
    """Inspect the configured accounts."""


@accounts.command("check")
@click.option("--config", "config_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--now", default=None, help="Judge permissions as of this ISO time or date (a district day)."
)
def accounts_check(config_dir: str, now: str | None) -> None:
    """List each account with "will fetch" or "will not fetch" and why."""
    config = load_or_exit(config_dir)
    today = clock_from(now, config.district.tz).now().astimezone(config.district.tz).date()
    rows = [("account", "kind", "platform", "decision", "why")]
    for account in config.accounts:
        decision = decide(account, today)
        verdict = "will fetch" if decision.allowed else "will not fetch"
        why = decision.basis if decision.allowed else decision.reason
        if decision.allowed and account.token_env and not os.environ.get(account.token_env):
            # The audit would record a gap for it: say so now, with the variable to set.
            verdict, why = "will not fetch", f"token variable {account.token_env} is not set"
        rows.append((account.id, account.kind, account.platform, verdict, why))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        )
    click.echo(f"(permissions judged for {today} in {config.district.timezone})")


COMMANDS = [audit, accounts]
