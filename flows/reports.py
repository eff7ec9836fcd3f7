"""Prefect flows for the scheduled reports: thin wrappers around dashboards.reports.jobs."""

from __future__ import annotations

import logging
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.exceptions import MissingContextError

from dashboards.delivery import SmtpSettings
from dashboards.reports.common import Month
from dashboards.reports.jobs import Produced, produce_digests, produce_monthly
from flows.district import load_district
from hallmonitor.clock import clock_from


def default_out_dir(db_path: str) -> Path:
    """Reports go beside the warehouse unless told otherwise: warehouse.duckdb.reports/."""
    path = Path(db_path)
    return path.with_name(path.name + ".reports")


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """Prefect's run logger inside a flow run; a plain logger when called as `.fn` (tests)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("hallmonitor.reports")


def _log(produced: list[Produced]) -> None:
    logger = _logger()
    for item in produced:
        logger.info(
            "%s %s: %s; sent to %d, failed %d",
            item.kind,
            item.monitor_id or "",
            item.paths[0],
            len(item.sent_to),
            len(item.failed),
        )
        if item.failed:
            raise RuntimeError(f"{item.kind}: delivery failed to {', '.join(item.failed)}")


NOT_SENT = (
    "digests NOT e-mailed: HALLMONITOR_SMTP_HOST is not set in this service's environment. "
    "They were written to {out} only, and each monitor's 'since' mark {mark}"
)


@flow(name="nightly-digest")
def nightly_digest(
    config_dir: str,
    db_path: str,
    out_dir: str | None = None,
    send: bool | None = None,
    now: str | None = None,
    mark_delivered: bool = False,
) -> list[str]:
    """Each monitor's digest. `send=None` sends when HALLMONITOR_SMTP_HOST is set. Without
    e-mail every run says so (a warning in the run's log) and the monitors' "since" marks stay
    where they are, so nothing is counted as delivered because a variable was forgotten in the
    service's environment; `mark_delivered=True` treats the written files as the delivery."""
    config = load_district(config_dir)
    moment = clock_from(now, config.district.tz).now()
    sending = SmtpSettings.from_env() is not None if send is None else send
    out = Path(out_dir) if out_dir else default_out_dir(db_path)
    produced = produce_digests(config, db_path, out, moment, send=sending, advance=mark_delivered)
    if not sending:
        mark = (
            "was moved (mark_delivered)"
            if mark_delivered
            else "was NOT moved: the next digest repeats these findings"
        )
        _logger().warning(NOT_SENT.format(out=out, mark=mark))
    _log(produced)
    return [str(p.paths[0]) for p in produced]


@flow(name="monthly-summary")
def monthly_summary(
    config_dir: str,
    db_path: str,
    out_dir: str | None = None,
    month: str | None = None,
    send: bool | None = None,
    now: str | None = None,
) -> str:
    """The summary of `month` (YYYY-MM; default: the month before `now` in the district's time
    zone, so the run on the 1st reports the month just ended)."""
    config = load_district(config_dir)
    moment = clock_from(now, config.district.tz).now()
    sending = SmtpSettings.from_env() is not None if send is None else send
    produced = produce_monthly(
        config,
        db_path,
        out_dir or default_out_dir(db_path),
        moment,
        Month.parse(month) if month else None,
        send=sending,
    )
    _log([produced])
    return str(produced.paths[1])
