"""Analyse one stored media file once: decode safely, hash, find faces, marks and (where it can
matter) text. The result is a JSON-serialisable `MediaAnalysis`, cached in the warehouse table
`media_analysis` keyed by the file's SHA-256 (migration 0002).

How the flow uses it::

    marks = [LogoMark.from_path(p) for p in config.logo_paths]
    analysis = analyse(media_dir(db) / row.path, marks, Settings())
    # store: media_analysis(sha256, analyser_version, marks_key, ok, phash, ...,
    #        analysis_json=analysis.to_json(), analysed_at); reuse a row when its
    #        analyser_version == ANALYSER_VERSION and marks_key == marks_key(marks).
    target.media[i]["analysis"] = analysis.to_dict()   # what the image checks read

A file that cannot be decoded gives `ok=False` and `error="<reason>: <message>"` (reasons:
too_large, bomb, corrupt, degenerate: a 1x1 tracking pixel or a 1xN strip is refused before any
detector sees it), never an exception. Each detector stage is isolated too: a stage that raises
is recorded in `stage_errors` ({stage: "Type: message"}) and the other stages still run, so one
hostile image can cost its own evidence but never the night. Boxes are in the coordinates of the
full, EXIF-oriented image.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from rules.detect.faces import Face, FaceDetector
from rules.detect.figures import Figure, FigureDetector
from rules.detect.images import DecodedImage, DecodeError, Limits, decode, phash
from rules.detect.logos import LogoDetector, LogoHit, LogoMark, marks_key
from rules.detect.ocr import OcrEngine, PageLook, page_look

# Bump when a detector, a threshold or the shape of MediaAnalysis changes: cached rows are redone.
ANALYSER_VERSION = "images-12"
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    limits: Limits = field(default_factory=Limits)
    face_threshold: float = 0.7
    face_net_side: int = 448
    logo_min_score: float = 0.62
    ocr: str = "auto"  # auto: only images that may carry text | always | never
    document_threshold: float = 0.5  # at or above: the image *is* a page (unless it shows faces)
    # Without faces, OCR reads from well below the document line: a page photographed at an
    # angle, in shadow or cut by the frame scores 0.15-0.3 (one such memo, 0.17, was never read
    # at 0.5). Measured on the dev data: about 1 faceless photo in 20 scores in [0.15, 0.5).
    # With faces, only from the document line (a whiteboard behind a class): OCR is ~1 s a page
    # and group photos are the bulk of a feed (benchmarks/images.py).
    ocr_threshold: float = 0.15
    min_smooth: float = 0.6  # below the document line, the share of its light ground (_wants_ocr)
    # People without a detectable face (rules.detect.figures): looked for only on pictures that
    # are not pages and where the face detector found nobody.
    figures: bool = True
    # Marks worn by people (a crest on a shirt, a jersey, a cap) are 25-50 px in a 900-px photo,
    # below the smallest scale the whole-image pass matches (the template is 240 px; ORB's
    # pyramid spans about 5x). Where that pass found no mark on a picture of people, the chest
    # under each of the `people_marks` largest heads is cut out and enlarged (to `people_side`
    # px, at most 4x) before matching (rules.detect.logos.LogoDetector.detect_regions).
    people_marks: int = 3
    page_face_score: float = 0.9
    people_side: int = 600
    threads: int = 1  # per process; run one process per core for throughput


@dataclass
class MediaAnalysis:
    sha256: str
    ok: bool
    error: str | None = None
    width: int = 0
    height: int = 0
    orientation: int = 1
    exif_time: str | None = None  # ISO 8601; naive when the camera wrote no offset
    exif_source: str | None = None
    phash: str | None = None
    faces: list[dict[str, Any]] = field(default_factory=list)  # {box: [x,y,w,h], score}
    # Head-and-shoulders outlines where no face was found: {box: [x,y,w,h], score}
    figures: list[dict[str, Any]] = field(default_factory=list)
    # {mark, box, quad, score, inliers, chroma, found_in: image | tiles}
    logos: list[dict[str, Any]] = field(default_factory=list)
    document_score: float = 0.0
    ocr_run: bool = False
    ocr_text: str = ""
    ocr_spans: list[dict[str, Any]] = field(default_factory=list)  # {start, end, text, box, score}
    detectors: dict[str, str] = field(default_factory=dict)
    stage_errors: dict[str, str] = field(default_factory=dict)  # {stage: "Type: message"}
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    analyser_version: str = ANALYSER_VERSION
    marks_key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaAnalysis:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _faces(threshold: float, net_side: int, threads: int) -> FaceDetector:
    import cv2

    cv2.setNumThreads(threads)
    return FaceDetector(threshold=threshold, net_side=net_side)


@lru_cache(maxsize=2)
def _figures(threads: int) -> FigureDetector:
    import cv2

    cv2.setNumThreads(threads)
    return FigureDetector()


@lru_cache(maxsize=8)
def _logos(marks: tuple[LogoMark, ...], min_score: float) -> LogoDetector:
    return LogoDetector(list(marks), min_score=min_score)


@lru_cache(maxsize=2)
def _ocr(threads: int) -> OcrEngine:
    return OcrEngine(threads=threads)


def _timed(timings: dict[str, float], stage: str, work: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = work()
    timings[stage] = round((time.perf_counter() - start) * 1000, 1)
    return result


def _isolated(result: MediaAnalysis, stage: str, work: Callable[[], T], fallback: T) -> T:
    """Run one detector stage; an exception becomes `stage_errors[stage]` and the fallback.
    Any exception, on purpose: OpenCV and onnxruntime raise their own error types on inputs
    nobody foresaw, and one image must never end the run (issue 10)."""
    try:
        return _timed(result.timings, stage, work)
    except Exception as exc:  # noqa: BLE001 - recorded per item, see the docstring
        result.stage_errors[stage] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return fallback


def analyse(path: Path, marks: list[LogoMark], settings: Settings | None = None) -> MediaAnalysis:
    settings = settings or Settings()
    timings: dict[str, float] = {}
    result = MediaAnalysis(
        sha256=sha256_file(path),
        ok=False,
        timings=timings,
        marks_key=marks_key(marks) if marks else "",
    )
    try:
        image: DecodedImage = _timed(timings, "decode", lambda: decode(path, settings.limits))
    except DecodeError as exc:
        result.error = f"{exc.reason}: {exc}"
        return result
    result.ok = True
    result.width, result.height, result.orientation = image.width, image.height, image.orientation
    result.exif_time, result.exif_source = image.exif_time, image.exif_source
    result.phash = _isolated(result, "phash", lambda: phash(image.rgb), None)
    scale = image.scale
    no_hits: list[LogoHit] = []
    no_faces: list[Face] = []
    faces = _isolated(result, "faces", lambda: _detect_faces(image.rgb, settings), no_faces)
    result.faces = [{"box": _scaled(f.box, scale), "score": f.score} for f in faces]
    result.detectors["faces"] = FaceDetector.name
    if marks:
        hits = _isolated(
            result,
            "logos",
            lambda: _logos(tuple(marks), settings.logo_min_score).detect(image.rgb),
            no_hits,
        )
        result.logos = [_logo_dict(h, scale, "image") for h in hits]
        result.detectors["logos"] = LogoDetector.name
    look = _isolated(
        result, "document", lambda: page_look(image.rgb, slanted=not result.faces), PageLook(0.0)
    )
    result.document_score = round(look.score, 3)
    people_stages(result, image.rgb, scale, marks, settings)
    if marks and not result.logos and result.document_score >= settings.document_threshold:
        # A page: its letterhead's mark is too small against the page for the whole-image pass.
        tiled = _isolated(
            result,
            "logo_tiles",
            lambda: _logos(tuple(marks), settings.logo_min_score).detect_tiles(image.rgb),
            no_hits,
        )
        result.logos = [_logo_dict(h, scale, "tiles") for h in tiled]
    if _wants_ocr(settings, look, bool(result.faces)):
        _isolated(
            result,
            "ocr",
            lambda: _read_text(result, image.rgb, scale, settings, look.glyph_px),
            None,
        )
    return result


def people_stages(
    result: MediaAnalysis,
    rgb: np.ndarray,
    scale: float,
    marks: list[LogoMark],
    settings: Settings,
) -> None:
    """Figures where no face was found, then marks worn by the people pictured.

    Figures wherever no face was found, pages included: a class in front of a whiteboard
    scores like a page (the check reads a figure only beside a named student or a consent
    gap); worn marks on any picture with people. Public so that a cached analysis can be
    completed by these stages alone."""
    page = result.document_score >= settings.document_threshold
    no_figures: list[Figure] = []
    figures = no_figures
    if settings.figures and not result.faces:
        figures = _isolated(
            result, "figures", lambda: _figures(settings.threads).detect(rgb), no_figures
        )
        result.figures = [{"box": _scaled(f.box, scale), "score": f.score} for f in figures]
        result.detectors["figures"] = FigureDetector.name
    if not marks or result.logos or settings.people_marks <= 0:
        return
    # On a page only a confident face is a person (seals and clip art score 0.70-0.87 there).
    heads: list[tuple[int, ...]] = [
        tuple(round(v / scale) for v in f["box"])
        for f in result.faces
        if not page or f["score"] >= settings.page_face_score
    ]
    bodies: list[tuple[int, ...]] = [f.box for f in figures]
    regions = _worn_regions(heads, bodies, rgb.shape, settings.people_marks)
    if not regions:
        return
    detector = _logos(tuple(marks), settings.logo_min_score)
    no_hits: list[LogoHit] = []
    worn = _isolated(
        result,
        "logo_people",
        lambda: detector.detect_regions(rgb, regions, settings.people_side),
        no_hits,
    )
    result.logos = [_logo_dict(h, scale, "people") for h in worn]


def _worn_regions(
    heads: Sequence[tuple[int, ...]],
    bodies: Sequence[tuple[int, ...]],
    shape: tuple[int, ...],
    count: int,
) -> list[tuple[int, int, int, int]]:
    """Where a mark worn by each of the `count` largest people would be. Under a face: the
    chest, from just under the chin, half a head-width either side, some two and a half
    head-heights down (a tight region is enlarged more: a 15-30 px crest needs it). On a
    head-and-shoulders figure: its middle half across, from half-way down for four fifths of
    its height (the outline's box is wide: shoulders and the air around them)."""
    height, width = shape[:2]
    boxes = [
        (x - w // 2, y + 4 * h // 5, x + 3 * w // 2, y + 16 * h // 5, w * h) for x, y, w, h in heads
    ] + [
        (x + w // 4, y + h // 2, x + 3 * w // 4, y + h // 2 + 4 * h // 5, w * h // 4)
        for x, y, w, h in bodies
    ]
    regions = []
    for x0, y0, x1, y1, _ in sorted(boxes, key=lambda b: -b[4])[:count]:
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
        if x1 - x0 >= 16 and y1 - y0 >= 16:
            regions.append((x0, y0, x1 - x0, y1 - y0))
    return regions


def _detect_faces(rgb: np.ndarray, settings: Settings) -> list[Face]:
    detector = _faces(settings.face_threshold, settings.face_net_side, settings.threads)
    return detector.detect(rgb)


def _wants_ocr(settings: Settings, look: PageLook, faces: bool) -> bool:
    """Whether to read the text (see `Settings.ocr_threshold`). Below the document line the
    light ground must also be smooth (`Settings.min_smooth`): pale gravel or sand is light and
    grey, and its stones join into runs that look like a line or two of text, so a mark
    photographed on it was read at a second's cost and gave only the mark's own lettering
    (benchmarks/images.py: 2 pictures in 60). Paper, walls and screens are smooth (0.85 or more
    on every such dev picture, gravel 0.3)."""
    if settings.ocr == "always":
        return True
    line = settings.document_threshold if faces else settings.ocr_threshold
    if settings.ocr != "auto" or look.score < line:
        return False
    return look.score >= settings.document_threshold or look.smooth >= settings.min_smooth


def _read_text(
    result: MediaAnalysis, rgb: np.ndarray, scale: float, settings: Settings, glyph_px: float
) -> None:
    engine = _ocr(settings.threads)
    text = engine.read(rgb, glyph_px)
    result.ocr_run = True
    result.ocr_text = text.text
    result.ocr_spans = [
        {
            "start": line.start,
            "end": line.end,
            "text": line.text,
            "box": _scaled(line.box, scale),
            "score": line.score,
        }
        for line in text.lines
    ]
    result.detectors["ocr"] = engine.name


def _logo_dict(hit: LogoHit, scale: float, found_in: str) -> dict[str, Any]:
    """A mark as the checks read it; `found_in` says which pass found it (image | tiles)."""
    return {
        "mark": hit.mark,
        "box": _scaled(hit.box, scale),
        "quad": [_scaled(p, scale) for p in hit.quad],
        "score": hit.score,
        "inliers": hit.inliers,
        "chroma": hit.chroma,
        "found_in": found_in,
    }


def _scaled(values: tuple[int, ...], scale: float) -> list[int]:
    return [round(v * scale) for v in values]
