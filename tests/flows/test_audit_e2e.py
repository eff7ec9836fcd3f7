"""The real nightly flow, end to end, against the demo's sample server on 127.0.0.1.

One district, real Prefect flow runs, a real DuckDB file: what is stored, what is never fetched,
what a second night adds (nothing), and how edits and removals show up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from demo.sample_server import DemoSite, prepare_district
from flows.audit import nightly_audit

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)  # a Wednesday evening in Chicago


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("e2e")
    site = DemoSite(NOW).start()  # the demo's real images: a class photo, a flyer, a gradebook
    district = prepare_district(tmp, site.base_url, NOW)
    with (district / "accounts.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"""  - id: broken-feed
    kind: sponsored
    platform: rss
    locator: "{site.base_url}/broken/feed.xml"
    responsible: E104
""")
    db = tmp / "warehouse.duckdb"
    first = nightly_audit(str(district), str(db), now=NOW.isoformat(), trigger="test")
    requests_after_first = list(site.server.requests)
    second = nightly_audit(
        str(district), str(db), now=(NOW + timedelta(hours=1)).isoformat(), trigger="test"
    )
    requests_after_second = list(site.server.requests)
    yield {
        "site": site,
        "district": district,
        "db": db,
        "first": first,
        "second": second,
        "requests_first": requests_after_first,
        "requests_second": requests_after_second,
    }
    site.stop()


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_posts_from_every_permitted_account_are_stored(world: dict) -> None:
    counts = dict(_q(world["db"], "SELECT account_id, count(*) FROM posts GROUP BY 1"))
    assert counts["pvhs-athletics"] == 3
    assert counts["brown-blog"] == 5
    assert counts["district-site"] == 2
    assert (
        counts["nguyen-classroom"] == 3
    )  # index, results, gradebook; never the robots-disallowed page
    assert "okafor-blog" not in counts and "miller-personal" not in counts


def test_lapsed_or_missing_permission_sends_not_a_single_request(world: dict) -> None:
    paths = [r.path for r in world["requests_second"]]
    assert not [p for p in paths if p.startswith(("/okafor/", "/miller/"))]
    assert "/nguyen/private.html" not in paths
    coverage = dict(
        _q(
            world["db"],
            "SELECT account_id, status FROM coverage WHERE run_id = ?",
            [world["first"]["run_id"]],
        )
    )
    assert coverage["okafor-blog"] == "not_permitted"
    assert coverage["miller-personal"] == "not_permitted"
    assert not _q(
        world["db"],
        "SELECT 1 FROM access_log WHERE account_id IN ('okafor-blog', 'miller-personal')",
    )


def test_every_request_is_logged_with_its_basis(world: dict) -> None:
    logged = _q(world["db"], "SELECT account_id, basis, url FROM access_log")
    assert len(logged) == len(world["requests_second"])
    bases = {account: basis for account, basis, _ in logged}
    assert bases["nguyen-classroom"].startswith("employee permission: Signed monitoring consent")
    assert bases["pvhs-athletics"] == "sponsored account registered by the district"


def test_failing_account_is_a_coverage_gap_and_the_rest_completes(world: dict) -> None:
    rows = dict(
        (a, (s, r))
        for a, s, r in _q(
            world["db"],
            "SELECT account_id, status, reason FROM coverage WHERE run_id = ?",
            [world["first"]["run_id"]],
        )
    )
    assert rows["broken-feed"] == ("gap", "not_found")
    assert rows["pvhs-athletics"][0] == "complete"
    assert world["first"]["fetched"] == 4
    assert [g["account"] for g in world["first"]["gaps"]] == ["broken-feed"]


def test_findings_are_real_and_cite_the_policy(world: dict) -> None:
    rows = _q(
        world["db"],
        """
        SELECT p.account_id, p.native_id, f.check_name, f.level, f.citation_json, f.evidence_json
        FROM findings f JOIN posts p USING (post_id)""",
    )
    found = {(account, native) for account, native, *_ in rows}
    assert ("brown-blog", "brown-1") in found  # named student + IEP/504 record
    assert ("pvhs-athletics", "ath-2") in found  # media-opt-out student named
    assert any(a == "nguyen-classroom" and n.endswith("/nguyen/results.html") for a, n in found)
    assert ("pvhs-athletics", "ath-1") not in found  # consented student celebrated on a team page
    assert ("brown-blog", "brown-2") not in found  # "Will you join us" names nobody
    assert ("brown-blog", "brown-3") not in found  # IEP meetings, nobody identified
    for *_, check, level, citation, evidence in rows:
        citation, evidence = json.loads(citation), json.loads(evidence)
        assert citation["policy"] and citation["section"] and citation["quote"]
        assert level in ("violation", "advisory")
        if check in ("student_image", "logo_use"):
            assert evidence["details"], "an image finding shows its boxes, marks and capture time"
        else:
            assert evidence["spans"], "a finding shows the words that break the rule"


def test_image_checks_find_students_marks_and_text_in_pictures(world: dict) -> None:
    rows = _q(
        world["db"],
        "SELECT p.native_id, f.check_name, f.evidence_json "
        "FROM findings f JOIN posts p USING (post_id)",
    )
    by_post = {}
    for native, check, evidence in rows:
        by_post.setdefault(native, []).append((check, json.loads(evidence)))
    student = [e for c, e in by_post.get("brown-4", []) if c == "student_image"]
    assert student and student[0]["details"]  # faces, capture time and its source
    logo = [e for c, e in by_post.get("brown-5", []) if c == "logo_use"]
    assert logo and "district" in logo[0]["summary"]
    gradebook = [
        e
        for n, found in by_post.items()
        if n.endswith("/nguyen/gradebook.html")
        for c, e in found
        if c == "confidentiality"
    ]
    assert gradebook and all(e["text_source"] == "image" for e in gradebook)


def test_media_is_downloaded_once_and_stored_by_hash(world: dict) -> None:
    media = _q(world["db"], "SELECT sha256, path FROM media")
    assert len(media) == 3  # the class photo and flyer in a feed, the gradebook on a page
    media_root = world["db"].with_name(world["db"].name + ".media")
    assert all((media_root / path).is_file() for _, path in media)
    media_requests = [r for r in world["requests_second"] if r.path.startswith("/media/")]
    first_media = [r for r in world["requests_first"] if r.path.startswith("/media/")]
    assert len(first_media) == 3 and len(media_requests) == 3  # none asked for again


def test_second_night_adds_nothing(world: dict) -> None:
    second = world["second"]
    assert (second["items_new"], second["items_changed"], second["items_deleted"]) == (0, 0, 0)
    assert second["findings_new"] == 0 and second["media_new"] == 0
    assert _q(world["db"], "SELECT count(*) FROM posts")[0][0] == 13
    assert _q(world["db"], "SELECT count(*) FROM post_versions")[0][0] == 13
    assert second["media_analysed"] == 0  # each image analysed once, on the first night
    assert second["findings_total"] == world["first"]["findings_total"]


def test_edit_is_a_new_version_and_removal_is_marked_deleted(world: dict) -> None:
    site, db = world["site"], world["db"]
    site.edit(
        "/brown/feed.xml", "brown-3", "<p>IEP meetings all week; Grace Lee's IEP goals met.</p>"
    )
    site.remove("/athletics/feed.xml", "ath-3")
    third = nightly_audit(
        str(world["district"]), str(db), now=(NOW + timedelta(days=1)).isoformat(), trigger="test"
    )
    assert third["items_changed"] == 1 and third["items_deleted"] == 1
    versions = _q(
        db,
        "SELECT v.version, v.text FROM post_versions v JOIN posts p USING (post_id) "
        "WHERE p.native_id = 'brown-3' ORDER BY 1",
    )
    assert [v for v, _ in versions] == [1, 2] and "Grace Lee" in versions[1][1]
    deleted = _q(db, "SELECT deleted_at IS NOT NULL, text FROM posts WHERE native_id = 'ath-3'")
    assert (
        deleted == [(True, "Schedule change Friday's game moves to 6 pm. Go Falcons!")]
        or deleted[0][0]
    )
    new_finding = _q(
        db,
        "SELECT count(*) FROM findings f JOIN posts p USING (post_id) "
        "WHERE p.native_id = 'brown-3'",
    )
    assert new_finding[0][0] >= 1  # the edit named a student with a record


def test_bad_config_fails_before_any_fetch(tmp_path: Path) -> None:
    from cli.main import cli

    with DemoSite(NOW) as site:
        district = prepare_district(tmp_path, site.base_url, NOW)
        text = (district / "accounts.yaml").read_text(encoding="utf-8")
        (district / "accounts.yaml").write_text(
            text.replace("responsible: E101", "responsable: E101"), encoding="utf-8"
        )
        result = CliRunner().invoke(
            cli, ["audit", "--config", str(district), "--db", str(tmp_path / "w.duckdb")]
        )
        assert result.exit_code == 2
        assert "accounts.yaml:" in result.output and "responsable" in result.output
        assert site.server.requests == []
    assert not (tmp_path / "w.duckdb").exists()
