"""document_score on pages photographed the way staff post them: a wide shot of a log sheet whose
rows shrink to a few pixels at the 512 px working width, and the near-misses that must stay
photos (a white wall with one poster line). Images drawn on the fly."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw

from evaluation.synth.marks import font
from rules.detect.ocr import _lines, document_score


def _log_sheet(rows: int, seed: int) -> np.ndarray:
    """A table of small rows (name, id, time, complaint) on a page, rotated on a dark desk, in a
    3:1 frame like a phone's wide shot."""
    rng = np.random.default_rng(seed)
    page = Image.new("RGB", (760, 230), (247, 247, 243))
    draw = ImageDraw.Draw(page)
    draw.rectangle([0, 0, 760, 26], fill=(30, 60, 120))
    for row in range(rows):
        y = 34 + row * 19
        cells = [f"Student{row}, Name", f"77{rng.integers(10000, 99999)}", "10:02", "headache"]
        for col, text in enumerate(cells):
            draw.text((12 + col * 185, y), text, font=font(9, bold=False), fill=(30, 30, 30))
    desk = np.full((300, 900, 3), (92, 70, 52), np.uint8)
    matrix = cv2.getRotationMatrix2D((380, 115), -7, 1.0)
    matrix[:, 2] += (70, 35)
    warped = cv2.warpAffine(np.asarray(page), matrix, (900, 300), borderValue=(0, 0, 0))
    inside = cv2.warpAffine(np.ones((230, 760), np.uint8), matrix, (900, 300)) > 0
    desk[inside] = warped[inside]
    return desk


def _lines_at(rgb: np.ndarray, width: int) -> int:
    size = (width, round(width * rgb.shape[0] / rgb.shape[1]))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return _lines(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))[0]


def test_wide_photo_of_a_log_sheet_is_read_as_a_page() -> None:
    sheet = _log_sheet(rows=10, seed=1)
    assert _lines_at(sheet, 512) == 0  # what scored it 0 before the second look
    assert document_score(sheet) >= 0.5


def test_white_wall_with_small_poster_lines_stays_a_photo() -> None:
    wall = Image.new("RGB", (900, 300), (236, 236, 232))
    draw = ImageDraw.Draw(wall)
    draw.text((300, 120), "Welcome Readers to room 12", font=font(8, bold=False), fill=(40, 40, 40))
    draw.text((300, 140), "Be kind, be curious", font=font(8, bold=False), fill=(40, 40, 40))
    assert document_score(np.asarray(wall)) == 0.0


def test_desk_without_a_page_is_not_a_page() -> None:
    rng = np.random.default_rng(3)
    desk = rng.integers(60, 120, (300, 900, 3)).astype(np.uint8)
    assert document_score(desk) == 0.0


def _turned_memo(angle: float) -> np.ndarray:
    """A memo of eight lines in 14-pt type, photographed turned by `angle` degrees on a desk."""
    page = Image.new("RGB", (620, 800), (246, 246, 242))
    draw = ImageDraw.Draw(page)
    draw.text((40, 40), "Memorandum", font=font(26), fill=(20, 20, 20))
    for row in range(8):
        text = f"Re: staffing plan {row}, draft for leadership only, do not distribute"
        draw.text((40, 100 + row * 30), text[:44], font=font(14, bold=False), fill=(30, 30, 30))
    desk = np.full((900, 1200, 3), (58, 48, 40), np.uint8)
    matrix = cv2.getRotationMatrix2D((310, 400), angle, 1.0)
    matrix[:, 2] += (290, 50)
    warped = cv2.warpAffine(np.asarray(page), matrix, (1200, 900), borderValue=(0, 0, 0))
    inside = cv2.warpAffine(np.ones((800, 620), np.uint8), matrix, (1200, 900)) > 0
    desk[inside] = warped[inside]
    return desk


def test_a_memo_photographed_turned_is_read_as_a_page() -> None:
    memo = _turned_memo(22.0)
    assert _lines_at(memo, 512) == 0  # its rows are diagonal: no horizontal run
    assert document_score(memo) >= 0.5
    assert document_score(_turned_memo(0.0)) >= 0.5  # and straight, as before


def test_a_turned_wall_with_two_poster_lines_stays_a_photo() -> None:
    wall = Image.new("RGB", (900, 600), (236, 236, 232))
    draw = ImageDraw.Draw(wall)
    draw.text(
        (300, 240), "Welcome Readers to room 12", font=font(14, bold=False), fill=(40, 40, 40)
    )
    draw.text((300, 270), "Be kind, be curious", font=font(14, bold=False), fill=(40, 40, 40))
    turned = wall.rotate(20, resample=Image.Resampling.BICUBIC, fillcolor=(236, 236, 232))
    assert document_score(np.asarray(turned)) == 0.0
