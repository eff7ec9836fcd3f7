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


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("dashboards.reports", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["days"] = format_days
    env.filters["local"] = format_local
    env.filters["num"] = lambda n: f"{n:,}"
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


def attention(summary: MonthlySummary) -> list[str]:
    """The few sentences a superintendent should read first."""
    points = []
    cov = summary.coverage
    if cov.runs == 0:
        points.append("No audit ran this month: nothing was captured or checked.")
    elif cov.accounts_audited == 0:
        points.append(f"No account was captured this month: all {cov.accounts_configured} "
                      f"configured accounts failed on every one of {cov.nights} nights.")
    elif cov.accounts_missed:
        worst = [a for a in cov.accounts if a.nights_missed][:3]
        names = "; ".join(f"{a.name}: {a.nights_missed} night{'s' if a.nights_missed != 1 else ''}"
                          f" ({a.reason})" for a in worst)
        more = f" and {cov.accounts_missed - len(worst)} more" if cov.accounts_missed > 3 else ""
        points.append(f"Not captured on some nights: {names}{more}.")
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
        s=summary, charts=images, attention=attention(summary), review_url=review_url)


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
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
