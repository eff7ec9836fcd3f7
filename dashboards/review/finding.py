"""Everything the finding page shows, read from the snapshot in a handful of queries.

The post text is split into plain and highlighted segments here; the template escapes every
segment, so hostile markup in a post is shown as text and never becomes HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb


@dataclass
class Segment:
    text: str
    label: str | None = None  # set: a span of evidence, highlighted


@dataclass
class Image:
    sha256: str
    url: str
    alt: str | None
    width: int
    height: int
    boxes: list[dict[str, Any]]  # {x, y, w, h, label}
    ocr_text: str
    ocr_segments: list[Segment] = field(default_factory=list)


@dataclass
class Version:
    version: int
    text: str
    title: str | None
    captured_at: datetime
    edited_at: datetime | None
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Detail:
    finding: dict[str, Any]
    citation: dict[str, Any]
    evidence: dict[str, Any]
    post: dict[str, Any] | None
    versions: list[Version]
    images: list[Image]
    history: list[dict[str, Any]]  # earlier findings of the account, newest first
    reviews: list[dict[str, Any]]  # decisions on this finding, oldest first
    account_reviews: list[dict[str, Any]]  # decisions on the account's other findings


FINDING_COLUMNS = (
    "finding_id, district_id, account_id, post_id, post_version, subject, check_name, rule_id, "
    "clause_id, citation_json, level, severity, category, summary, evidence_json, pack_id, "
    "pack_version, status, status_reason, first_seen, last_seen"
)


def load_finding(con: duckdb.DuckDBPyConnection, finding_id: str) -> dict[str, Any] | None:
    row = con.execute(
        f"SELECT {FINDING_COLUMNS} FROM findings WHERE finding_id = ?", [finding_id]
    ).fetchone()
    if row is None:
        return None
    names = [c.strip() for c in FINDING_COLUMNS.split(",")]
    return dict(zip(names, row, strict=True))


def segments(text: str, spans: list[dict[str, Any]]) -> list[Segment]:
    """Split `text` at the evidence spans (overlaps merged, out-of-range spans ignored)."""
    ordered = sorted(
        (int(s["start"]), int(s["end"]), str(s.get("label") or "evidence"))
        for s in spans
        if isinstance(s, dict) and "start" in s and "end" in s
    )
    out: list[Segment] = []
    cursor = 0
    for start, end, label in ordered:
        start, end = max(start, cursor), min(end, len(text))
        if start >= end:
            continue
        if start > cursor:
            out.append(Segment(text[cursor:start]))
        out.append(Segment(text[start:end], label))
        cursor = end
    if cursor < len(text) or not out:
        out.append(Segment(text[cursor:]))
    return out


def load_detail(con: duckdb.DuckDBPyConnection, finding: dict[str, Any]) -> Detail:
    evidence = json.loads(finding["evidence_json"] or "{}")
    citation = json.loads(finding["citation_json"] or "{}")
    post = None
    versions: list[Version] = []
    images: list[Image] = []
    # Spans index the text the check read: the post's, or the OCR text of one of its images.
    spans = evidence.get("spans") or []
    in_image = evidence.get("text_source") == "image"
    if finding["post_id"]:
        post = _post(con, finding["post_id"])
        versions = _versions(
            con, finding["post_id"], finding["post_version"], [] if in_image else spans
        )
        images = _images(con, finding["post_id"], evidence)
        for image in images:
            marked = in_image and image.sha256 == evidence.get("media_sha256")
            image.ocr_segments = segments(image.ocr_text, spans if marked else [])
    history = _history(con, finding)
    reviews = _rows(
        con,
        "SELECT disposition, reviewer, note, decided_at FROM reviews WHERE finding_id = ? "
        "ORDER BY decided_at, review_id",
        [finding["finding_id"]],
    )
    account_reviews = _rows(
        con,
        "SELECT r.finding_id, f.check_name, r.disposition, r.reviewer, r.decided_at "
        "FROM reviews r JOIN findings f USING (finding_id) WHERE f.account_id = ? "
        "AND f.district_id = ? AND r.finding_id <> ? ORDER BY r.decided_at DESC LIMIT 20",
        [finding["account_id"], finding["district_id"], finding["finding_id"]],
    )
    return Detail(
        finding, citation, evidence, post, versions, images, history, reviews, account_reviews
    )


def _rows(con: duckdb.DuckDBPyConnection, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _post(con: duckdb.DuckDBPyConnection, post_id: str) -> dict[str, Any] | None:
    rows = _rows(
        con,
        "SELECT post_id, platform, kind, permalink, author, published_at, edited_at, title, "
        "text, current_version, deleted_at FROM posts WHERE post_id = ?",
        [post_id],
    )
    return rows[0] if rows else None


def _versions(
    con: duckdb.DuckDBPyConnection, post_id: str, flagged: int | None, spans: list[Any]
) -> list[Version]:
    rows = con.execute(
        "SELECT version, text, title, captured_at, edited_at FROM post_versions "
        "WHERE post_id = ? ORDER BY version",
        [post_id],
    ).fetchall()
    found = []
    for version, text, title, captured, edited in rows:
        item = Version(version, text or "", title, captured, edited)
        # Spans index the text of the version the check read; other versions are shown plain.
        item.segments = segments(item.text, spans if version == flagged else [])
        found.append(item)
    return found


def _images(con: duckdb.DuckDBPyConnection, post_id: str, evidence: dict[str, Any]) -> list[Image]:
    rows = con.execute(
        "SELECT pm.sha256, pm.url, pm.alt, a.analysis_json FROM post_media pm "
        "JOIN media m ON m.sha256 = pm.sha256 "
        "LEFT JOIN media_analysis a ON a.sha256 = pm.sha256 "
        "WHERE pm.post_id = ? ORDER BY pm.position",
        [post_id],
    ).fetchall()
    flagged = _evidence_boxes(evidence)
    images = []
    for sha, url, alt, analysis_json in rows:
        analysis = json.loads(analysis_json) if analysis_json else {}
        boxes = [_box(f["box"], f"face {f.get('score', '')}") for f in analysis.get("faces", [])]
        boxes += [  # people the face detector could not see (rules.detect.figures)
            _box(f["box"], f"person, no face found {f.get('score', '')}")
            for f in analysis.get("figures", [])
        ]
        boxes += [_box(m["box"], f"mark: {m.get('mark', '')}") for m in analysis.get("logos", [])]
        boxes += flagged.get(sha, [])
        images.append(
            Image(
                sha,
                url,
                alt,
                int(analysis.get("width") or 0),
                int(analysis.get("height") or 0),
                [b for b in boxes if b],
                analysis.get("ocr_text") or "",
            )
        )
    return images


def _box(box: Any, label: str) -> dict[str, Any]:
    if not isinstance(box, list | tuple) or len(box) != 4:
        return {}
    x, y, w, h = (float(v) for v in box)
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def _evidence_boxes(evidence: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Boxes the check itself cited (OCR lines with a name, a mark), by image."""
    details = evidence.get("details") or {}
    found: dict[str, list[dict[str, Any]]] = {}
    if isinstance(details, dict) and details.get("sha256") and details.get("box"):
        found.setdefault(details["sha256"], []).append(_box(details["box"], "evidence"))
    for key in ("images", "ocr"):
        for item in details.get(key, []) if isinstance(details, dict) else []:
            if isinstance(item, dict) and item.get("sha256") and item.get("box"):
                found.setdefault(item["sha256"], []).append(_box(item["box"], "evidence"))
    return found


def _history(con: duckdb.DuckDBPyConnection, finding: dict[str, Any]) -> list[dict[str, Any]]:
    return _rows(
        con,
        "SELECT finding_id, check_name, level, severity, status, status_reason, first_seen "
        "FROM findings WHERE district_id = ? AND account_id = ? AND finding_id <> ? "
        "ORDER BY first_seen DESC LIMIT 20",
        [finding["district_id"], finding["account_id"], finding["finding_id"]],
    )


def media_path(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    row = con.execute("SELECT path FROM media WHERE sha256 = ?", [sha256]).fetchone()
    return str(row[0]) if row else None
