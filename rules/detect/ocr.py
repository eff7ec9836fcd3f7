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


def document_score(rgb: np.ndarray, slanted: bool = True) -> float:
    """0..1: how much the image looks like a document (page, screenshot, stamped memo, plan).

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
        return 0.0  # degenerate: no page
    small = _resized(rgb, width)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    paper = float(((hsv[..., 2] > 170) & (hsv[..., 1] < 50)).mean())
    if paper < 0.2:
        return 0.0
    lines = _text_lines(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    if lines == 0 and rgb.shape[1] > width:
        finer_rgb = _resized(rgb, min(rgb.shape[1], 640))
        finer = _text_lines(cv2.cvtColor(finer_rgb, cv2.COLOR_RGB2GRAY))
        # Only a page's worth of lines counts at the finer scale: a white classroom wall shows a
        # line or two of a poster there (benchmarks/images.py), a log sheet shows six.
        lines = finer if finer >= 3 else 0
    if lines == 0 and slanted:  # the caller passes False for photos of faces: never pages
        lines = _slanted_lines(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    return round(min(1.0, paper / 0.6) * min(1.0, lines / 3), 3)


SLANTS = (-25.0, -15.0, 15.0, 25.0)  # degrees a photographed page is turned, looked for


def _slanted_lines(gray: np.ndarray) -> int:
    """Lines of a page photographed turned by 10-30 degrees: its rows are diagonal runs, which
    the horizontal joining does not join (issue 14: memos, incident reports and board packets
    on a desk scored 0 and were never read). The image is turned back by a few angles; a
    page's worth of lines (three or more) at one of them counts. Only images with paper and no
    line pay for this (four more passes of the line finder at 512 px)."""
    height, width = gray.shape
    best = 0
    for angle in SLANTS:
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        turned = cv2.warpAffine(gray, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
        best = max(best, _text_lines(turned))
    return best if best >= 3 else 0


def _resized(rgb: np.ndarray, width: int) -> np.ndarray:
    height = max(1, round(width * rgb.shape[0] / rgb.shape[1]))
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def _text_lines(gray: np.ndarray) -> int:
    """Long thin runs of glyph-sized dark marks: the lines of text of a page."""
    ink = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, np.ones((9, 9), np.uint8)) > 50
    _, labels, stats, centres = cv2.connectedComponentsWithStats(
        ink.astype(np.uint8), connectivity=8
    )
    heights, widths = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    glyph = (heights >= 4) & (heights <= 28) & (widths <= 40)
    glyph[0] = False  # the background label
    runs = cv2.dilate(glyph[labels].astype(np.uint8), np.ones((1, 9), np.uint8))
    count, run_labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    # A line of text is a long, thin run made of several glyphs; hair or a desk edge is not.
    xs, ys = centres[glyph].round().astype(int).T
    per_run = np.bincount(
        run_labels[ys.clip(0, runs.shape[0] - 1), xs.clip(0, runs.shape[1] - 1)], minlength=count
    )
    heights, widths = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    line = (widths >= 40) & (widths >= 3 * heights) & (heights <= 30) & (per_run >= 5)
    return int(line[1:].sum())


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

    def read(self, rgb: np.ndarray) -> OcrResult:
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
