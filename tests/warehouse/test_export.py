"""Exports: the exact keys of the contract, post_url for post, profile and account findings,
stable order, CSV that round-trips, and the `hallmonitor export` commands."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from warehouse.db import connect
from warehouse.export import (
    CSV_FINDING_EXTRAS,
    CSV_POST_EXTRAS,
    FINDING_KEYS,
    POST_KEYS,
    export_findings,
    export_posts,
)

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CITATION = {"policy": "DEBH-AP", "section": "Employee's Responsibilities, para. 3",
            "quote": "Employees shall not disclose information ..."}


def at(hour: int, day: int = 1) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def _account(con: Any, account_id: str, platform: str, locator: str,
             name: str | None = None) -> None:
    con.execute("INSERT INTO accounts (district_id, account_id, kind, platform, locator, "
                "display_name, updated_at) VALUES ('wf', ?, 'sponsored', ?, ?, ?, ?)",
                [account_id, platform, locator, name, T0])


def _post(con: Any, post_id: str, account_id: str, platform: str, kind: str, permalink: str,
          published_at: datetime | None, text: str, deleted_at: datetime | None = None) -> None:
    con.execute(
        "INSERT INTO posts (post_id, district_id, account_id, platform, native_id, kind, "
        "permalink, published_at, text, current_version, content_hash, first_seen, last_seen, "
        "deleted_at) "
        "VALUES (?, 'wf', ?, ?, ?, ?, ?, ?, ?, 1, 'h', ?, ?, ?)",
        [post_id, account_id, platform, f"native-{post_id}", kind, permalink, published_at, text,
         T0, T0, deleted_at])


def _finding(con: Any, finding_id: str, account_id: str, post_id: str | None, subject: str,
             first_seen: datetime, status: str = "open") -> None:
    con.execute(
        "INSERT INTO findings (finding_id, district_id, account_id, post_id, post_version, "
        "subject, check_name, rule_id, clause_id, citation_json, level, severity, category, "
        "summary, "
        "evidence_json, pack_id, pack_version, status, first_seen, last_seen) "
        "VALUES (?, 'wf', ?, ?, 1, ?, 'confidentiality', 'wf.confidentiality.student-records', "
        "'confidential-information', ?, 'violation', 'high', 'student record', 'summary', ?, "
        "'west-fargo-debh-ap', '2026.11.1', ?, ?, ?)",
        [finding_id, account_id, post_id, subject, json.dumps(CITATION),
         json.dumps({"span": [0, 5], "text": "Hello", "detector": "roster"}), status,
         first_seen, first_seen])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as con:
        con.execute("INSERT INTO districts (district_id, name, policy, timezone, updated_at) "
                    "VALUES ('wf', 'West Fargo', 'west-fargo-debh-ap', 'America/Chicago', ?)",
                    [T0])
        _account(con, "wf-news", "rss", "https://news.example.org/feed.xml", "West Fargo News")
        _account(con, "wf-fb", "facebook", "1234567890")
        _account(con, "wf-site", "web", "https://www.example.org/")
        _post(con, "p-new", "wf-news", "rss", "post", "https://news.example.org/2", at(12), "Later")
        _post(con, "p-old", "wf-news", "rss", "post", "https://news.example.org/1", at(9),
              "Grades for Ann", deleted_at=at(8, day=2))
        _post(con, "p-prof", "wf-fb", "facebook", "profile",
              "https://www.facebook.com/wfschools", None, "Official page of the district")
        # Inserted out of order: the export orders media by position.
        for position, url in [(1, "https://cdn.example.org/b.jpg"),
                              (0, "https://cdn.example.org/a.jpg")]:
            con.execute("INSERT INTO post_media (post_id, position, url, role, alt, sha256) "
                        "VALUES ('p-new', ?, ?, 'image', ?, ?)",
                        [position, url, f"alt {position}", f"sha{position}"])
        _finding(con, "f-b-post", "wf-news", "p-old", "post", at(10))
        _finding(con, "f-a-post", "wf-news", "p-new", "post", at(10), status="confirmed")
        _finding(con, "f-profile", "wf-fb", "p-prof", "profile", at(9))
        _finding(con, "f-site", "wf-site", None, "account", at(11))
        _finding(con, "f-fb-account", "wf-fb", None, "account", at(11, day=2))
    return path


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def run_export(export: Any, db: Path, fmt: str) -> str:
    out = io.StringIO()
    export(db, fmt, out)
    return out.getvalue()


def test_findings_jsonl_has_exactly_the_contract_keys_in_first_seen_order(db: Path) -> None:
    records = jsonl(run_export(export_findings, db, "jsonl"))
    assert [r["finding_id"] for r in records] == [
        "f-profile", "f-a-post", "f-b-post", "f-site", "f-fb-account"]
    assert all(list(r) == list(FINDING_KEYS) for r in records)


def test_findings_post_url_is_the_post_profile_or_account_url(db: Path) -> None:
    by_id = {r["finding_id"]: r for r in jsonl(run_export(export_findings, db, "jsonl"))}
    assert by_id["f-a-post"]["post_url"] == "https://news.example.org/2"
    assert by_id["f-b-post"]["post_url"] == "https://news.example.org/1"
    assert by_id["f-profile"]["post_url"] == "https://www.facebook.com/wfschools"
    assert by_id["f-site"]["post_url"] == "https://www.example.org/"
    assert by_id["f-fb-account"]["post_url"] is None  # a page id is not a URL


def test_findings_jsonl_carries_citation_evidence_and_platform(db: Path) -> None:
    by_id = {r["finding_id"]: r for r in jsonl(run_export(export_findings, db, "jsonl"))}
    first = by_id["f-a-post"]
    assert first["citation"] == CITATION
    assert first["evidence"] == {"span": [0, 5], "text": "Hello", "detector": "roster"}
    assert (first["district"], first["account_id"], first["platform"]) == ("wf", "wf-news", "rss")
    assert first["check"] == "confidentiality"
    assert first["rule"] == "wf.confidentiality.student-records"
    assert first["level"] == "violation"
    assert first["severity"] == "high"
    assert first["status"] == "confirmed"
    assert by_id["f-fb-account"]["platform"] == "facebook"
    assert by_id["f-site"]["platform"] == "web"


def _csv(text: str) -> csv.DictReader:
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))


def test_contract_jsonl_field_sets_are_exactly_as_agreed() -> None:
    assert FINDING_KEYS == ("finding_id", "district", "account_id", "platform", "post_url",
                            "check", "rule", "citation", "level", "severity", "evidence",
                            "status")
    assert POST_KEYS[:8] == ("district", "account_id", "platform", "post_id", "post_url",
                             "published_at", "text", "media")


def test_findings_csv_is_flat_text_with_extra_columns_after_the_contract(db: Path) -> None:
    reader = _csv(run_export(export_findings, db, "csv"))
    rows = list(reader)
    assert reader.fieldnames == [*FINDING_KEYS, *CSV_FINDING_EXTRAS]
    assert [r["finding_id"] for r in rows] == [
        "f-profile", "f-a-post", "f-b-post", "f-site", "f-fb-account"]
    by_id = {r["finding_id"]: r for r in rows}
    first = by_id["f-a-post"]
    assert first["citation"] == ("DEBH-AP, Employee's Responsibilities, para. 3: "
                                 '"Employees shall not disclose information ..."')
    assert first["evidence"] == "span: 0, 5; text: Hello; detector: roster"
    assert not any(cell.lstrip().startswith(("{", "[")) for row in rows for cell in row.values())
    assert first["account_name"] == "West Fargo News"
    assert by_id["f-site"]["account_name"] == "wf-site"  # no display name: the id
    assert (first["category"], first["summary"]) == ("student record", "summary")
    assert first["first_seen_local"] == "2026-03-01 04:00"  # 10:00 UTC in Chicago
    assert first["post_id"] == "p-new" and by_id["f-site"]["post_id"] == ""
    assert by_id["f-profile"]["post_url"] == "https://www.facebook.com/wfschools"
    assert by_id["f-fb-account"]["post_url"] == ""


def test_findings_csv_post_id_joins_the_posts_csv(db: Path) -> None:
    findings = list(_csv(run_export(export_findings, db, "csv")))
    posts = {r["post_id"]: r for r in _csv(run_export(export_posts, db, "csv"))}
    joined = [(f["finding_id"], posts[f["post_id"]]["post_url"]) for f in findings if f["post_id"]]
    assert ("f-a-post", "https://news.example.org/2") in joined and len(joined) == 3


def test_excel_reads_the_csv_apostrophe_intact(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(cli, ["export", "findings", "--db", str(db), "--format", "csv",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel then decodes as UTF-8
    assert "Employee's Responsibilities" in raw.decode("utf-8-sig")


def test_posts_jsonl_has_contract_keys_media_and_deleted_flag(db: Path) -> None:
    records = jsonl(run_export(export_posts, db, "jsonl"))
    assert [r["post_id"] for r in records] == ["p-prof", "p-old", "p-new"]
    assert all(list(r) == list(POST_KEYS) for r in records)
    newest = records[2]
    assert newest["published_at"] == "2026-03-01T12:00:00Z"
    assert newest["post_url"] == "https://news.example.org/2"
    assert newest["media"] == [
        {"url": "https://cdn.example.org/a.jpg", "role": "image", "alt": "alt 0", "sha256": "sha0"},
        {"url": "https://cdn.example.org/b.jpg", "role": "image", "alt": "alt 1", "sha256": "sha1"}]
    assert newest["deleted_at"] is None
    assert records[1]["deleted_at"] == "2026-03-02T08:00:00Z"
    assert records[1]["media"] == []
    assert records[0]["published_at"] is None
    assert records[0]["platform"] == "facebook"
    assert records[0]["text"] == "Official page of the district"


def test_posts_ordered_by_account_then_time_with_undated_items_last(db: Path) -> None:
    with connect(db) as con:
        _post(con, "p-undated", "wf-news", "rss", "page", "https://news.example.org/about",
              None, "")
    ids = [r["post_id"] for r in jsonl(run_export(export_posts, db, "jsonl"))]
    assert ids == ["p-prof", "p-old", "p-new", "p-undated"]


def test_posts_csv_round_trips(db: Path) -> None:
    reader = _csv(run_export(export_posts, db, "csv"))
    rows = list(reader)
    assert reader.fieldnames == [*POST_KEYS, *CSV_POST_EXTRAS]
    newest = rows[2]
    assert newest["post_id"] == "p-new"
    assert newest["media"].splitlines() == [
        "https://cdn.example.org/a.jpg", "https://cdn.example.org/b.jpg"]
    assert newest["account_name"] == "West Fargo News"
    assert rows[1]["text"] == "Grades for Ann"
    assert rows[0]["published_at"] == ""


def test_empty_warehouse_exports_nothing_but_the_csv_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    with connect(path):
        pass
    assert run_export(export_findings, path, "jsonl") == ""
    assert run_export(export_posts, path, "csv").splitlines() == [
        "\ufeff" + ",".join([*POST_KEYS, *CSV_POST_EXTRAS])]


def test_export_of_missing_database_raises_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    with pytest.raises(FileNotFoundError, match="nope.duckdb"):
        export_findings(missing, "jsonl", io.StringIO())
    assert not missing.exists()


def test_export_leaves_the_database_free_for_a_writer(db: Path) -> None:
    run_export(export_posts, db, "jsonl")
    with connect(db, wait_seconds=0) as con:
        assert con.execute("SELECT count(*) FROM posts").fetchone() == (3,)


# --- CLI --------------------------------------------------------------------------------------

def test_cli_export_findings_prints_jsonl_to_stdout(db: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "findings", "--db", str(db), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert [r["finding_id"] for r in jsonl(result.stdout)][:2] == ["f-profile", "f-a-post"]


def test_cli_export_posts_csv_to_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "posts.csv"
    result = CliRunner().invoke(cli, ["export", "posts", "--db", str(db), "--format", "csv",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8-sig") as handle:
        assert [r["post_id"] for r in csv.DictReader(handle)] == ["p-prof", "p-old", "p-new"]


def test_cli_defaults_to_jsonl(db: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "posts", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert len(jsonl(result.stdout)) == 3


@pytest.mark.parametrize("kind", ["findings", "posts"])
def test_cli_missing_database_is_a_clear_error_with_exit_code_2(tmp_path: Path, kind: str) -> None:
    missing = tmp_path / "missing.duckdb"
    result = CliRunner().invoke(cli, ["export", kind, "--db", str(missing)])
    assert result.exit_code == 2
    assert "missing.duckdb" in result.output
    assert "does not exist" in result.output
    assert not missing.exists()


def test_cli_rejects_unknown_format(db: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "findings", "--db", str(db), "--format", "xml"])
    assert result.exit_code == 2
    assert "xml" in result.output
