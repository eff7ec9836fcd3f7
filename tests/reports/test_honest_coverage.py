"""What the reports may claim about coverage (issue 13, items 2-4 and 10-11): nights that ran
against nights that should have run (the district's schedule), read back from the PDF and checked
against the warehouse and the schedule; accounts left out by design are not outages; a recheck is
not an audit run; a stopped audit is the first line of the digest; the superintendent reads plain
language, one clause count and one font family."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from cronsim import CronSim

from cli.main import cli
from dashboards.reports.common import Month
from dashboards.reports.jobs import digest_subject, produce_digests, produce_monthly
from dashboards.reports.monthly import build_monthly
from flows.district import load_district
from rules.packs import load_pack
from rules.registry import checks
from tests.reports.builders import Warehouse, local
from tests.reports.conftest import pdf_text
from tests.reports.scenarios import ALL, NOW, OK, nightly_runs
from warehouse.db import connect

TZ = ZoneInfo("America/Chicago")
OCTOBER = Month(2026, 10)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _monthly(
    config_dir: Path, db: Path, out: Path, month: Month = OCTOBER, now: datetime = NOW
) -> tuple[BeautifulSoup, str]:
    produced = produce_monthly(load_district(config_dir), db, out, now, month)
    html = produced.paths[0].read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser"), pdf_text(produced.paths[1])


def _scheduled_days(cron: str, start: datetime, end: datetime) -> list[date]:
    """The schedule, computed here with cronsim directly (not through the report's code)."""
    days = []
    for moment in CronSim(cron, start - timedelta(microseconds=1)):  # yields after its start
        if moment >= end:
            break
        days.append(moment.date())
    return days


def _nights_in_warehouse(db: Path) -> set[date]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT CAST(timezone('America/Chicago', started_at) AS DATE) FROM "
            "fetch_runs WHERE trigger IS DISTINCT FROM 'recheck'"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def _gappy_october(path: Path, *, recheck_on: int | None = None) -> Path:
    """Audits on October 1-20 only (the scheduler stopped), optionally a recheck later."""
    wh = Warehouse(path)
    nightly_runs(wh, range(1, 21))
    if recheck_on:
        wh.con.execute(
            "INSERT INTO fetch_runs (run_id, district_id, started_at, finished_at, status, "
            "trigger) VALUES ('recheck-1', 'riverbend', ?, ?, 'completed', 'recheck')",
            [local(2026, 10, recheck_on, 10), local(2026, 10, recheck_on, 10, 5)],
        )
    wh.close()
    return path


def test_month_with_missed_nights_says_so_first_and_counts_against_the_schedule(
    config_dir: Path, tmp_path: Path
) -> None:
    db = _gappy_october(tmp_path / "w.duckdb", recheck_on=25)
    soup, text = _monthly(config_dir, db, tmp_path / "out")
    start, end = (datetime(2026, 10, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))
    scheduled = _scheduled_days("0 2 * * *", start, end)
    ran = [d for d in scheduled if d in _nights_in_warehouse(db)]
    missed = len(scheduled) - len(ran)
    assert (len(scheduled), len(ran), missed) == (31, 20, 11)  # the recheck on the 25th is not one
    first_page = _flat(text.split("\f")[0])
    statement = (
        f"The audit did not run on {missed} of {len(scheduled)} scheduled nights "
        "(Oct 21, Oct 22, Oct 23, Oct 24, Oct 25 and 6 more)"
    )
    assert statement in first_page
    # first: before the key figures, and marked as an alarm (red)
    assert first_page.index(statement) < first_page.index("NEW FINDINGS")
    alert = soup.select_one("#schedule-alert")
    assert alert is not None and "alarm" in alert["class"]
    assert re.search(rf"Nights the audit ran\s+{len(ran)} of {len(scheduled)} scheduled", text)
    assert re.search(rf"Scheduled nights missed\s+{missed}\b", text)
    assert soup.select_one("#kpi-captured").get_text() == "0 / 5"  # nobody captured every night
    assert "Not captured on some nights" not in first_page  # no account failed: the audit did
    rows = soup.select("#coverage-accounts tr")[1:]
    for row in rows:
        cells = [td.get_text() for td in row.find_all("td")]
        assert cells[4:7] == [str(len(ran)), str(missed), "0"]
        assert cells[7] == "the audit did not run"


def test_month_without_any_audit_reads_no_data_not_full_coverage(
    config_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()  # the district exists; no audit has ever run
    soup, text = _monthly(config_dir, db, tmp_path / "out")
    flat = _flat(text)
    assert "No data for October 2026: no audit had run yet" in _flat(text.split("\f")[0])
    assert soup.select_one("#kpi-captured").get_text() == "no data"
    assert re.search(r"Nights the audit ran\s+no data", text)
    assert "captured every night" not in flat and "5 / 5" not in flat
    assert "No accounts configured" not in flat  # five accounts are configured
    assert "No new findings this month" not in flat  # not "quiet": unknown


def test_month_after_the_audit_stopped_is_all_missed_not_no_data(
    config_dir: Path, tmp_path: Path
) -> None:
    db = _gappy_october(tmp_path / "w.duckdb")
    soup, text = _monthly(
        config_dir, db, tmp_path / "out", Month(2026, 11), now=local(2026, 12, 1, 8)
    )
    assert "The audit did not run on 30 of 30 scheduled nights" in _flat(text)
    assert soup.select_one("#kpi-captured").get_text() == "0 / 5"


def test_weekly_schedule_expects_only_its_own_nights(config_dir: Path, tmp_path: Path) -> None:
    district = config_dir / "district.yaml"
    district.write_text(
        district.read_text(encoding="utf-8") + 'schedule:\n  audit: "0 2 * * 1"\n', encoding="utf-8"
    )
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    mondays = [d for d in range(1, 32) if date(2026, 10, d).weekday() == 0]
    for day in mondays:
        wh.run(local(2026, 10, day), dict.fromkeys(ALL, OK))
    wh.close()
    soup, text = _monthly(config_dir, db, tmp_path / "out")
    assert re.search(rf"Nights the audit ran\s+{len(mondays)} of {len(mondays)} scheduled", text)
    assert soup.select_one("#schedule-alert") is None
    assert soup.select_one("#kpi-captured").get_text() == "5 / 5"


def test_future_month_is_refused(config_dir: Path, empty_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has not started yet"):
        produce_monthly(load_district(config_dir), empty_db, tmp_path, NOW, Month(2026, 12))
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "monthly",
            "--month",
            "2027-01",
            "--config",
            str(config_dir),
            "--db",
            str(empty_db),
            "--out",
            str(tmp_path),
            "--now",
            "2026-11-01T13:00:00Z",
        ],
    )
    assert result.exit_code == 2 and "has not started yet" in result.output
    assert not list(tmp_path.glob("monthly-*"))


def _lapsed_coach(path: Path, days: range) -> Path:
    wh = Warehouse(path)
    why = {
        "coach-smith": ("not_permitted", "lapsed", "written permission lapsed"),
        "district-fb": ("gap", "auth", "HTTP 401: token revoked"),
    }
    nightly_runs(wh, days, why, failing_from=1)
    wh.close()
    return path


def test_not_permitted_by_design_is_not_an_outage_in_the_monthly(
    config_dir: Path, tmp_path: Path
) -> None:
    db = _lapsed_coach(tmp_path / "w.duckdb", range(1, 32))
    soup, text = _monthly(config_dir, db, tmp_path / "out")
    assert soup.select_one("#kpi-captured").get_text() == "3 / 4"  # coach-smith not expected
    flat = _flat(text)
    assert "Not captured on some nights: Riverbend on Facebook: 31 nights" in flat
    assert "Coach Smith (personal): 31 nights" not in flat
    assert "Not fetched by design (no current written permission): Coach Smith (personal)" in flat
    assert re.search(r"Accounts not captured on some night\s+1\b", text)
    assert re.search(r"Accounts not fetched by design\s+1\b", text)


def test_digest_does_not_count_accounts_left_out_by_design(
    config_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    statuses = dict.fromkeys(ALL, OK) | {
        "coach-smith": ("not_permitted", "lapsed", "written permission lapsed"),  # on 2026-11-20
        "district-fb": ("gap", "auth", "HTTP 401: token revoked"),
    }
    for day in (21, 22, 23, 24):
        wh.run(local(2026, 11, day), statuses)
    wh.close()
    produced = produce_digests(
        load_district(config_dir), db, tmp_path / "o", local(2026, 11, 24, 20)
    )
    sup = next(p for p in produced if p.monitor_id == "sup")
    soup = BeautifulSoup(sup.paths[0].read_text(encoding="utf-8"), "html.parser")
    problems = soup.select_one("#health-problems")
    assert problems is not None and "1 account not captured." in _flat(problems.get_text())
    text = _flat(soup.get_text(" "))
    assert text.count("Coach Smith (personal)") == 1  # once, under permissions, not as a failure
    assert "permission lapsed on 2026-11-20: not fetched (by design)" in text
    con = duckdb.connect(str(db), read_only=True)
    stats = con.execute(
        "SELECT stats_json FROM report_archive WHERE report_id = ?", [sup.report_id]
    ).fetchone()[0]
    con.close()
    assert '"accounts_not_captured": 1' in stats


def test_subject_counts_with_the_right_plural() -> None:
    from types import SimpleNamespace

    one = SimpleNamespace(
        district="R", total=1, problems=[object()], missed_days=[date(2026, 10, 31)]
    )
    assert digest_subject(one) == (
        "Hallmonitor digest, R: AUDIT DID NOT RUN on 1 scheduled "
        "night, 1 new finding, 1 account NOT CAPTURED"
    )
    two = SimpleNamespace(district="R", total=2, problems=[object()] * 2, missed_days=[])
    assert digest_subject(two) == "Hallmonitor digest, R: 2 new findings, 2 accounts NOT CAPTURED"


def test_stopped_audit_is_the_first_line_of_the_digest_and_a_recheck_does_not_hide_it(
    config_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    failing = {"district-fb": ("gap", "network", "connection refused")}
    nightly_runs(wh, range(1, 29), failing, failing_from=28)  # last audit: the 28th, fb failed
    wh.con.execute(
        "INSERT INTO fetch_runs (run_id, district_id, started_at, finished_at, status, trigger) "
        "VALUES ('recheck-1', 'riverbend', ?, ?, 'completed', 'recheck')",
        [local(2026, 10, 30, 11), local(2026, 10, 30, 11, 3)],
    )
    wh.close()
    produced = produce_digests(
        load_district(config_dir), db, tmp_path / "o", local(2026, 10, 31, 7)
    )
    sup = next(p for p in produced if p.monitor_id == "sup")
    soup = BeautifulSoup(sup.paths[0].read_text(encoding="utf-8"), "html.parser")
    first = soup.body.find(True)
    assert first.get("id") == "missed-nights"
    assert "The audit did not run on 3 scheduled nights: Oct 29, Oct 30 and Oct 31." in _flat(
        first.get_text()
    )
    assert "Oct 28, 2026 02:00" in first.get_text()  # the last audit, not the recheck
    assert soup.select_one("#health-ok") is None  # no "all is well" under a stopped audit
    text = sup.paths[1].read_text(encoding="utf-8")
    assert text.startswith("AUDIT DID NOT RUN on 3 scheduled nights")
    row = next(
        tr
        for tr in soup.find_all("tr")
        if tr.find("td") and tr.find("td").get_text() == "Riverbend on Facebook"
    )
    assert row.find_all("td")[1].get_text() == "4"  # the failed 28th + 3 nights with no audit


def test_clause_counts_agree_between_policy_list_and_the_monthly_pdf(demo_pdf: str) -> None:
    listed = CliRunner().invoke(cli, ["policy", "list"]).output
    line = next(row for row in listed.splitlines() if row.startswith("west-fargo-debh-ap"))
    automated, total = map(int, re.search(r"(\d+)/\s*(\d+) clauses automated", line).groups())
    covered = int(re.search(r"\+(\d+) covered", line).group(1))
    pack = load_pack("west-fargo-debh-ap")
    by_hand = sum(1 for c in pack.clauses if any(r.enabled for r in c.rules))
    assert (automated, total) == (by_hand, len(pack.clauses))
    assert (
        f"Of its {total} clauses, {automated} are checked automatically and {covered} more "
        "through the checks of another clause"
    ) in _flat(demo_pdf)


def test_superintendent_reads_no_identifiers(demo_pdf: str) -> None:
    flat = _flat(demo_pdf)
    pack = load_pack("west-fargo-debh-ap")
    # identifiers are the names with _ or - in them (a plain word like "conduct" may be prose)
    names = {r.check for _, r in pack.rules()} | {"media_opt_out", "contact_info"}
    names |= {c.id for c in pack.clauses} | {r.id for _, r in pack.rules()}
    leaks = sorted(n for n in names if ("_" in n or "-" in n or "." in n) and n in flat)
    assert leaks == []
    assert "District logo on a personal account" in flat
    assert "Implies that the employee is acting as an agent" in flat  # the clause's own words


def test_every_check_has_a_plain_language_title() -> None:
    untitled = [name for name, cls in checks().items() if not cls.title or "_" in cls.title]
    assert untitled == []


def test_trend_months_before_the_first_audit_are_no_data(config_dir: Path, tmp_path: Path) -> None:
    db = _gappy_october(tmp_path / "w.duckdb")
    with connect(db, read_only=True) as con:
        summary = build_monthly(con, load_district(config_dir), OCTOBER, NOW)
    labels = [label for label, _, _ in summary.trend]
    assert summary.trend_no_data == labels[:-1]  # May to September: before the first audit
    assert "October 2026" not in summary.trend_no_data


def test_pdf_uses_one_font_family(demo_pdf_path: Path) -> None:
    fonts = subprocess.run(
        ["pdffonts", str(demo_pdf_path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    families = {line.split()[0].split("+")[-1].split("-")[0] for line in fonts if line.strip()}
    assert families == {"DejaVu"}


def test_html_has_page_margins_and_charts_at_text_width(demo_html: str) -> None:
    assert re.search(r"@media screen \{ body \{ max-width: [\d.]+in; margin: \d+px auto", demo_html)
    assert re.search(r"img\.chart \{ width: 6\.8in; max-width: 100%", demo_html)


@pytest.fixture(scope="module")
def _demo_report(
    shared_config: Path, shared_demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("honest")
    produced = produce_monthly(load_district(shared_config), shared_demo_db, out, NOW, OCTOBER)
    return produced.paths[1], produced.paths[0].read_text(encoding="utf-8")


@pytest.fixture
def demo_pdf_path(_demo_report: tuple[Path, str]) -> Path:
    return _demo_report[0]


@pytest.fixture
def demo_pdf(_demo_report: tuple[Path, str]) -> str:
    return pdf_text(_demo_report[0])


@pytest.fixture
def demo_html(_demo_report: tuple[Path, str]) -> str:
    return _demo_report[1]


def test_first_audit_run_by_hand_before_any_scheduled_night_is_data(
    config_dir: Path, tmp_path: Path
) -> None:
    """`hallmonitor demo` or an installation-day run at 15:00: no scheduled night has passed yet,
    but the run is real data, not "no data" and not a failure."""
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    wh.run(local(2026, 10, 14, 15), dict.fromkeys(ALL, OK))
    wh.close()
    soup, text = _monthly(config_dir, db, tmp_path / "out", now=local(2026, 10, 14, 18))
    assert soup.select_one("#schedule-alert") is None
    assert soup.select_one("#kpi-captured").get_text() == "5 / 5"
    assert "No account was captured" not in _flat(text)
