"""The `hallmonitor report ...` and `hallmonitor deployments` commands, and the Prefect flows
that the schedules run."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.reports.conftest import Mailbox, leaked, pdf_text

NOW = "2026-11-01T13:00:00Z"


def test_report_monthly_writes_html_and_pdf_for_the_month_asked(
        config_dir: Path, demo_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "monthly", "--month", "2026-10", "--config",
                                      str(config_dir), "--db", str(demo_db), "--out",
                                      str(tmp_path / "out"), "--now", NOW])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'out' / 'monthly-2026-10.pdf'}" in result.output
    text = pdf_text(tmp_path / "out" / "monthly-2026-10.pdf")
    assert "October 2026" in text and leaked(text) == []


def test_report_monthly_rejects_a_malformed_month(config_dir: Path, demo_db: Path,
                                                  tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "monthly", "--month", "10/2026", "--config",
                                      str(config_dir), "--db", str(demo_db), "--out",
                                      str(tmp_path)])
    assert result.exit_code == 2
    assert "expected a month as YYYY-MM" in result.output


def test_report_digest_send_mails_every_monitor(config_dir: Path, demo_db: Path, tmp_path: Path,
                                                smtp_server: Mailbox) -> None:
    result = CliRunner().invoke(cli, ["report", "digest", "--config", str(config_dir), "--db",
                                      str(demo_db), "--out", str(tmp_path), "--send",
                                      "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "sup: wrote" in result.output and "sent to sup@riverbend.example" in result.output
    assert sorted(r for _, rcpt, _ in smtp_server.messages for r in rcpt) == \
        ["lee@riverbend.example", "pat@riverbend.example", "sup@riverbend.example"]


def test_report_digest_send_without_smtp_settings_says_what_to_set(
        config_dir: Path, demo_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "digest", "--config", str(config_dir), "--db",
                                      str(demo_db), "--out", str(tmp_path), "--send"])
    assert result.exit_code == 2
    assert "HALLMONITOR_SMTP_HOST" in result.output


def test_deployments_command_prints_the_schedules(config_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["deployments", "--config", str(config_dir), "--db",
                                      str(tmp_path / "w.duckdb")])
    assert result.exit_code == 0, result.output
    assert "nightly-audit/riverbend-nightly" in result.output
    assert "cron '0 7 1 * *' in America/Chicago" in result.output


def _marks(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM digest_watermarks").fetchone()[0]
    finally:
        con.close()


def test_scheduled_digest_without_smtp_says_so_and_keeps_the_since_marks(
        config_dir: Path, demo_db: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The flow's own logic (`.fn`: a real flow run costs half a minute of Prefect start-up;
    tests/flows/test_deployments.py registers the flows on a real server): reports go beside
    the warehouse; with no SMTP configured every run warns, and nothing counts as delivered."""
    from flows.reports import nightly_digest

    for _ in range(2):  # every run says so, not only the first
        caplog.clear()
        # Listen on the reports logger itself: whether it propagates to the root depends on how
        # an earlier test (or the audit's console setup) left logging configured.
        reports_logger = logging.getLogger("hallmonitor.reports")
        reports_logger.addHandler(caplog.handler)
        try:
            with caplog.at_level("WARNING", logger="hallmonitor.reports"):
                digests = nightly_digest.fn(str(config_dir), str(demo_db), now=NOW)
        finally:
            reports_logger.removeHandler(caplog.handler)
        warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("NOT e-mailed" in m and "HALLMONITOR_SMTP_HOST" in m for m in warned)
        assert _marks(demo_db) == 0
    folder = demo_db.with_name(demo_db.name + ".reports")
    assert sorted(Path(p).name for p in digests) == [
        "digest-2026-11-01-m-all.html", "digest-2026-11-01-m-rhs.html",
        "digest-2026-11-01-sup.html"]
    assert all(Path(p).parent == folder for p in digests)


def test_scheduled_digest_marks_delivered_only_when_told(config_dir: Path,
                                                         demo_db: Path) -> None:
    from flows.reports import nightly_digest

    nightly_digest.fn(str(config_dir), str(demo_db), now=NOW, mark_delivered=True)
    assert _marks(demo_db) == 3


@pytest.mark.parametrize("flag, marks", [([], 0), (["--mark-delivered"], 3)])
def test_report_digest_without_send_moves_marks_only_with_mark_delivered(
        config_dir: Path, demo_db: Path, tmp_path: Path, flag: list[str], marks: int) -> None:
    result = CliRunner().invoke(cli, ["report", "digest", "--config", str(config_dir), "--db",
                                      str(demo_db), "--out", str(tmp_path), "--now", NOW, *flag])
    assert result.exit_code == 0, result.output
    assert "not e-mailed" in result.output
    assert _marks(demo_db) == marks


def test_scheduled_monthly_flow_reports_the_month_just_ended(config_dir: Path,
                                                              demo_db: Path) -> None:
    from flows.reports import monthly_summary

    pdf = monthly_summary.fn(str(config_dir), str(demo_db), now=NOW)
    assert pdf == str(demo_db.with_name(demo_db.name + ".reports") / "monthly-2026-10.pdf")
    assert "October 2026" in pdf_text(Path(pdf))
