"""What OCR costs, and where it is spent: the text detector runs at the resolution the page's
type needs (large type is not upscaled), and a picture below the document line whose light
ground is textured (pale gravel) is not read. Images drawn on the fly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from evaluation.synth import compose
from evaluation.synth.marks import draw_mark, font
from rules.detect.logos import LogoMark
from rules.detect.media_pipeline import Settings, _wants_ocr, analyse
from rules.detect.ocr import (
    DETECTOR_DEFAULT,
    DETECTOR_MIN_SIDE,
    OcrEngine,
    PageLook,
    detector_limits,
    page_look,
)


def _page(size: int) -> np.ndarray:
    """Twelve lines of `size`-px type on a white 1024x683 page."""
    page = Image.new("RGB", (1024, 683), (250, 250, 248))
    draw = ImageDraw.Draw(page)
    for row in range(12):
        text = f"Row {row}: attendance, lunch count and the bus list for room {row + 10}"
        draw.text((40, 20 + row * (size * 2)), text, font=font(size, bold=False), fill=(25, 25, 25))
    return np.asarray(page)


def test_glyph_size_follows_the_type() -> None:
    small, large = page_look(_page(11)), page_look(_page(26))
    assert small.score >= 0.5 and large.score >= 0.5
    assert 0 < small.glyph_px < large.glyph_px
    assert large.glyph_px >= 2 * small.glyph_px * 0.8


def test_detector_resolution_follows_the_glyphs() -> None:
    shape = (683, 1024)
    assert detector_limits(shape, 0.0) == DETECTOR_DEFAULT  # unknown: the library's default
    assert detector_limits(shape, 7.0) == DETECTOR_DEFAULT  # small type: upscaled as before
    kind, side = detector_limits(shape, 20.0)  # large type: shrunk, not upscaled
    assert kind == "max" and DETECTOR_MIN_SIDE <= side < 1024
    assert detector_limits(shape, 200.0) == ("max", DETECTOR_MIN_SIDE)  # never under the floor
    kind, side = detector_limits((300, 980), 9.0)  # a wide strip of small type: less upscaling
    assert kind == "min" and 300 < side < DETECTOR_DEFAULT[1]


def test_large_type_is_read_at_the_lower_resolution() -> None:
    rgb = np.asarray(
        compose.document("Gradebook", ["Maya Johnson  B+", "Liam Chen  A-"], stamp="CONFIDENTIAL")
    )
    look = page_look(rgb)
    engine = OcrEngine()
    text = engine.read(rgb, look.glyph_px)
    detector = engine.engine._load_det_model()  # type: ignore[no-untyped-call]
    assert (detector.limit_type, detector.limit_side_len) == detector_limits(
        rgb.shape, look.glyph_px
    )
    assert detector.limit_type == "max"
    for words in ("Gradebook", "Maya Johnson", "Liam Chen", "CONFIDENTIAL"):
        assert words in text.text


def _gravel_with_mark(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = compose.background(8, rng)  # skimage's gravel: pale, grey, textured
    compose.paste_mark(image, draw_mark("district"), rng, width_frac=0.35, rotation=0.0,
                       perspective=0.0, cover=0.0)  # fmt: skip
    return image


def test_gravel_is_light_but_not_smooth() -> None:
    gravel = page_look(np.asarray(_gravel_with_mark(4)))
    assert gravel.score >= Settings().ocr_threshold  # its stones join into "lines"
    assert gravel.smooth < Settings().min_smooth
    wall = Image.new("RGB", (1024, 683), (236, 236, 232))
    draw = ImageDraw.Draw(wall)
    draw.text((300, 300), "Welcome back, Ravens", font=font(30), fill=(40, 40, 40))
    assert page_look(np.asarray(wall)).smooth >= 0.85
    assert page_look(_page(14)).smooth >= 0.85


@pytest.mark.parametrize(
    ("look", "faces", "wanted"),
    [
        (PageLook(0.3, 10.0, smooth=0.3), False, False),  # gravel below the document line
        (PageLook(0.3, 10.0, smooth=0.9), False, True),  # a page at an angle, in shadow
        (PageLook(0.8, 10.0, smooth=0.3), False, True),  # a page is read whatever its ground
        (PageLook(0.3, 10.0, smooth=0.9), True, False),  # with faces, only from the page line
        (PageLook(0.1, 10.0, smooth=0.9), False, False),
    ],
)
def test_which_pictures_are_read(look: PageLook, faces: bool, wanted: bool) -> None:
    assert _wants_ocr(Settings(), look, faces) is wanted


def test_a_mark_on_gravel_is_found_and_not_read(tmp_path: Path, marks: list[LogoMark]) -> None:
    path = tmp_path / "gravel.jpg"
    path.write_bytes(compose.jpeg_bytes(_gravel_with_mark(4), 85))
    result = analyse(path, marks, Settings())
    assert [logo["mark"] for logo in result.logos] == ["district"]
    assert result.document_score >= Settings().ocr_threshold
    assert not result.ocr_run
