"""The sidecar's decisions reach the warehouse; dismissed findings stay dismissed until the content
changes; keyset paging; live precision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bs4 import BeautifulSoup

from dashboards.review.decisions import decide
from dashboards.review.merge import merge_sidecar
from dashboards.review.precision import rule_precision
from dashboards.review.scope import Principal
from dashboards.review.sidecar import sidecar_path
from flows.district import load_district
from tests.dashboards.builders import Built, build
from warehouse.db import connect
from warehouse.findings import upsert_findings

LEE = Principal("lee@riverbend.example", "Lee", "monitor", "m-all", None, ())
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _status(db: Path, fid: str) -> tuple[str, str | None]:
    with connect(db, read_only=True) as con:
        return con.execute(
            "SELECT status, status_reason FROM findings WHERE finding_id = ?", [fid]
        ).fetchone()


def test_merge_copies_decisions_and_events_once(built: Built) -> None:
    side = sidecar_path(built.db)
    decide(side, LEE, "f-rhs", "open", "confirm", at=NOW)
    decide(
        side,
        LEE,
        "f-rms",
        "open",
        "dismiss",
        reason="false_detection",
        note="namesake",
        post_version=1,
        at=NOW,
    )
    with connect(built.db) as con:
        first = merge_sidecar(con, side)
        again = merge_sidecar(con, side)
        reviews = con.execute(
            "SELECT finding_id, disposition, reviewer FROM reviews ORDER BY review_id"
        ).fetchall()
        logged = con.execute(
            "SELECT count(*) FROM audit_log WHERE action LIKE 'finding.%' "
            "AND actor = 'review:lee@riverbend.example'"
        ).fetchone()[0]
    assert (first.decisions, again.decisions, again.events) == (2, 0, 0)
    assert reviews == [
        ("f-rhs", "confirm", "lee@riverbend.example"),
        ("f-rms", "dismiss", "lee@riverbend.example"),
    ]
    assert logged == 2
    assert _status(built.db, "f-rhs") == ("confirmed", None)
    assert _status(built.db, "f-rms") == ("dismissed", "false_detection")


@dataclass
class Draft:
    finding_id: str
    post_version: int
    district_id: str = "riverbend"
    account_id: str = "rms-news"
    post_id: str = "p-rms"
    subject: str = "post"
    check_name: str = "media_opt_out"
    rule_id: str = "wf.media_opt_out"
    clause_id: str = "c"
    citation: dict | None = None
    level: str = "violation"
    severity: str = "critical"
    category: str = "opted-out student named"
    summary: str = "s"
    evidence: dict | None = None
    pack_id: str = "west-fargo-debh-ap"
    pack_version: str = "2026.11.1"


def test_dismissed_finding_stays_dismissed_on_later_runs_unless_content_changes(
    built: Built,
) -> None:
    side = sidecar_path(built.db)
    decide(side, LEE, "f-rms", "open", "dismiss", reason="consent_on_file", post_version=1)
    with connect(built.db) as con:
        merge_sidecar(con, side)
        upsert_findings(con, [Draft("f-rms", 1)], "run-2", NOW)  # same content
    assert _status(built.db, "f-rms") == ("dismissed", "consent_on_file")
    with connect(built.db) as con:
        upsert_findings(con, [Draft("f-rms", 2)], "run-3", NOW)  # edited since
    assert _status(built.db, "f-rms") == ("open", "content_changed")


def test_a_dismissal_of_a_version_since_replaced_reopens_when_merged(built: Built) -> None:
    side = sidecar_path(built.db)
    # The monitor saw version 1; the audit stored version 2 before the decision was merged.
    decide(side, LEE, "f-rms", "open", "dismiss", reason="false_detection", post_version=1)
    with connect(built.db) as con:
        upsert_findings(con, [Draft("f-rms", 2)], "run-2", NOW)
        merge_sidecar(con, side)
    assert _status(built.db, "f-rms") == ("open", "content_changed")


def test_keyset_paging_walks_every_finding_once_in_order(tmp_path: Path, as_user) -> None:
    built = build(tmp_path, extra_findings=130)
    from fastapi.testclient import TestClient

    from dashboards.review.app import create_app
    from tests.dashboards.conftest import sign_in

    app = create_app(load_district(built.config), built.db, refresh_seconds=3600)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        sign_in(client, "lee@riverbend.example")
        url, seen = "/queue?status=all", []
        while url:
            soup = BeautifulSoup(client.get(url).text, "html.parser")
            seen += [
                (r.select_one(".badge").text, a["href"].split("?")[0])
                for r in soup.select("tbody tr")
                for a in r.select("a.row-link")
            ]
            nxt = soup.select_one('a[rel="next"]')
            url = nxt["href"] if nxt else ""
    assert len(seen) == len({s[1] for s in seen}) == 134
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1}
    assert [ranks[s] for s, _ in seen] == sorted((ranks[s] for s, _ in seen), reverse=True)


def test_rule_precision_counts_confirmed_against_false_detections(built: Built) -> None:
    side = sidecar_path(built.db)
    decide(side, LEE, "f-rhs", "open", "confirm", at=NOW - timedelta(days=3))
    decide(
        side,
        LEE,
        "f-evil",
        "open",
        "dismiss",
        reason="false_detection",
        post_version=1,
        at=NOW - timedelta(days=2),
    )
    decide(
        side,
        LEE,
        "f-edit",
        "open",
        "dismiss",
        reason="duplicate",
        post_version=1,
        at=NOW - timedelta(days=2),
    )  # says nothing about the detector
    decide(side, LEE, "f-rms", "open", "confirm", at=NOW - timedelta(days=120))  # too old
    with connect(built.db) as con:
        merge_sidecar(con, side)
        rows = {r.rule_id: r for r in rule_precision(con, "riverbend", NOW)}
    assert set(rows) == {"wf.confidentiality", "wf.contact_info"}
    assert rows["wf.confidentiality"].precision == 1.0
    contact = rows["wf.contact_info"]
    assert (contact.confirmed, contact.false_detections, contact.precision) == (0, 1, 0.0)
