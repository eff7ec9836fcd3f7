"""Export findings and posts as JSON lines or CSV (the interface contract in README.md, "Commands").

The database is opened read-only for one short query per export, so an export never blocks the
audit for long. Rows stream straight to the output. Order is stable so two exports diff cleanly.

JSON lines are the full record: exactly the contract's keys, nested values (citation, evidence,
media) as JSON objects. CSV is for a monitor's spreadsheet: the same columns
with nested values flattened to readable text, then extra columns the contract does not have
(`CSV_FINDING_EXTRAS`, `CSV_POST_EXTRAS`), and a UTF-8 byte-order mark so Excel reads
"Employee's" as written.

CSV cells are made safe for spreadsheets (posts are hostile input): escape sequences and control
characters other than tab and newline are dropped, and a cell beginning with `=`, `+`, `-`, `@`,
a tab or a carriage return is prefixed with `'` so it is shown as text, never run as a formula
(OWASP's CSV injection advice). jsonl is left exact: JSON escapes control characters itself.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from hallmonitor.redaction import terminal_safe
from warehouse.db import connect

Format = Literal["jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv")

FINDING_KEYS = (
    "finding_id",
    "district",
    "account_id",
    "platform",
    "post_url",
    "check",
    "rule",
    "citation",
    "level",
    "severity",
    "evidence",
    "status",
)
# `deleted_at` is an extra beyond the contract: null while the post is still on the platform.
POST_KEYS = (
    "district",
    "account_id",
    "platform",
    "post_id",
    "post_url",
    "published_at",
    "text",
    "media",
    "deleted_at",
)

# Extra CSV columns, after the contract's: who and what in words, when (district time, a form
# Excel and Sheets read as a date), and post_id to join a finding with the posts export.
CSV_FINDING_EXTRAS = ("account_name", "category", "summary", "first_seen_local", "post_id")
CSV_POST_EXTRAS = ("account_name",)
UTF8_BOM = "\ufeff"

# post_url: the item's own permalink (a profile finding points at the profile item, whose permalink
# is the profile URL); an account-level finding falls back to the account locator when it is a URL.
_FINDINGS_SQL = """
SELECT f.finding_id, f.district_id, f.account_id, COALESCE(p.platform, a.platform),
       CASE WHEN p.post_id IS NOT NULL THEN p.permalink
            WHEN regexp_matches(a.locator, '^https?://') THEN a.locator END,
       f.check_name, f.rule_id, f.citation_json, f.level, f.severity, f.evidence_json, f.status,
       COALESCE(a.display_name, f.account_id), f.category, f.summary,
       strftime(timezone(COALESCE(d.timezone, 'UTC'), f.first_seen), '%Y-%m-%d %H:%M'), f.post_id
FROM findings f
LEFT JOIN posts p ON p.post_id = f.post_id
LEFT JOIN accounts a ON a.district_id = f.district_id AND a.account_id = f.account_id
LEFT JOIN districts d ON d.district_id = f.district_id
ORDER BY f.first_seen, f.finding_id
"""

_POSTS_SQL = """
WITH m AS (
    SELECT post_id, list({'url': url, 'role': role, 'alt': alt, 'sha256': sha256}
                         ORDER BY position) AS media
    FROM post_media GROUP BY post_id
)
SELECT p.district_id, p.account_id, p.platform, p.post_id, p.permalink, p.published_at, p.text,
       COALESCE(m.media, []), p.deleted_at, COALESCE(a.display_name, p.account_id)
FROM posts p LEFT JOIN m ON m.post_id = p.post_id
LEFT JOIN accounts a ON a.district_id = p.district_id AND a.account_id = p.account_id
ORDER BY p.account_id, p.published_at NULLS LAST, p.post_id
"""

_BATCH = 1000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_findings(db_path: str | Path, fmt: Format, out: TextIO) -> int:
    """Write every finding (current state, any status); return how many were written."""
    if fmt == "csv":
        return _export(db_path, _FINDINGS_SQL, FINDING_KEYS + CSV_FINDING_EXTRAS,
                       _finding_csv_row, fmt, out)
    return _export(db_path, _FINDINGS_SQL, FINDING_KEYS, _finding_row, fmt, out)


def export_posts(db_path: str | Path, fmt: Format, out: TextIO) -> int:
    """Write every stored item, deleted ones included (with `deleted_at`); return the count."""
    if fmt == "csv":
        return _export(db_path, _POSTS_SQL, POST_KEYS + CSV_POST_EXTRAS, _post_csv_row, fmt, out)
    return _export(db_path, _POSTS_SQL, POST_KEYS, _post_row, fmt, out)


def _finding_row(row: tuple[Any, ...]) -> dict[str, Any]:
    values = list(row[: len(FINDING_KEYS)])
    values[7] = _parse_json(values[7])   # citation
    values[10] = _parse_json(values[10])  # evidence
    return dict(zip(FINDING_KEYS, values, strict=True))


def _finding_csv_row(row: tuple[Any, ...]) -> dict[str, Any]:
    record = _finding_row(row)
    record["citation"] = _citation_text(record["citation"])
    record["evidence"] = flat_text(record["evidence"])
    extras = row[len(FINDING_KEYS):]
    return record | dict(zip(CSV_FINDING_EXTRAS, extras, strict=True))


def _post_row(row: tuple[Any, ...]) -> dict[str, Any]:
    values = list(row[: len(POST_KEYS)])
    values[5] = _iso_utc(values[5])
    values[7] = list(values[7])
    values[8] = _iso_utc(values[8])
    return dict(zip(POST_KEYS, values, strict=True))


def _post_csv_row(row: tuple[Any, ...]) -> dict[str, Any]:
    record = _post_row(row)
    record["media"] = "\n".join(str(m.get("url") or "") for m in record["media"])  # one per line
    return record | dict(zip(CSV_POST_EXTRAS, row[len(POST_KEYS):], strict=True))


def _citation_text(citation: Any) -> str:
    """`DEBH-AP, section 3: "quote"`: what a monitor would write in a memo."""
    if not isinstance(citation, dict):
        return flat_text(citation)
    where = ", ".join(str(citation[k]) for k in ("policy", "section") if citation.get(k))
    quote = citation.get("quote")
    rest = {k: v for k, v in citation.items() if k not in ("policy", "section", "quote")}
    text = f'{where}: "{quote}"' if quote else where
    return "; ".join(t for t in (text, flat_text(rest) if rest else "") if t)


def flat_text(value: Any) -> str:
    """A nested value as one readable line: `key: value; key: value`, lists joined by commas."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {flat_text(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, (list, tuple)):
        return ", ".join(flat_text(v) for v in value)
    return str(value)


def _export(
    db_path: str | Path,
    sql: str,
    keys: tuple[str, ...],
    shape: Callable[[tuple[Any, ...]], dict[str, Any]],
    fmt: Format,
    out: TextIO,
) -> int:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"database not found: {path}")
    if fmt == "csv":
        out.write(UTF8_BOM)  # Excel reads a CSV without it as the local code page
    write = _jsonl_writer(out) if fmt == "jsonl" else _csv_writer(out, keys)
    count = 0
    with connect(path, read_only=True) as con:
        cursor = con.execute(sql)
        for row in _rows(cursor):
            write(shape(row))
            count += 1
    return count


def _rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def _jsonl_writer(out: TextIO) -> Callable[[dict[str, Any]], None]:
    def write(record: dict[str, Any]) -> None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")

    return write


def _csv_writer(out: TextIO, keys: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    writer = csv.DictWriter(out, fieldnames=list(keys), lineterminator="\n")
    writer.writeheader()

    def write(record: dict[str, Any]) -> None:
        writer.writerow({key: _cell(value) for key, value in record.items()})

    return write


def _cell(value: Any) -> Any:
    """Nested values become JSON text; null becomes an empty cell; text is made inert."""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return csv_safe(value) if isinstance(value, str) else value


def csv_safe(text: str) -> str:
    """Text a spreadsheet shows as text: no control characters, no formula."""
    text = terminal_safe(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _parse_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # TIMESTAMPTZ always comes back aware; guard against a plain column
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
