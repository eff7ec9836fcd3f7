"""Marks where the whole-image pass used to miss them: a flat mark on a page dense with text (the
scene's keypoints are spread over a grid), a letterhead's small mark on a photographed page (the
tiled pass), and the look-alike that neither pass may accept. Images drawn on the fly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from evaluation.synth import compose
from evaluation.synth.marks import draw_mark, font
from rules.detect.logos import LogoDetector, LogoMark
from rules.detect.media_pipeline import Settings, analyse

WORDS = "attendance lunch menu schedule reminder volunteers library fieldtrip".split()


def _text_page(rng: np.random.Generator, width: int = 700, height: int = 900) -> Image.Image:
    """A product cover or flyer: a dense block of small text over the whole page."""
    page = Image.new("RGB", (width, height), (248, 248, 244))
    draw = ImageDraw.Draw(page)
    for row in range(40):
        line = " ".join(str(rng.choice(WORDS)) for _ in range(8))
        draw.text((20, 10 + row * 22), line, font=font(15, bold=False), fill=(25, 25, 25))
    return page


def _letterhead(mark: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A letter with the mark small in its letterhead, photographed on a speckled table."""
    lines = [f"Student: Row {k}  ID 48{k:05d}  grade B+" for k in range(14)]
    page = compose.document("Sandpiper County Schools", lines, rng=rng)
    small = mark.resize((int(page.width * 0.1), int(page.width * 0.1 * mark.height / mark.width)))
    page.paste(small, (page.width - small.width - 30, 20), small)
    photo = np.asarray(compose.photograph(page, rng)).astype(np.int16)
    speckle = rng.integers(-45, 45, photo.shape[:2])[..., None]
    table = (photo[..., 0] < 140) & (photo[..., 2] < 90)  # the desk, not the page
    photo[table] += speckle[table]
    return Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def detector(marks: list[LogoMark]) -> LogoDetector:
    return LogoDetector(marks)


@pytest.mark.parametrize("seed", [3, 4])
def test_flat_mark_on_a_page_dense_with_text_is_found(detector: LogoDetector, seed: int) -> None:
    rng = np.random.default_rng(seed)
    page = _text_page(rng)
    compose.paste_mark(
        page,
        draw_mark("district"),
        rng,
        width_frac=0.26,
        rotation=0,
        perspective=0.0,
        cover=0.0,
        at=(0.5, 0.78),
    )
    found = {hit.mark for hit in detector.detect(np.asarray(page))}
    assert "district" in found


def test_look_alike_on_a_page_dense_with_text_is_not_accepted(detector: LogoDetector) -> None:
    rng = np.random.default_rng(5)
    page = _text_page(rng)
    compose.paste_mark(
        page,
        draw_mark("district", lookalike=True),
        rng,
        width_frac=0.26,
        rotation=0,
        perspective=0.0,
        cover=0.0,
        at=(0.5, 0.78),
    )
    assert detector.detect(np.asarray(page)) == []


@pytest.mark.parametrize("seed", [11, 12])
def test_letterhead_mark_on_a_photographed_page_is_found_by_the_tiled_pass(
    detector: LogoDetector, seed: int
) -> None:
    photo = np.asarray(_letterhead(draw_mark("district"), np.random.default_rng(seed)))
    hits = detector.detect_tiles(photo)
    assert [h.mark for h in hits] == ["district"]
    x, y, w, h = hits[0].box
    assert x > photo.shape[1] / 2 and y < photo.shape[0] / 4  # top right, where it was put


def test_look_alike_letterhead_is_not_accepted_by_the_tiled_pass(detector: LogoDetector) -> None:
    photo = _letterhead(draw_mark("district", lookalike=True), np.random.default_rng(11))
    assert detector.detect_tiles(np.asarray(photo)) == []


def test_pipeline_reads_a_letterhead_mark_on_a_page_and_says_which_pass_found_it(
    tmp_path: Path, marks: list[LogoMark]
) -> None:
    path = tmp_path / "letter.jpg"
    path.write_bytes(
        compose.jpeg_bytes(_letterhead(draw_mark("district"), np.random.default_rng(12)), 85)
    )
    result = analyse(path, marks, Settings(ocr="never"))
    assert result.document_score >= Settings().document_threshold
    assert [m["mark"] for m in result.logos] == ["district"]
    assert result.logos[0]["found_in"] in {"image", "tiles"}
    assert result.logos[0]["chroma"] < 24
