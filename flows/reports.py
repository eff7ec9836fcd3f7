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


@flow(name="nightly-digest")
def nightly_digest(
    config_dir: str,
    db_path: str,
    out_dir: str | None = None,
    send: bool | None = None,
    now: str | None = None,
) -> list[str]:
    """Each monitor's digest. `send=None` sends when HALLMONITOR_SMTP_HOST is set; otherwise the
    written files are the delivery and the watermarks advance."""
    moment = clock_from(now).now()
    sending = SmtpSettings.from_env() is not None if send is None else send
    produced = produce_digests(
        load_district(config_dir),
        db_path,
        out_dir or default_out_dir(db_path),
        moment,
        send=sending,
        advance=True,
    )
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
    moment = clock_from(now).now()
    sending = SmtpSettings.from_env() is not None if send is None else send
    produced = produce_monthly(
        load_district(config_dir),
        db_path,
        out_dir or default_out_dir(db_path),
        moment,
        Month.parse(month) if month else None,
        send=sending,
    )
    _log([produced])
    return str(produced.paths[1])
