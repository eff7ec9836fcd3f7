"""The image step of the nightly audit: analyse each stored media file once (faces, marks,
capture time, perceptual hash, text where it looks like a document) and cache the result in
`media_analysis` by SHA-256. A file shared by many posts is analysed once; a cached row is redone
only when the analyser or the district's registered marks change.

Detectors are imported lazily: the weights load once per process, on the first image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from hallmonitor.config import DistrictConfig
from warehouse.db import connect, media_dir, stage_keys

if TYPE_CHECKING:
    from rules.detect.media_pipeline import MediaAnalysis

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
    from rules.detect.media_pipeline import ANALYSER_VERSION

    key, analyse_file = media_analyser(config)
    with connect(db_path, read_only=True) as con:
        stage_keys(con, "_wanted", "post_id", post_ids)
        stale = con.execute(STALE_SQL, [ANALYSER_VERSION, key]).fetchall()
    if not stale:
        return 0
    root = media_dir(db_path)
    results = [analyse_file(root / path) for _, path in stale]
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


def media_analyser(config: DistrictConfig) -> tuple[str, Callable[[Path], MediaAnalysis]]:
    """The key of the district's registered marks and a function analysing one file with them
    and the production settings: the one way an image is analysed, for the audit and for
    `hallmonitor eval` alike."""
    from rules.detect.logos import LogoMark, marks_key
    from rules.detect.media_pipeline import Settings, analyse

    marks = [LogoMark.from_path(path) for path in config.logo_paths]
    settings = Settings()
    return marks_key(marks), lambda path: analyse(path, marks, settings)


def sponsored_phashes_of(targets: Iterable[Any]) -> frozenset[str]:
    """`sponsored_phashes` from targets already carrying their analyses (the evaluator's case,
    where there is no warehouse): the hashes of every image a sponsored account posted."""
    return frozenset(
        phash
        for target in targets
        if target.account.kind == "sponsored"
        for media in target.media
        if (phash := (media.get("analysis") or {}).get("phash"))
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
