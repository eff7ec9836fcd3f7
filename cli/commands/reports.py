"""`hallmonitor report monthly|digest`, `hallmonitor serve` and `hallmonitor deployments`.
Commands only: the work is in dashboards.reports.jobs and flows.deployments (imported lazily so
`hallmonitor --help` stays fast)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from flows.district import load_district
from hallmonitor.clock import clock_from
from hallmonitor.config import ConfigError, DistrictConfig

CONFIG = click.option("--config", "config_dir", required=True, type=click.Path(file_okay=False),
                      help="District configuration directory.")
DB = click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
                  help="DuckDB warehouse file.")
OUT = click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
                   help="Folder the reports are written to.")
SEND = click.option("--send", is_flag=True,
                    help="E-mail the reports (SMTP settings: HALLMONITOR_SMTP_* variables).")
NOW = click.option("--now", default=None,
                   help="Pretend it is this ISO time (replays and tests); a bare date is noon "
                        "that day in the district.")


def _config_or_exit(config_dir: str) -> DistrictConfig:
    try:
        return load_district(config_dir)
    except ConfigError as exc:
        click.echo("configuration error:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)


def _run(job: Callable[[], Any]) -> Any:
    from dashboards.delivery import DeliveryConfigError
    from dashboards.reports.jobs import NoSmtpConfigured

    try:
        return job()
    except (NoSmtpConfigured, DeliveryConfigError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.group()
def report() -> None:
    """Write (and optionally e-mail) the monthly summary or the monitors' digests."""


@report.command()
@click.option("--month", default=None, help="YYYY-MM (default: the month before today).")
@CONFIG
@DB
@OUT
@SEND
@NOW
def monthly(month: str | None, config_dir: str, db_path: str, out_dir: str, send: bool,
            now: str | None) -> None:
    """The superintendent's monthly summary as HTML and PDF; --send mails the PDF to every
    superintendent. Counts and categories only: no student names, images or post text."""
    from dashboards.reports.common import Month
    from dashboards.reports.jobs import produce_monthly

    config = _config_or_exit(config_dir)
    moment = clock_from(now, config.district.tz).now()
    produced = _run(lambda: produce_monthly(config, db_path, out_dir, moment,
                                            Month.parse(month) if month else None, send=send))
    for path in produced.paths:
        click.echo(f"wrote {path}")
    for recipient in produced.sent_to:
        click.echo(f"sent to {recipient}")
    for recipient in produced.failed:
        click.echo(f"FAILED to send to {recipient}", err=True)
    sys.exit(1 if produced.failed else 0)


@report.command()
@CONFIG
@DB
@OUT
@SEND
@NOW
@click.option("--mark-delivered", is_flag=True,
              help="Without --send: count the written files as delivered (move each monitor's "
                   "'since' mark), for districts that hand the files over by other means.")
def digest(config_dir: str, db_path: str, out_dir: str, send: bool, now: str | None,
           mark_delivered: bool) -> None:
    """Each monitor's digest of new findings and connection health. Without --send it is a
    preview: files are written and the next digest still starts where the last sent one ended
    (unless --mark-delivered)."""
    from dashboards.reports.jobs import produce_digests

    config = _config_or_exit(config_dir)
    moment = clock_from(now, config.district.tz).now()
    produced = _run(lambda: produce_digests(config, db_path, out_dir, moment, send=send,
                                            advance=mark_delivered and not send))
    if not send:
        moved = "moved (--mark-delivered)" if mark_delivered else "not moved (a preview)"
        click.echo(f"not e-mailed (no --send); monitors' 'since' marks {moved}", err=True)
    failed = False
    for item in produced:
        sent = f" -> sent to {', '.join(item.sent_to)}" if item.sent_to else ""
        click.echo(f"{item.monitor_id}: wrote {item.paths[0]}{sent}")
        for recipient in item.failed:
            failed = True
            click.echo(f"{item.monitor_id}: FAILED to send to {recipient}", err=True)
    sys.exit(1 if failed else 0)


@click.command()
@CONFIG
@DB
@click.option("--port", type=int, default=None,
              help="Port of the local Prefect server (default: a free one).")
def serve(config_dir: str, db_path: str, port: int | None) -> None:
    """Run the nightly audit, nightly digest and monthly summary on their schedules until
    stopped. Starts a Prefect server on 127.0.0.1 unless PREFECT_API_URL points to one."""
    from flows.deployments import serve as serve_deployments

    _config_or_exit(config_dir)
    serve_deployments(config_dir, db_path, port)


@click.command()
@CONFIG
@DB
def deployments(config_dir: str, db_path: str) -> None:
    """Print the deployments `serve` would register: name, entrypoint, schedule, parameters."""
    from flows.deployments import deployment_specs, describe

    config = _config_or_exit(config_dir)
    click.echo(describe(deployment_specs(config, config_dir, db_path)))


COMMANDS = [report, serve, deployments]
