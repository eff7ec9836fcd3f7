"""The image step: analyse every stored media file that has no current analysis (faces, marks,
capture time, perceptual hash, text where it looks like a document) and cache the result in
`media_analysis` by SHA-256. A file shared by many posts is analysed once; a cached row is redone
only when the analyser or the district's registered marks change.

What is pending is read from the warehouse (warehouse.pending), not from what this run fetched:
media that a killed or failed run stored but never analysed is analysed by the next run (or by
`recheck`). Each result is written as soon as it is ready, so a kill loses at most one image's
work. An image whose analysis raises is recorded in `item_errors` and skipped; it stays pending
and is tried again next run.

Detectors are imported lazily: the weights load once per process, on the first image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from flows.checkpoints import checkpoint
from flows.failures import error_text
from hallmonitor.config import DistrictConfig
from warehouse.db import connect, media_dir
from warehouse.media_analysis import sponsored_image_rows, store_analysis
from warehouse.media_analysis import sponsored_phashes as stored_sponsored_phashes
from warehouse.pending import pending_media
from warehouse.runs import ItemError, record_item_errors, resolve_item_errors

if TYPE_CHECKING:
    from rules.detect.media_pipeline import MediaAnalysis

@dataclass
class ImagingStats:
    analysed: int = 0
    failed: int = 0  # raised: recorded in item_errors, tried again next run


def analyse_pending(
    db_path: Path, config: DistrictConfig, run_id: str, now: datetime
) -> ImagingStats:
    """Analyse the district's media that has no current analysis; see the module docstring."""
    from rules.detect.media_pipeline import ANALYSER_VERSION

    district_id = config.district.id
    key, analyse_file = media_analyser(config)
    with connect(db_path, read_only=True) as con:
        pending = pending_media(con, district_id, ANALYSER_VERSION, key)
    root = media_dir(db_path)
    stats = ImagingStats()
    for sha, path in pending:
        try:
            result = analyse_file(root / path)
        except Exception as exc:  # noqa: BLE001 - one image must not end the night: recorded, retried
            stats.failed += 1
            error = ItemError(
                "analyse", "media", sha, None, type(exc).__name__, error_text(exc, config)
            )
            with connect(db_path) as con:
                record_item_errors(con, run_id, district_id, [error], now)
            continue
        with connect(db_path) as con:
            con.execute("BEGIN TRANSACTION")
            _store(con, result, key, now)
            resolve_item_errors(con, district_id, "analyse", [sha], now)
            con.execute("COMMIT")
        stats.analysed += 1
        if stats.analysed == 1:
            checkpoint("imaging")
    return stats


def _store(con: duckdb.DuckDBPyConnection, result: Any, key: str, now: datetime) -> None:
    result.marks_key = key
    store_analysis(
        con,
        {
            "sha256": result.sha256,
            "analyser_version": result.analyser_version,
            "marks_key": key,
            "ok": result.ok,
            "error": result.error,
            "phash": result.phash,
            "exif_time": result.exif_time,
            "exif_source": result.exif_source,
            "face_count": len(result.faces),
            "marks_found": sorted({logo["mark"] for logo in result.logos}),
            "analysis_json": result.to_json(),
        },
        now,
    )


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


def sponsored_images_of(targets: Iterable[Any]) -> Any:
    """`sponsored_images` from targets already carrying their analyses and absolute file paths
    (the evaluator's case, where there is no warehouse)."""
    from rules.detect.reshare import SponsoredImage, SponsoredImages

    images = [
        SponsoredImage(
            analysis["sha256"],
            analysis.get("phash"),
            frozenset(logo["mark"] for logo in analysis.get("logos", [])),
            Path(media["path"]).resolve(),  # read from the root below
        )
        for target in targets
        if target.account.kind == "sponsored"
        for media in target.media
        if (analysis := media.get("analysis") or {}).get("ok", True)
        and analysis.get("sha256")
        and media.get("path")
    ]
    return SponsoredImages(images, Path("/"))


def sponsored_phashes(con: duckdb.DuckDBPyConnection, district_id: str) -> frozenset[str]:
    """Perceptual hashes of every image the district's sponsored accounts have posted: an
    employee re-sharing one of these is sharing district content, not misusing a mark."""
    return stored_sponsored_phashes(con, district_id)


def sponsored_images(con: duckdb.DuckDBPyConnection, district_id: str, db_path: Path) -> Any:
    """The district's sponsored images (hash, marks found, file) for the logo check's re-share
    verification (rules.detect.reshare): pixels are compared only for candidates."""
    from rules.detect.reshare import SponsoredImage, SponsoredImages

    rows = sponsored_image_rows(con, district_id)
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
