"""Text inside images, with RapidOCR (PP-OCR detection, direction and recognition models as ONNX,
run by onnxruntime). The three .onnx files ship inside the `rapidocr` wheel (rapidocr/models/); with
no `model_root_dir` nor a download configured it loads them from there and never goes online.

OCR costs about half a second an image on one core, so the pipeline runs it only where text can
matter: `document_score` says how much an image looks like a page or a screenshot (large, light,
unsaturated background with many small dark strokes) and OCR runs above a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: tuple[int, int, int, int]  # x, y, w, h in the coordinates of the image given
    score: float
    start: int  # [start, end) of this line inside OcrResult.text
    end: int


@dataclass
class OcrResult:
    text: str = ""
    lines: list[OcrLine] = field(default_factory=list)


@dataclass(frozen=True)
class PageLook:
    """What `page_look` measured: the document score, and how tall the text's small glyphs are
    (`glyph_px`, in pixels of the image given: the lower quartile of the glyph heights in its
    lines of text; 0 where no line was found). The OCR stage reads `glyph_px` to choose the
    resolution its text detector runs at (`detector_limits`)."""

    score: float
    glyph_px: float = 0.0
    # Share of the light, unsaturated ground that is smooth (paper, a wall, a screen: ~0.9 and
    # more on every such dev picture) rather than textured (pale gravel, sand, a knit: ~0.3).
    smooth: float = 0.0


def document_score(rgb: np.ndarray, slanted: bool = True) -> float:
    """0..1: how much the image looks like a document (page, screenshot, stamped memo, plan);
    see `page_look`."""
    return page_look(rgb, slanted).score


def page_look(rgb: np.ndarray, slanted: bool = True) -> PageLook:
    """How much the image looks like a document, the size of its text, and how smooth its
    light ground is.

    Two cues, both needed: a large light, unsaturated ground (paper, a white UI), and lines of
    text on it: small dark marks of glyph size (black-hat at 512 px width) that, joined
    horizontally, form long thin runs. Faces, textures and scenes give blobs, not runs.

    Where there is paper but not one line at 512 px, the lines are looked for once more at up to
    640 px (and count only if there are at least three): a wide photo of a log sheet on a desk
    shrinks its 9-point rows to 3-4 px at 512 and scored 0 (issue 14, "documents photographed
    at an angle"). Only images with paper and no line pay for that second look; on the dev
    corpus it changed one image of 844 (that log sheet)."""
    width = 512
    if min(rgb.shape[:2]) < 8 or rgb.shape[1] > 64 * rgb.shape[0]:
        return PageLook(0.0)  # degenerate: no page
    small = _resized(rgb, width)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    light = (hsv[..., 2] > 170) & (hsv[..., 1] < 50)
    paper = float(light.mean())
    if paper < 0.2:
        return PageLook(0.0)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    lines, heights = _lines(gray)
    scale = rgb.shape[1] / width  # from the 512-px look to the image given
    calm = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) < 24
    smooth = float((light & calm).mean()) / paper
    if lines == 0 and rgb.shape[1] > width:
        finer_rgb = _resized(rgb, min(rgb.shape[1], 640))
        finer, finer_heights = _lines(cv2.cvtColor(finer_rgb, cv2.COLOR_RGB2GRAY))
        # Only a page's worth of lines counts at the finer scale: a white classroom wall shows a
        # line or two of a poster there (benchmarks/images.py), a log sheet shows six.
        if finer >= 3:
            lines, heights = finer, finer_heights
            scale = rgb.shape[1] / finer_rgb.shape[1]
    if lines == 0 and slanted:  # the caller passes False for photos of faces: never pages
        lines, heights = _slanted_lines(gray)
    score = round(min(1.0, paper / 0.6) * min(1.0, lines / 3), 3)
    glyph = float(np.percentile(heights, 25)) * scale if lines and len(heights) else 0.0
    return PageLook(score, round(glyph, 1), round(smooth, 3))


SLANTS = (-25.0, -15.0, 15.0, 25.0)  # degrees a photographed page is turned, looked for


def _slanted_lines(gray: np.ndarray) -> tuple[int, np.ndarray]:
    """Lines of a page photographed turned by 10-30 degrees: its rows are diagonal runs, which
    the horizontal joining does not join (issue 14: memos, incident reports and board packets
    on a desk scored 0 and were never read). The image is turned back by a few angles; a
    page's worth of lines (three or more) at one of them counts. Only images with paper and no
    line pay for this (four more passes of the line finder at 512 px)."""
    height, width = gray.shape
    best, best_heights = 0, np.zeros(0)
    for angle in SLANTS:
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        turned = cv2.warpAffine(gray, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
        count, heights = _lines(turned)
        if count > best:
            best, best_heights = count, heights
    return (best, best_heights) if best >= 3 else (0, np.zeros(0))


def _resized(rgb: np.ndarray, width: int) -> np.ndarray:
    height = max(1, round(width * rgb.shape[0] / rgb.shape[1]))
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def _lines(gray: np.ndarray) -> tuple[int, np.ndarray]:
    """The lines of text of a page (long thin runs of glyph-sized dark marks), and the heights
    of the glyphs they are made of."""
    ink = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, np.ones((9, 9), np.uint8)) > 50
    _, labels, stats, centres = cv2.connectedComponentsWithStats(
        ink.astype(np.uint8), connectivity=8
    )
    glyph_heights, widths = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    glyph = (glyph_heights >= 4) & (glyph_heights <= 28) & (widths <= 40)
    glyph[0] = False  # the background label
    runs = cv2.dilate(glyph[labels].astype(np.uint8), np.ones((1, 9), np.uint8))
    count, run_labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    # A line of text is a long, thin run made of several glyphs; hair or a desk edge is not.
    xs, ys = centres[glyph].round().astype(int).T
    run_of = run_labels[ys.clip(0, runs.shape[0] - 1), xs.clip(0, runs.shape[1] - 1)]
    per_run = np.bincount(run_of, minlength=count)
    heights, widths = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    line = (widths >= 40) & (widths >= 3 * heights) & (heights <= 30) & (per_run >= 5)
    line[0] = False
    return int(line.sum()), glyph_heights[glyph][line[run_of]]


# The text detector (PP-OCR's DB net) is given the image at the resolution at which the text's
# small glyphs are at least DETECTOR_GLYPH_PX tall, never more than RapidOCR's own default
# (shorter side brought up to 736 px) and never under DETECTOR_MIN_SIDE on the longer side.
# Its cost grows with the pixels it sees (1104x736 for a 1024x683 page: ~350 ms on one core)
# while recognition reads each line from the full image whatever the detector's resolution, so
# a page of large type needs no upscaling, and is read as well at two thirds of the size.
DETECTOR_GLYPH_PX = 10.0
DETECTOR_MIN_SIDE = 640
DETECTOR_DEFAULT = ("min", 736)


def detector_limits(shape: tuple[int, ...], glyph_px: float) -> tuple[str, int]:
    """RapidOCR's (Det.limit_type, Det.limit_side_len) for an image of `shape` whose small
    glyphs are `glyph_px` tall (0: unknown, the library's default)."""
    height, width = shape[:2]
    default = max(1.0, DETECTOR_DEFAULT[1] / min(height, width))
    if glyph_px <= 0:
        return DETECTOR_DEFAULT
    factor = max(DETECTOR_GLYPH_PX / glyph_px, DETECTOR_MIN_SIDE / max(height, width))
    if factor >= default:
        return DETECTOR_DEFAULT
    if factor >= 1.0:
        return ("min", round(min(height, width) * factor))
    return ("max", round(max(height, width) * factor))


class OcrEngine:
    name = "rapidocr-ppocr-onnx"

    def __init__(self, threads: int = 1, min_score: float = 0.5) -> None:
        from rapidocr import RapidOCR  # imported lazily: onnxruntime start-up is ~0.3 s

        self.engine = RapidOCR(
            params={
                "Global.log_level": "warning",
                "Global.text_score": min_score,
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def read(self, rgb: np.ndarray, glyph_px: float = 0.0) -> OcrResult:
        """The text of the image; `glyph_px` (from `page_look`) lets the text detector run at
        a lower resolution on large type (`detector_limits`)."""
        self._limit(detector_limits(rgb.shape, glyph_px))
        output: Any = self.engine(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        texts = list(output.txts or ())
        if not texts:
            return OcrResult()
        result = OcrResult()
        parts: list[str] = []
        offset = 0
        for text, box, score in zip(texts, output.boxes, output.scores, strict=False):
            points = np.asarray(box, dtype=np.float32).reshape(-1, 2)
            x, y, w, h = cv2.boundingRect(points)
            result.lines.append(
                OcrLine(str(text), (x, y, w, h), round(float(score), 4), offset, offset + len(text))
            )
            parts.append(str(text))
            offset += len(text) + 1
        result.text = "\n".join(parts)
        return result

    def _limit(self, limits: tuple[str, int]) -> None:
        """Set the detector's resolution for the next image. RapidOCR builds the detector's
        resize from these two attributes on every call (rapidocr 3.x, TextDetector)."""
        detector: Any = self.engine._load_det_model()  # type: ignore[no-untyped-call]  # noqa: SLF001
        detector.limit_type, detector.limit_side_len = limits
