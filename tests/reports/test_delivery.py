"""Delivery over SMTP to a real server on 127.0.0.1 (aiosmtpd): the messages are read back, and
every send is archived in the warehouse."""

from __future__ import annotations

import email
import json
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import duckdb
import pytest

from dashboards.delivery import DeliveryConfigError, SmtpSettings
from dashboards.reports.common import Month
from dashboards.reports.jobs import NoSmtpConfigured, produce_digests, produce_monthly
from flows.district import load_district
from tests.reports.conftest import Mailbox, leaked, pdf_text
from tests.reports.scenarios import NOW


def _parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=default)  # type: ignore[return-value]


def _deliveries(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT recipient, role, status, message_id, attachments_json, report_id "
        "FROM report_deliveries ORDER BY recipient"
    ).fetchall()
    con.close()
    return rows


def test_monthly_pdf_goes_to_superintendents_only_and_is_archived(
    config_dir: Path, demo_db: Path, tmp_path: Path, smtp_server: Mailbox
) -> None:
    produced = produce_monthly(
        load_district(config_dir), demo_db, tmp_path, NOW, Month(2026, 10), send=True
    )
    assert produced.sent_to == ("sup@riverbend.example",)
    assert len(smtp_server.messages) == 1
    sender, recipients, data = smtp_server.messages[0]
    assert sender == "hallmonitor@riverbend.example"
    assert recipients == ["sup@riverbend.example"]
    message = _parse(data)
    attachments = list(message.iter_attachments())
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
        ("application/pdf", "monthly-2026-10.pdf")
    ]
    pdf = attachments[0].get_content()
    assert pdf == produced.paths[1].read_bytes()
    (tmp_path / "received.pdf").write_bytes(pdf)
    assert leaked(pdf_text(tmp_path / "received.pdf")) == []
    body = message.get_body(("plain",)).get_content()
    assert "New findings: 17 (9 violations, 8 advisories)" in body
    assert leaked(body) == [] and leaked(data.decode("ascii", "replace")) == []
    [row] = _deliveries(demo_db)
    assert row[:3] == ("sup@riverbend.example", "superintendent", "sent")
    assert row[3] == message["Message-ID"].strip()
    assert json.loads(row[4])[0]["filename"] == "monthly-2026-10.pdf"
    assert row[5] == produced.report_id


def test_each_monitor_gets_their_digest_without_student_names(
    config_dir: Path, demo_db: Path, tmp_path: Path, smtp_server: Mailbox
) -> None:
    produce_digests(load_district(config_dir), demo_db, tmp_path, NOW, send=True)
    received = {tuple(rcpt): _parse(data) for _, rcpt, data in smtp_server.messages}
    assert set(received) == {
        ("pat@riverbend.example",),
        ("lee@riverbend.example",),
        ("sup@riverbend.example",),
    }
    for (recipient,), message in received.items():
        assert message["To"] == recipient
        assert list(message.iter_attachments()) == []
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert leaked(html) == [] and leaked(text) == []
        assert "https://review.riverbend.example/findings/" in html
    assert "NOT CAPTURED" in received[("lee@riverbend.example",)]["Subject"]
    assert "NOT CAPTURED" not in received[("pat@riverbend.example",)]["Subject"]
    rows = _deliveries(demo_db)
    assert [(r[0], r[2]) for r in rows] == [
        ("lee@riverbend.example", "sent"),
        ("pat@riverbend.example", "sent"),
        ("sup@riverbend.example", "sent"),
    ]
    ids = {m["Message-ID"].strip() for m in received.values()}
    assert {r[3] for r in rows} == ids
    again = produce_digests(
        load_district(config_dir), demo_db, tmp_path / "2", NOW + timedelta(days=1)
    )
    assert "New findings: 0" in again[0].paths[0].read_text(encoding="utf-8")


def test_refused_recipient_is_recorded_and_keeps_their_findings_for_next_time(
    config_dir: Path, demo_db: Path, tmp_path: Path, smtp_server: Mailbox
) -> None:
    smtp_server.refuse.add("pat@riverbend.example")
    produced = produce_digests(load_district(config_dir), demo_db, tmp_path, NOW, send=True)
    by_monitor = {p.monitor_id: p for p in produced}
    assert by_monitor["m-rhs"].failed == ("pat@riverbend.example",)
    assert by_monitor["sup"].sent_to == ("sup@riverbend.example",)
    statuses = {r[0]: r[2] for r in _deliveries(demo_db)}
    assert statuses["pat@riverbend.example"] == "failed"
    con = duckdb.connect(str(demo_db), read_only=True)
    marked = {r[0] for r in con.execute("SELECT monitor_id FROM digest_watermarks").fetchall()}
    con.close()
    assert marked == {"m-all", "sup"}


def test_send_without_smtp_settings_fails_before_writing_anything(
    config_dir: Path, demo_db: Path, tmp_path: Path
) -> None:
    with pytest.raises(NoSmtpConfigured):
        produce_monthly(
            load_district(config_dir), demo_db, tmp_path / "out", NOW, Month(2026, 10), send=True
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "env, problem",
    [
        (
            {
                "HALLMONITOR_SMTP_HOST": "mail.example",
                "HALLMONITOR_SMTP_FROM": "x@y.example",
                "HALLMONITOR_SMTP_SECURITY": "tls",
            },
            "SECURITY",
        ),
        ({"HALLMONITOR_SMTP_HOST": "mail.example"}, "FROM"),
        (
            {
                "HALLMONITOR_SMTP_HOST": "mail.example",
                "HALLMONITOR_SMTP_FROM": "x@y.example",
                "HALLMONITOR_SMTP_PORT": "25a",
            },
            "PORT",
        ),
        (
            {
                "HALLMONITOR_SMTP_HOST": "mail.example",
                "HALLMONITOR_SMTP_FROM": "x@y.example",
                "HALLMONITOR_SMTP_SECURITY": "none",
                "HALLMONITOR_SMTP_USER": "u",
            },
            "clear text",
        ),
    ],
)
def test_unusable_smtp_settings_are_refused_with_the_variable_named(
    env: dict[str, str], problem: str
) -> None:
    with pytest.raises(DeliveryConfigError, match=problem):
        SmtpSettings.from_env(env)


@pytest.mark.parametrize("security, port", [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_smtp_port_defaults_follow_the_security_mode(security: str, port: int) -> None:
    settings = SmtpSettings.from_env(
        {
            "HALLMONITOR_SMTP_HOST": "127.0.0.1",
            "HALLMONITOR_SMTP_FROM": "a@b.example",
            "HALLMONITOR_SMTP_SECURITY": security,
            "HALLMONITOR_SMTP_USER": "u",
            "HALLMONITOR_SMTP_PASSWORD": "secret-pw",
        }
    )
    assert settings is not None and settings.port == port
    assert "secret-pw" not in repr(settings)


def test_no_host_means_no_email_configured() -> None:
    assert SmtpSettings.from_env({}) is None
