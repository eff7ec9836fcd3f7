"""Produce, archive and deliver the reports. The CLI and the Prefect flows both call these.

Digest: one per monitor, new findings since that monitor's watermark. The watermark advances
only when the digest was delivered: sent, or, with `advance=True` (`--mark-delivered`), written
with no e-mail configured. A preview, or a scheduled run whose SMTP settings were forgotten, never
swallows findings.
Monthly: one HTML + PDF per month; the PDF goes to every superintendent."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from dashboards import delivery
from dashboards.reports import schedule
from dashboards.reports.common import Month, account_infos
from dashboards.reports.digest import Digest, build_digest
from dashboards.reports.health import Health, capture_problems, lapse_warnings
from dashboards.reports.monthly import MonthlySummary, build_monthly
from hallmonitor.config import DistrictConfig
from warehouse import archive
from warehouse.db import connect
from warehouse.runs import last_audit

log = logging.getLogger(__name__)
MISSED_LOOKBACK = timedelta(days=31)


class NoSmtpConfigured(RuntimeError):
    """--send was asked for but HALLMONITOR_SMTP_HOST is not set."""


@dataclass(frozen=True)
class Produced:
    kind: str
    monitor_id: str | None
    report_id: str
    paths: tuple[Path, ...]
    sent_to: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def _smtp(send: bool) -> delivery.SmtpSettings | None:
    if not send:
        return None
    settings = delivery.SmtpSettings.from_env()
    if settings is None:
        raise NoSmtpConfigured("sending needs HALLMONITOR_SMTP_HOST and HALLMONITOR_SMTP_FROM "
                               "(see docs/operations.md)")
    return settings


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def digest_subject(digest: Digest) -> str:
    """Problems first: a stopped audit, then accounts that failed to capture (accounts not
    fetched by design are not problems and are not counted here)."""
    parts = []
    if digest.missed_days:
        parts.append(f"AUDIT DID NOT RUN on {plural(len(digest.missed_days), 'scheduled night')}")
    parts.append(plural(digest.total, "new finding"))
    if digest.problems:
        parts.append(f"{plural(len(digest.problems), 'account')} NOT CAPTURED")
    return f"Hallmonitor digest, {digest.district}: {', '.join(parts)}"


def produce_digests(config: DistrictConfig, db_path: str | Path, out_dir: str | Path,
                    now: datetime, send: bool = False, advance: bool = False) -> list[Produced]:
    from dashboards.reports.render import render_digest

    settings = _smtp(send)
    district = config.district
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pending: list[tuple[Digest, str, delivery.Outgoing, tuple[Path, ...]]] = []
    with connect(db_path) as con:
        accounts = account_infos(con, config)
        until = archive.digest_cutoff(con, district.id, now)
        last = last_audit(con, district.id, until)
        after_last = schedule.missed(schedule.nights(con, config, last, now)) if last else []
        last_run, problems = capture_problems(con, district.id, accounts, until,
                                              district.timezone, len(after_last))
        today = now.astimezone(district.tz).date()
        lapses = lapse_warnings(config, accounts, today)
        for monitor in district.monitors:
            since = archive.watermark(con, district.id, monitor.id)
            health = Health(last_run, problems, lapses, _missed_days(con, config, since, now))
            digest = build_digest(con, config, monitor, accounts, health, since, until)
            html, text = render_digest(digest, district.timezone)
            period = f"{since.isoformat() if since else ''}..{until.isoformat()}"
            report_id = archive.save_report(
                con, district_id=district.id, kind="digest", period=period, monitor_id=monitor.id,
                created_at=now, html=html, pdf=None, stats=digest.stats())
            stem = out / f"digest-{now.astimezone(district.tz):%Y-%m-%d}-{_slug(monitor.id)}"
            paths = (stem.with_suffix(".html"), stem.with_suffix(".txt"))
            paths[0].write_text(html, encoding="utf-8")
            paths[1].write_text(text, encoding="utf-8")
            item = delivery.Outgoing(report_id, monitor.id, monitor.role, monitor.email,
                                     digest_subject(digest), text, html)
            pending.append((digest, report_id, item, paths))
    sent = delivery.send_all(settings, [p[2] for p in pending], now) if settings else []
    ok = {s.outgoing.report_id for s in sent if s.ok}
    with connect(db_path) as con:
        delivery.record(con, district.id, sent)
        for digest, report_id, _, _ in pending:
            if report_id in ok or (advance and not settings):
                archive.advance_watermark(con, district.id, digest.monitor.id, digest.until,
                                          report_id, now)
    return [_produced("digest", d.monitor.id, rid, paths, sent, rid)
            for d, rid, _, paths in pending]


def _missed_days(con: duckdb.DuckDBPyConnection, config: DistrictConfig, since: datetime | None,
                 now: datetime) -> list[date]:
    """Scheduled nights with no audit since the monitor's last delivered digest (at most the
    last MISSED_LOOKBACK): the first line of their digest."""
    start = max(since, now - MISSED_LOOKBACK) if since else now - MISSED_LOOKBACK
    return [night.day for night in schedule.missed(schedule.nights(con, config, start, now))]


def _produced(kind: str, monitor_id: str | None, report_id: str, paths: tuple[Path, ...],
              sent: list[delivery.Sent], match: str) -> Produced:
    mine = [s for s in sent if s.outgoing.report_id == match]
    return Produced(kind, monitor_id, report_id, paths,
                    tuple(s.outgoing.recipient for s in mine if s.ok),
                    tuple(s.outgoing.recipient for s in mine if not s.ok))


def previous_month(config: DistrictConfig, now: datetime) -> Month:
    return Month.containing(now, config.district.tz).shift(-1)


def monthly_text(summary: MonthlySummary) -> str:
    from dashboards.reports.render import schedule_alert

    cov = summary.coverage
    alert = schedule_alert(summary)
    first = f"{alert}\n\n" if alert else ""
    captured = (f"{len(cov.accounts_expected) - cov.accounts_missed} of "
                f"{len(cov.accounts_expected)} captured on every scheduled night"
                if cov.has_data else "no data (no audit had run yet)")
    return (f"{first}The Hallmonitor summary for {summary.district}, {summary.month.label}, is "
            f"attached as a PDF.\n\nNew findings: {summary.findings} "
            f"({summary.by_level['violation']} violations, {summary.by_level['advisory']} "
            f"advisories).\nAwaiting a decision: {summary.open_total}.\nAccounts: {captured}."
            f"\n\nThe summary names no students and quotes no posts.\n")


def produce_monthly(config: DistrictConfig, db_path: str | Path, out_dir: str | Path,
                    now: datetime, month: Month | None = None, send: bool = False) -> Produced:
    from dashboards.reports.charts import all_charts
    from dashboards.reports.render import html_to_pdf, render_monthly_html

    district = config.district
    month = month or previous_month(config, now)
    if month.bounds(district.tz)[0] > now:
        raise ValueError(f"{month} has not started yet in {district.timezone}: "
                         "a summary can only report what has happened")
    settings = _smtp(send)
    with connect(db_path, read_only=True) as con:
        summary = build_monthly(con, config, month, now)
    html = render_monthly_html(summary, all_charts(summary), district.review_url)
    pdf = html_to_pdf(html)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / f"monthly-{month}.html", out / f"monthly-{month}.pdf")
    paths[0].write_text(html, encoding="utf-8")
    paths[1].write_bytes(pdf)
    with connect(db_path) as con:
        report_id = archive.save_report(
            con, district_id=district.id, kind="monthly", period=str(month), monitor_id=None,
            created_at=now, html=html, pdf=pdf, stats=summary.headline())
    items = [delivery.Outgoing(
        report_id, m.id, m.role, m.email,
        f"Hallmonitor monthly summary, {district.name}: {month.label}", monthly_text(summary),
        attachments=(delivery.Attachment(paths[1].name, "application/pdf", pdf),))
        for m in district.monitors if m.role == "superintendent"]
    sent = delivery.send_all(settings, items, now) if settings and items else []
    if sent:
        with connect(db_path) as con:
            delivery.record(con, district.id, sent)
    return _produced("monthly", None, report_id, paths, sent, report_id)
