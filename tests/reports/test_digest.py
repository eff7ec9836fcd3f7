"""The nightly digest: scope per monitor, new since the last one, grouped by severity and check,
links into the review app, connection health made loud, and no student names."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup

from dashboards.reports.jobs import produce_digests
from flows.district import load_district
from tests.reports.builders import Warehouse, local
from tests.reports.conftest import leaked
from tests.reports.scenarios import NOW, nightly_runs

RHS_ACCOUNTS = {
    "RHS Athletics",
    'Band & Orchestra <script>alert("x")</script>',
    "Coach Smith (personal)",
}


def _digests(config_dir: Path, db: Path, out: Path, **kwargs: object) -> dict[str, BeautifulSoup]:
    produced = produce_digests(load_district(config_dir), db, out, kwargs.pop("now", NOW), **kwargs)
    return {
        p.monitor_id: BeautifulSoup(p.paths[0].read_text(encoding="utf-8"), "html.parser")
        for p in produced
    }


def _accounts_listed(soup: BeautifulSoup) -> set[str]:
    names = set()
    for table in soup.find_all("table"):
        header = [th.get_text() for th in table.find_all("th")]
        if header[:2] == ["Account", "Category"]:
            names |= {tr.find("td").get_text() for tr in table.find_all("tr")[1:]}
    return names


def _total(soup: BeautifulSoup) -> int:
    heading = next(h for h in soup.find_all("h2") if h.get_text().startswith("New findings"))
    return int(heading.get_text().split(":")[1].replace(",", ""))


def test_school_monitor_sees_only_their_schools_accounts(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    soups = _digests(config_dir, demo_db, tmp_path)
    assert _accounts_listed(soups["m-rhs"]) <= RHS_ACCOUNTS
    assert _accounts_listed(soups["m-rhs"]) == RHS_ACCOUNTS
    everything = RHS_ACCOUNTS | {"RMS News", "Riverbend on Facebook"}
    assert _accounts_listed(soups["m-all"]) == everything  # no schools: the whole district
    assert _accounts_listed(soups["sup"]) == everything  # superintendent: everything
    assert _total(soups["sup"]) == 36  # 19 earlier months + 17 October, first digest
    assert _total(soups["m-rhs"]) < _total(soups["sup"])


def test_findings_are_grouped_by_severity_then_check_with_review_links(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    soup = _digests(config_dir, demo_db, tmp_path)["sup"]
    groups = [h.get_text() for h in soup.find_all("h3") if " · " in h.get_text()]
    severities = [g.split(" · ")[0] for g in groups]
    order = ["critical", "high", "medium", "low"]
    assert severities == sorted(severities, key=order.index)
    assert groups[0].startswith("critical · media_opt_out:")
    links = [a["href"] for a in soup.find_all("a") if a.get_text() == "open"]
    assert len(links) == 36
    assert all(link.startswith("https://review.riverbend.example/findings/") for link in links)


def test_digest_holds_only_findings_new_since_the_last_delivered_one(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    first = _digests(config_dir, demo_db, tmp_path / "1", advance=True)
    assert _total(first["sup"]) == 36
    again = _digests(config_dir, demo_db, tmp_path / "2", now=NOW + timedelta(hours=1))
    assert _total(again["sup"]) == 0
    assert again["sup"].find(id="no-findings") is not None
    wh = Warehouse(demo_db, new=False, counter=900)
    wh.finding("rms-news", 1, NOW + timedelta(hours=2))
    wh.close()
    later = _digests(config_dir, demo_db, tmp_path / "3", now=NOW + timedelta(hours=3))
    assert _total(later["sup"]) == 1 and _total(later["m-all"]) == 1
    assert _total(later["m-rhs"]) == 0  # RMS is not Pat's school


def test_preview_without_send_leaves_the_watermark_alone(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    _digests(config_dir, demo_db, tmp_path / "1")
    again = _digests(config_dir, demo_db, tmp_path / "2", now=NOW + timedelta(hours=1))
    assert _total(again["sup"]) == 36
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT count(*) FROM digest_watermarks").fetchone()[0] == 0
    archived = con.execute("SELECT count(*) FROM report_archive WHERE kind = 'digest'").fetchone()
    assert archived[0] == 6
    con.close()


def test_connection_health_counts_nights_in_a_row_and_says_why(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    soup = _digests(config_dir, demo_db, tmp_path)["m-all"]
    assert soup.find(id="health-problems") is not None
    row = next(
        tr
        for tr in soup.find_all("tr")
        if tr.find("td") and tr.find("td").get_text() == "Riverbend on Facebook"
    )
    cells = [td.get_text(" ") for td in row.find_all("td")]
    # Failed on Oct 29, 30 and 31; on Nov 1 (the digest's morning) the audit did not run at all.
    assert cells[1] == "4"
    assert cells[2] == "Oct 29, 2026"
    assert "sign-in refused" in cells[3] and "Session has expired" in cells[3]


def test_school_monitor_is_not_told_about_other_schools_connections(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    soup = _digests(config_dir, demo_db, tmp_path)["m-rhs"]
    assert soup.find(id="health-problems") is None  # the failing account is district-wide
    assert "Riverbend on Facebook" not in soup.get_text()


@pytest.mark.parametrize("days_before, listed", [(19, True), (30, True), (31, False)])
def test_permission_lapsing_within_30_days_is_listed(
    config_dir: Path, empty_db: Path, tmp_path: Path, days_before: int, listed: bool
) -> None:
    # coach-smith's permission expires 2026-11-20; move "now" so it is `days_before` away
    now = local(2026, 11, 20, 8) - timedelta(days=days_before)
    soup = _digests(config_dir, empty_db, tmp_path, now=now)["m-rhs"]
    text = " ".join(soup.get_text(" ").split())
    assert ("permission expires on 2026-11-20" in text) is listed
    if listed:
        assert f"({days_before} days left)" in text


def test_unset_token_variable_is_reported(config_dir: Path, empty_db: Path, tmp_path: Path) -> None:
    text = _digests(config_dir, empty_db, tmp_path)["sup"].get_text(" ")
    assert "token variable RIVERBEND_TEST_FB_TOKEN is not set" in " ".join(text.split())


def test_nights_in_a_row_stop_at_the_last_captured_night(config_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    why = ("gap", "network", "connection refused")
    nightly_runs(wh, range(1, 11), {"coach-smith": why}, failing_from=4)  # fails 4..10
    wh.run(local(2026, 10, 10, 14), {"coach-smith": why})  # a second run the same night
    wh.close()
    # 20:00 on the 10th: the next scheduled audit (the 11th, 02:00) is not due yet
    soup = _digests(config_dir, db, tmp_path / "o", now=local(2026, 10, 10, 20))["m-rhs"]
    row = next(
        tr
        for tr in soup.find_all("tr")
        if tr.find("td")
        and tr.find("td").get_text() == "Coach Smith (personal)"
        and len(tr.find_all("td")) == 4
    )
    assert [td.get_text() for td in row.find_all("td")][1:3] == ["7", "Oct 4, 2026"]


def test_thousands_of_findings_stay_a_readable_digest(
    config_dir: Path, busy_db: Path, tmp_path: Path
) -> None:
    soup = _digests(config_dir, busy_db, tmp_path)["sup"]
    assert _total(soup) == 3000
    assert len(soup.find_all("a", string="open")) <= 16 * 25
    assert "and 725 more in the review app" in soup.get_text()


def test_digest_names_no_student_and_quotes_no_post(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    produced = produce_digests(load_district(config_dir), demo_db, tmp_path, NOW)
    for item in produced:
        for path in item.paths:
            body = path.read_text(encoding="utf-8")
            assert leaked(body) == []
            assert "Go Otters" not in body and "IEP meeting" not in body


def test_audit_still_running_holds_the_digest_cutoff_back(
    config_dir: Path, empty_db: Path, tmp_path: Path
) -> None:
    wh = Warehouse(empty_db, new=False)
    started = NOW - timedelta(minutes=30)
    wh.run(started, {}, state="running")
    wh.finding("rms-news", 0, started + timedelta(minutes=5))  # written while the run goes on
    wh.close()
    first = _digests(config_dir, empty_db, tmp_path / "1", advance=True)
    assert _total(first["sup"]) == 0
    later = _digests(config_dir, empty_db, tmp_path / "2", now=NOW + timedelta(hours=1))
    assert _total(later["sup"]) == 0  # the run is still "running": held back again
    con = duckdb.connect(str(empty_db))
    con.execute("UPDATE fetch_runs SET status = 'completed' WHERE status = 'running'")
    con.close()
    done = _digests(config_dir, empty_db, tmp_path / "3", now=NOW + timedelta(hours=2))
    assert _total(done["sup"]) == 1


def test_hostile_account_name_is_escaped_in_the_digest(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    soup = _digests(config_dir, demo_db, tmp_path)["m-rhs"]
    assert soup.find("script") is None
    assert 'Band & Orchestra <script>alert("x")</script>' in _accounts_listed(soup)
