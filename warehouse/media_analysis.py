"""The `media_analysis` table: one row per image (by SHA-256) with what the image step found in
it, and the reads the image checks make of it (which images the district's sponsored accounts
posted: a re-share of one of those is district content, not a misused mark). What is still to be
analysed is warehouse.pending's question.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from warehouse.db import insert_sql

ANALYSIS_COLUMNS = (
    "sha256",
    "analyser_version",
    "marks_key",
    "ok",
    "error",
    "phash",
    "exif_time",
    "exif_source",
    "face_count",
    "marks_found",
    "analysis_json",
    "analysed_at",
)


def store_analysis(
    con: duckdb.DuckDBPyConnection, values: dict[str, Any], analysed_at: datetime
) -> None:
    """Insert or replace one image's analysis; `values` holds every column but `analysed_at`."""
    row = {**values, "analysed_at": analysed_at}
    con.execute(
        insert_sql(
            "media_analysis",
            ANALYSIS_COLUMNS,
            "ON CONFLICT (sha256) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in ANALYSIS_COLUMNS[1:]),
        ),
        [row[c] for c in ANALYSIS_COLUMNS],
    )


_SPONSORED = (
    "JOIN post_media pm ON pm.sha256 = a.sha256 JOIN posts p ON p.post_id = pm.post_id "
    "JOIN accounts ac ON ac.district_id = p.district_id AND ac.account_id = p.account_id "
    "WHERE p.district_id = ? AND ac.kind = 'sponsored'"
)


def sponsored_phashes(con: duckdb.DuckDBPyConnection, district_id: str) -> frozenset[str]:
    """Perceptual hashes of every image the district's sponsored accounts have posted."""
    rows = con.execute(
        f"SELECT DISTINCT a.phash FROM media_analysis a {_SPONSORED} AND a.phash IS NOT NULL",
        [district_id],
    ).fetchall()
    return frozenset(row[0] for row in rows)


def sponsored_image_rows(
    con: duckdb.DuckDBPyConnection, district_id: str
) -> list[tuple[str, str | None, list[str] | None, str]]:
    """(sha256, phash, marks found, stored path) of every analysed image a sponsored account
    posted."""
    return con.execute(
        "SELECT DISTINCT a.sha256, a.phash, a.marks_found, m.path FROM media_analysis a "
        f"JOIN media m ON m.sha256 = a.sha256 {_SPONSORED} AND a.ok",
        [district_id],
    ).fetchall()
