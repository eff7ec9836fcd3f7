"""The image step of the nightly audit: analyse each stored media file once (faces, marks,
capture time, perceptual hash, text where it looks like a document) and cache the result in
`media_analysis` by SHA-256. A file shared by many posts is analysed once; a cached row is redone
only when the analyser or the district's registered marks change.

Detectors are imported lazily: the weights load once per process, on the first image.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from hallmonitor.config import DistrictConfig
from warehouse.db import connect, media_dir, stage_keys

STALE_SQL = """
SELECT DISTINCT m.sha256, m.path FROM post_media pm
JOIN media m ON m.sha256 = pm.sha256
LEFT JOIN media_analysis a ON a.sha256 = m.sha256
WHERE pm.post_id IN (SELECT post_id FROM _wanted)
  AND (a.sha256 IS NULL OR a.analyser_version <> ? OR a.marks_key <> ?)
"""


def analyse_media(db_path: Path, config: DistrictConfig, post_ids: list[str], now: datetime) -> int:
    """Analyse the media of these posts that has no current analysis; returns how many."""
    if not post_ids:
        return 0
    from rules.detect.logos import LogoMark, marks_key
    from rules.detect.media_pipeline import ANALYSER_VERSION, Settings, analyse

    marks = [LogoMark.from_path(path) for path in config.logo_paths]
    key = marks_key(marks)
    with connect(db_path, read_only=True) as con:
        stage_keys(con, "_wanted", "post_id", post_ids)
        stale = con.execute(STALE_SQL, [ANALYSER_VERSION, key]).fetchall()
    if not stale:
        return 0
    root = media_dir(db_path)
    settings = Settings()
    results = [_analyse_one(analyse, sha, root / path, marks, settings) for sha, path in stale]
    with connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        for result in results:
            result.marks_key = key
            con.execute(
                "INSERT OR REPLACE INTO media_analysis (sha256, analyser_version, marks_key, ok, "
                "error, phash, exif_time, exif_source, face_count, marks_found, analysis_json, "
                "analysed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    result.sha256,
                    result.analyser_version,
                    key,
                    result.ok,
                    result.error,
                    result.phash,
                    result.exif_time,
                    result.exif_source,
                    len(result.faces),
                    sorted({logo["mark"] for logo in result.logos}),
                    result.to_json(),
                    now,
                ],
            )
        con.execute("COMMIT")
    return len(results)


def _analyse_one(analyse: Any, sha: str, path: Path, marks: list[Any], settings: Any) -> Any:
    """One file's analysis; whatever goes wrong with it is recorded on that file (ok=False,
    error "analyser: ...") so the other files, and the checks, still run (issue 10)."""
    from rules.detect.media_pipeline import MediaAnalysis

    try:
        return analyse(path, marks, settings)
    except Exception as exc:  # noqa: BLE001 - one hostile file must not end the night
        return MediaAnalysis(
            sha256=sha, ok=False, error=f"analyser: {type(exc).__name__}: {str(exc)[:300]}"
        )


def sponsored_phashes(con: duckdb.DuckDBPyConnection, district_id: str) -> frozenset[str]:
    """Perceptual hashes of every image the district's sponsored accounts have posted: an
    employee re-sharing one of these is sharing district content, not misusing a mark."""
    rows = con.execute(
        "SELECT DISTINCT a.phash FROM media_analysis a JOIN post_media pm ON pm.sha256 = a.sha256 "
        "JOIN posts p ON p.post_id = pm.post_id JOIN accounts ac ON ac.district_id = p.district_id "
        "AND ac.account_id = p.account_id WHERE p.district_id = ? AND ac.kind = 'sponsored' "
        "AND a.phash IS NOT NULL",
        [district_id],
    ).fetchall()
    return frozenset(row[0] for row in rows)


def sponsored_images(con: duckdb.DuckDBPyConnection, district_id: str, db_path: Path) -> Any:
    """The district's sponsored images (hash, marks found, file) for the logo check's re-share
    verification (rules.detect.reshare): pixels are compared only for candidates."""
    from rules.detect.reshare import SponsoredImage, SponsoredImages

    rows = con.execute(
        "SELECT DISTINCT a.sha256, a.phash, a.marks_found, m.path FROM media_analysis a "
        "JOIN media m ON m.sha256 = a.sha256 JOIN post_media pm ON pm.sha256 = a.sha256 "
        "JOIN posts p ON p.post_id = pm.post_id JOIN accounts ac ON ac.district_id = p.district_id "
        "AND ac.account_id = p.account_id WHERE p.district_id = ? AND ac.kind = 'sponsored' "
        "AND a.ok",
        [district_id],
    ).fetchall()
    root = media_dir(db_path)
    images = [
        SponsoredImage(sha, phash, frozenset(marks or []), root / path)
        for sha, phash, marks, path in rows
    ]
    return SponsoredImages(images, root)


def image_text_targets(targets: list[Any]) -> list[Any]:
    """One extra target per analysed image that carries text (OCR), so the text checks read
    what is written inside pictures: a gradebook screenshot, a memo stamped CONFIDENTIAL."""
    from dataclasses import replace

    extra_targets = []
    for target in targets:
        for media in target.media:
            analysis = media.get("analysis") or {}
            text = (analysis.get("ocr_text") or "").strip()
            if text:
                extra = {
                    **target.extra,
                    "text_source": "image",
                    "media_sha256": media.get("sha256"),
                    "media_url": media.get("url"),
                }
                extra_targets.append(replace(target, text=text, media=[], extra=extra))
    return extra_targets
