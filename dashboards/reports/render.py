"""HTML through Jinja2 (autoescaped: account names and categories come from outside) and PDF
through WeasyPrint, which lays out the same HTML offline. WeasyPrint is given a fetcher that
allows `data:` URIs only, so a report can never reach the network or the disk."""

from __future__ import annotations

import base64
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from dashboards.reports.digest import Digest
from dashboards.reports.monthly import MonthlySummary
from dashboards.reports.schedule import describe_days


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("dashboards.reports", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["days"] = format_days
    env.filters["local"] = format_local
    env.filters["num"] = lambda n: f"{n:,}"
    env.filters["days_list"] = describe_days
    return env


def format_days(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 1:
        return f"{value * 24:.1f} hours"
    return f"{value:.1f} days"


def format_local(moment: datetime | None, tz: str, with_time: bool = True) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone(ZoneInfo(tz))
    return local.strftime("%b %-d, %Y %H:%M %Z" if with_time else "%b %-d, %Y")


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def schedule_alert(summary: MonthlySummary) -> str | None:
    """The first thing a superintendent reads when the audit did not run as scheduled (or had
    never run): every figure below depends on it."""
    cov = summary.coverage
    if not cov.has_data:
        return (f"No data for {summary.month.label}: no audit had run yet, so nothing was "
                "captured or checked. The figures below are empty, not zero.")
    if not cov.missed_days:
        return None
    missed = len(cov.missed_days)
    return (f"The audit did not run on {missed} of {cov.scheduled} scheduled nights "
            f"({describe_days(cov.missed_days)}): nothing was captured or checked on "
            f"{'those nights' if missed != 1 else 'that night'}.")


def _nights(count: int) -> str:
    return f"{count} night{'s' if count != 1 else ''}"


def attention(summary: MonthlySummary) -> list[str]:
    """The few sentences a superintendent should read first (after the schedule alert)."""
    points: list[str] = []
    cov = summary.coverage
    expected = cov.accounts_expected
    if not cov.has_data:
        return points
    if expected and cov.accounts_audited == 0:
        points.append(f"No account was captured this month: none of the {len(expected)} accounts "
                      f"the audit should fetch was captured on any of {cov.scheduled} scheduled "
                      "nights.")
    elif failing := sorted((a for a in cov.accounts if a.nights_failed),
                           key=lambda a: (-a.nights_failed, a.name)):
        # Nights with no audit at all are the alert above; these are the accounts that failed.
        names = "; ".join(f"{a.name}: {_nights(a.nights_failed)} ({a.reason})"
                          for a in failing[:3])
        more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
        points.append(f"Not captured on some nights: {names}{more}.")
    by_design = cov.accounts_not_permitted
    if by_design:
        names = ", ".join(a.name for a in by_design[:3])
        more = f" and {len(by_design) - 3} more" if len(by_design) > 3 else ""
        points.append(f"Not fetched by design (no current written permission): {names}{more}. "
                      "This is the district's choice, not an outage.")
    if summary.findings == 0 and cov.accounts_audited:
        points.append("No new findings this month.")
    elif summary.findings:
        points.append(f"{summary.findings:,} new findings: {summary.by_level['violation']:,} "
                      f"violations and {summary.by_level['advisory']:,} advisories.")
    stale = sum(n for label, n in summary.open_by_age
                if label in ("1 to 3 months", "over 3 months"))
    if stale:
        points.append(f"{stale:,} findings have waited more than 4 weeks for a decision.")
    if summary.decisions.count:
        points.append(f"Monitors decided {summary.decisions.count:,} findings; median time to "
                      f"decision {format_days(summary.decisions.median_days)}.")
    return points


def render_monthly_html(summary: MonthlySummary, charts: dict[str, bytes],
                        review_url: str | None = None) -> str:
    images = {name: data_uri(png) for name, png in charts.items()}
    return environment().get_template("monthly.html").render(
        s=summary, charts=images, alert=schedule_alert(summary), attention=attention(summary),
        review_url=review_url)


def render_digest(digest: Digest, timezone: str) -> tuple[str, str]:
    """(html, text) of one monitor's digest e-mail."""
    context: dict[str, Any] = {"d": digest, "tz": timezone}
    env = environment()
    return (env.get_template("digest.html").render(**context),
            env.get_template("digest.txt").render(**context))


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
