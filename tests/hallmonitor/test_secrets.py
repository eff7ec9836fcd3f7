"""Secrets redacted at the source (issue 10, item 6): error bodies that echo the token, Prefect's
own log handler, credentials on a cross-host redirect, tokens inside media URLs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from cli.commands.audit import format_summary
from connectors.base import FetchWindow
from connectors.http import HttpClient, HttpSettings
from demo.fakeplatform import FakePlatform, Request, Response
from demo.sample_server import DemoSite, prepare_district
from flows.district import load_district
from flows.steps.fetching import AccessSink, fetch_account
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account
from hallmonitor.permissions import decide
from hallmonitor.redaction import SecretFilter, redact_secrets_in_logs

TOKEN = "hm-net-t0ken/With+chars"
ENV = "HM_NET_TEST_TOKEN"
NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)


def echo_authorization(request: Request) -> Response:
    """Mastodon-style 401 whose body repeats the credential it was sent (issue 10's finding)."""
    sent = request.headers.get("Authorization", "")
    return 401, {"Content-Type": "application/json"}, {"error": f"The token {sent} is invalid"}


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV, TOKEN)
    return TOKEN


def test_an_echoed_token_reaches_no_store_report_or_console(token: str, tmp_path: Path) -> None:
    from flows.audit import nightly_audit

    with DemoSite(NOW) as site:
        site.server.route("/api/v1/accounts/lookup", echo_authorization)
        district = prepare_district(tmp_path, site.base_url, NOW)
        with (district / "accounts.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"""  - id: echo-masto
    kind: sponsored
    platform: mastodon
    locator: "@news"
    api_base: "{site.base_url}"
    token_env: {ENV}
    responsible: E104
""")
        db = tmp_path / "w.duckdb"
        summary = nightly_audit(str(district), str(db), now=NOW.isoformat(), trigger="test")
    assert any(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in site.server.requests)
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = {
            "coverage.error": con.execute(
                "SELECT string_agg(error, ' ') FROM coverage WHERE account_id = 'echo-masto'"
            ).fetchone()[0],
            "fetch_runs.stats_json": con.execute(
                "SELECT string_agg(CAST(stats_json AS VARCHAR), ' ') FROM fetch_runs"
            ).fetchone()[0],
            "audit_log.detail_json": con.execute(
                "SELECT string_agg(CAST(detail_json AS VARCHAR), ' ') FROM audit_log"
            ).fetchone()[0],
            "access_log.url": con.execute(
                "SELECT string_agg(url || outcome, ' ') FROM access_log"
            ).fetchone()[0],
        }
    finally:
        con.close()
    stored["audit stdout"] = format_summary(summary)
    assert "auth" in stored["coverage.error"] or "***" in stored["coverage.error"]
    for where, text in stored.items():
        assert TOKEN not in text, f"token in {where}"
        assert "token/With" not in text, f"part of the token in {where}"
    assert "Bearer ***" in stored["coverage.error"]


def test_prefects_api_log_handler_gets_the_filter(token: str, tmp_path: Path) -> None:
    """Flow and task run logs go to Prefect's own database through APILogHandler, attached to
    `prefect.flow_runs` / `prefect.task_runs`, not to the root or `prefect` loggers."""
    from prefect.logging.configuration import setup_logging
    from prefect.logging.handlers import APILogHandler

    with DemoSite(NOW) as site:
        config = load_district(prepare_district(tmp_path, site.base_url, NOW))
    config.accounts.append(
        Account(id="x", kind="sponsored", platform="mastodon", locator="@x", token_env=ENV)
    )
    setup_logging()
    api_handlers = [
        h
        for name in ("prefect.flow_runs", "prefect.task_runs")
        for h in logging.getLogger(name).handlers
        if isinstance(h, APILogHandler)
    ]
    assert api_handlers
    installed = redact_secrets_in_logs(config)
    assert all(installed in h.filters for h in api_handlers)
    record = logging.LogRecord("prefect.flow_runs", logging.INFO, "f", 1, "got %s", (TOKEN,), None)
    assert installed.filter(record) and TOKEN not in record.getMessage()


def test_log_filter_masks_secrets_and_strips_terminal_escapes() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "gap: %s", (f"\x1b]0;pwned\x07Bearer {TOKEN}\x1b[2J",), None
    )
    SecretFilter({TOKEN}).filter(record)
    assert record.getMessage() == "gap: Bearer ***"


@pytest.fixture
def two_hosts() -> Iterator[tuple[FakePlatform, FakePlatform]]:
    with FakePlatform() as first, FakePlatform() as second:
        yield first, second


def test_credentials_are_dropped_on_a_cross_host_redirect(
    two_hosts: tuple[FakePlatform, FakePlatform],
) -> None:
    first, second = two_hosts
    first.route("/api", lambda r: (302, {"Location": second.base_url + "/landing"}, ""))
    first.route("/same", lambda r: (302, {"Location": "/api2"}, ""))
    first.route("/api2", lambda r: (200, {}, {"ok": True}))
    second.route("/landing", lambda r: (200, {}, {"ok": True}))
    http = HttpClient("a", "t", {first.host, second.host}, settings=HttpSettings(max_attempts=1))
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    http.get(first.base_url + "/api", headers=auth)
    http.get(first.base_url + "/same", headers=auth)
    assert second.requests[0].headers.get("Authorization") is None
    assert second.requests[0].headers.get("Accept") == "application/json"
    assert [r.headers.get("Authorization") for r in first.requests] == [f"Bearer {TOKEN}"] * 3


def test_media_urls_are_stored_with_secrets_stripped(token: str, tmp_path: Path) -> None:
    with FakePlatform() as fake:
        base = fake.base_url
        img = f"{fake.base_url}/media/a.png?access_token={quote(TOKEN, safe='')}&amp;w=300"
        plain = f"{fake.base_url}/media/b.png?w=300"
        xml = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<item><guid>p1</guid><title>p</title><link>{fake.base_url}/p1</link>"
            f'<description><![CDATA[<img src="{img}"><img src="{plain}">]]></description>'
            "</item></channel></rss>"
        )
        fake.route("/feed.xml", lambda r: (200, {"Content-Type": "application/rss+xml"}, xml))
        png = (200, {"Content-Type": "image/png"}, b"\x89PNG")
        fake.route("/media/a.png", lambda r: png)
        fake.route("/media/b.png", lambda r: png)
        account = Account(
            id="feed",
            kind="sponsored",
            platform="rss",
            locator=fake.base_url + "/feed.xml",
            token_env=ENV,
        )
        window = FetchWindow(NOW - timedelta(days=3650), {}, True)
        outcome = fetch_account(
            account,
            decide(account, NOW.date()),
            window,
            tmp_path,
            {},
            FixedClock(NOW),
            AccessSink(),
        )
        sent = [r.query.get("access_token") for r in fake.requests if r.path == "/media/a.png"]
    assert sent == [[TOKEN]], "the download itself used the real URL"
    urls = [ref.url for item in outcome.items for ref in item.media] + [
        m.url for m in outcome.media
    ]
    assert urls and all(TOKEN not in u for u in urls)
    assert f"{base}/media/a.png?access_token=***&w=300" in urls
    assert f"{base}/media/b.png?w=300" in urls, "URLs without secrets are unchanged"
    assert all(m.sha256 for m in outcome.media)
