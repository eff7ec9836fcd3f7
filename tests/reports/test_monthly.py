"""The monthly summary: its numbers (read back from the PDF) match the warehouse, it names no
student, and it stays correct and readable for a quiet month, a flood and a failed district."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup

from dashboards.reports.common import Month
from dashboards.reports.jobs import Produced, produce_monthly
from flows.district import load_district
from rules.registry import check_title
from tests.reports.builders import HOSTILE
from tests.reports.conftest import leaked, pdf_text
from tests.reports.scenarios import NOW

OCTOBER = Month(2026, 10)
IN_OCTOBER = (
    "timezone('America/Chicago', first_seen) >= TIMESTAMP '2026-10-01' AND "
    "timezone('America/Chicago', first_seen) < TIMESTAMP '2026-11-01'"
)


def _produce(config_dir: Path, db: Path, out: Path) -> tuple[str, str]:
    produced = produce_monthly(load_district(config_dir), db, out, NOW, OCTOBER)
    html_path, pdf_path = produced.paths
    assert html_path.name == "monthly-2026-10.html" and pdf_path.read_bytes()[:5] == b"%PDF-"
    return html_path.read_text(encoding="utf-8"), pdf_text(pdf_path)


@dataclass(frozen=True)
class Report:
    db: Path
    html: str
    text: str
    produced: Produced


@pytest.fixture(scope="module")
def demo(
    shared_config: Path, shared_demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Report:
    """The demo-like October rendered once for the tests that only read the result."""
    produced = produce_monthly(
        load_district(shared_config), shared_demo_db, tmp_path_factory.mktemp("m"), NOW, OCTOBER
    )
    return Report(
        shared_demo_db,
        produced.paths[0].read_text(encoding="utf-8"),
        pdf_text(produced.paths[1]),
        produced,
    )


def _number(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in the PDF text"
    return match.group(1)


def _int(pattern: str, text: str) -> int:
    return int(_number(pattern, text).replace(",", ""))


def _kpis(text: str) -> list[str]:
    lines = text.splitlines()
    label = next(i for i, line in enumerate(lines) if "NEW FINDINGS" in line)
    values = next(line for line in reversed(lines[:label]) if line.strip())
    return re.split(r"\s{2,}", values.strip())


def _expected(db: Path) -> dict[str, object]:
    """The same figures, computed here straight from the warehouse with SQL of the test's own."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        by_check = {
            check: (v, a)
            for check, v, a in con.execute(
                "SELECT check_name, count(*) FILTER (level = 'violation'), "
                f"count(*) FILTER (level = 'advisory') FROM findings WHERE {IN_OCTOBER} GROUP BY 1"
            ).fetchall()
        }
        decided = con.execute(
            "WITH first AS (SELECT f.finding_id, f.first_seen, min(r.decided_at) AS d "
            "FROM findings f JOIN reviews r USING (finding_id) GROUP BY ALL) SELECT count(*), "
            "quantile_cont(epoch(d - first_seen) / 86400, 0.5), "
            "quantile_cont(epoch(d - first_seen) / 86400, 0.9) FROM first WHERE "
            "timezone('America/Chicago', d) >= TIMESTAMP '2026-10-01' AND "
            "timezone('America/Chicago', d) < TIMESTAMP '2026-11-01'"
        ).fetchone()
        open_items = con.execute(
            "SELECT count(*) FROM findings f WHERE timezone('America/Chicago', first_seen) < "
            "TIMESTAMP '2026-11-01' AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.finding_id = "
            "f.finding_id AND timezone('America/Chicago', r.decided_at) < TIMESTAMP '2026-11-01')"
        ).fetchone()[0]
        images = con.execute(
            "SELECT count(*) FROM media WHERE timezone('America/Chicago', first_seen) >= "
            "TIMESTAMP '2026-10-01'"
        ).fetchone()[0]
        items = con.execute("SELECT sum(items_fetched) FROM coverage").fetchone()[0]
    finally:
        con.close()
    return {
        "by_check": by_check,
        "decided": decided,
        "open": open_items,
        "images": images,
        "items": items,
    }


def test_pdf_numbers_match_the_warehouse(demo: Report) -> None:
    text = demo.text
    want = _expected(demo.db)
    by_check = want["by_check"]
    total = sum(v + a for v, a in by_check.values())
    assert total == 17  # the scenario's October
    kpis = _kpis(text)
    assert kpis[0] == str(total)
    assert kpis[1] == str(sum(v for v, _ in by_check.values()))
    assert kpis[2] == str(want["open"])
    for check, (violations, advisories) in by_check.items():
        title = re.escape(check_title(check))  # the plain-language name, not the identifier
        row = _number(rf"(?m)^\s*{title}\s+(\d+\s+\d+\s+\d+)", text).split()
        assert [int(n) for n in row] == [violations, advisories, violations + advisories]
    count, median, p90 = want["decided"]
    assert _int(r"Findings decided this month\s+(\d+)", text) == count
    assert (
        _number(r"Median time from first seen to decision\s+([\d.]+ days)", text)
        == f"{median:.1f} days"
    )
    assert _number(r"90th percentile\s+([\d.]+ days)", text) == f"{p90:.1f} days"
    assert _int(r"Nights the audit ran\s+(\d+)", text) == 31
    assert _int(r"Images examined\s+(\d+)", text) == want["images"]
    assert _int(r"Items fetched\s+([\d,]+)", text) == want["items"]


def test_summary_names_no_student_from_the_roster(demo: Report) -> None:
    html, text = demo.html, demo.text
    con = duckdb.connect(str(demo.db), read_only=True)
    summaries = " ".join(
        r[0] + r[1]
        for r in con.execute(
            "SELECT summary, CAST(evidence_json AS VARCHAR) FROM findings"
        ).fetchall()
    )
    con.close()
    assert leaked(summaries), "the scenario must put roster names in the findings to prove anything"
    assert leaked(html) == []
    assert leaked(text) == []
    assert leaked(BeautifulSoup(html, "html.parser").get_text(" ")) == []


def test_hostile_account_name_is_escaped_not_executed(demo: Report) -> None:
    html, text = demo.html, demo.text
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert HOSTILE in soup.get_text()  # shown to the reader as text
    assert "Band & Orchestra" in text


def test_first_page_says_what_needs_attention(demo: Report) -> None:
    first_page = demo.text.split("\f")[0]
    assert (
        "Not captured on some nights: Riverbend on Facebook: 3 nights (sign-in refused"
        in " ".join(first_page.split())
    )
    assert "17 new findings: 9 violations and 8 advisories." in first_page


def test_month_with_no_findings_reads_as_quiet(
    config_dir: Path, empty_db: Path, tmp_path: Path
) -> None:
    html, text = _produce(config_dir, empty_db, tmp_path / "out")
    assert _kpis(text)[:3] == ["0", "0", "0"]
    assert "No new findings this month." in text
    assert "Nothing awaiting a decision" not in text  # a chart label, not text: drawn in the PNG
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("#by-check td").get_text() == "No findings this month."
    assert _int(r"Nights the audit ran\s+(\d+)", text) == 31
    assert "5 / 5" in soup.select_one("#kpi-captured").get_text()


def test_month_with_thousands_counts_every_one(
    config_dir: Path, busy_db: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    html, text = _produce(config_dir, busy_db, tmp_path / "out")
    assert time.monotonic() - started < 60
    assert _kpis(text)[:2] == ["3,000", "1,500"]
    want = _expected(busy_db)["by_check"]
    for check, (violations, advisories) in want.items():
        title = re.escape(check_title(check))
        row = _number(rf"(?m)^\s*{title}\s+([\d,]+\s+[\d,]+\s+[\d,]+)", text).split()
        assert [int(n.replace(",", "")) for n in row] == [
            violations,
            advisories,
            violations + advisories,
        ]
    assert leaked(html) == [] and leaked(text) == []
    assert len(pdf_text_pages(text)) <= 6  # counts, not lists: a flood stays a short report


def pdf_text_pages(text: str) -> list[str]:
    return [page for page in text.split("\f") if page.strip()]


def test_district_whose_fetches_all_failed_says_nothing_was_captured(
    config_dir: Path, failed_db: Path, tmp_path: Path
) -> None:
    html, text = _produce(config_dir, failed_db, tmp_path / "out")
    flat = " ".join(text.split())
    assert (
        "No account was captured this month: none of the 4 accounts the audit should fetch was "
        "captured on any of 31 scheduled nights." in flat
    )
    # coach-smith's permission lapsed: the district's choice, told apart from the outages
    assert "Not fetched by design (no current written permission): Coach Smith (personal)" in flat
    soup = BeautifulSoup(html, "html.parser")
    rows = soup.select("#coverage-accounts tr")[1:]
    assert len(rows) == 5
    cells = {
        row.find("td").get_text(): [td.get_text() for td in row.find_all("td")] for row in rows
    }
    for name, row in cells.items():
        expected = ["0", "0", "31"] if name == "Coach Smith (personal)" else ["0", "31", "0"]
        assert row[4:7] == expected, name
        assert row[7]  # a reason for every account
    reasons = " ".join(row[7] for row in cells.values())
    assert "sign-in refused" in reasons and "rate-limited" in reasons
    assert "lapsed" in cells["Coach Smith (personal)"][7]
    assert "(by design)" in cells["Coach Smith (personal)"][7]
    assert "0 / 4" in soup.select_one("#kpi-captured").get_text()


def test_report_is_archived_with_its_pdf(demo: Report) -> None:
    produced = demo.produced
    con = duckdb.connect(str(demo.db), read_only=True)
    row = con.execute(
        "SELECT kind, period, pdf, html FROM report_archive WHERE report_id = ?",
        [produced.report_id],
    ).fetchone()
    con.close()
    assert row[0:2] == ("monthly", "2026-10")
    assert bytes(row[2]) == produced.paths[1].read_bytes()
    assert row[3] == produced.paths[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "day, expected",
    [
        ("2026-11-01T13:00:00+00:00", "2026-10"),  # the scheduled run on the 1st
        ("2026-11-01T04:30:00+00:00", "2026-09"),  # still Oct 31 in Chicago: September just ended
    ],
)
def test_default_month_is_the_one_before_today_in_district_time(
    config_dir: Path, empty_db: Path, tmp_path: Path, day: str, expected: str
) -> None:
    from datetime import datetime

    produced = produce_monthly(
        load_district(config_dir), empty_db, tmp_path / "out", datetime.fromisoformat(day)
    )
    assert produced.paths[0].name == f"monthly-{expected}.html"


def test_month_still_running_is_labelled_as_to_date(
    config_dir: Path, empty_db: Path, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    mid_month = datetime(2026, 10, 15, 18, 0, tzinfo=UTC)
    produced = produce_monthly(load_district(config_dir), empty_db, tmp_path, mid_month, OCTOBER)
    title = BeautifulSoup(produced.paths[0].read_text(encoding="utf-8"), "html.parser").h1
    assert title.get_text() == "Social media audit: October 2026 (to Oct 15, 2026)"
    assert _int(r"Nights the audit ran\s+(\d+)", pdf_text(produced.paths[1])) == 15


def test_live_precision_per_check_comes_from_the_monitors_decisions(
    config_dir: Path, empty_db: Path, tmp_path: Path
) -> None:
    """Confirmed findings count as right and "not a violation / false detection" dismissals as
    wrong; other dismissals say nothing about the check and decisions older than 90 days are out."""
    from tests.reports.builders import Warehouse, local

    wh = Warehouse(empty_db, new=False, counter=1000)
    decided = [  # check index, status, status_reason, decided on day (October)
        (0, "confirmed", None, 20), (0, "confirmed", None, 21), (0, "confirmed", None, 22),
        (0, "dismissed", "false_detection", 23), (0, "dismissed", "consent_on_file", 24),
        (2, "dismissed", "false_detection", 25), (2, "confirmed", None, 26),
        (2, "confirmed", None, -200),  # decided long before the 90 days: not counted
    ]
    ids = []
    for check, status, _, _ in decided:
        ids.append(wh.finding("rhs-athletics", check, local(2026, 10, 2, 3), status=status))
    wh.flush()
    for fid, (_, _, reason, day) in zip(ids, decided, strict=True):
        wh.con.execute("UPDATE findings SET status_reason = ? WHERE finding_id = ?", [reason, fid])
        when = local(2026, 10, day, 10) if day > 0 else local(2026, 4, 1, 10)
        wh.review(fid, when, "confirm" if reason is None else "dismiss")
    wh.close()
    html, text = _produce(config_dir, empty_db, tmp_path / "out")
    table = BeautifulSoup(html, "html.parser").find(id="live-precision")
    rows = {
        cells[0]: cells[1:]
        for tr in table.find_all("tr")[1:]
        if (cells := [td.get_text(strip=True) for td in tr.find_all("td")])
    }
    assert rows == {
        check_title("confidentiality"): ["3", "1", "75%"],
        check_title("logo_use"): ["1", "1", "50%"],
    }
    assert "How often each check was right" in text
