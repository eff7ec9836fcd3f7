"""People without a detectable face, and marks worn by people, on images drawn here."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from evaluation.synth import compose
from evaluation.synth.marks import draw_mark
from rules.detect.figures import FigureDetector
from rules.detect.logos import LogoDetector, LogoMark
from rules.detect.media_pipeline import _worn_regions


def _figures(count: int, seed: int = 0) -> np.ndarray:
    """People drawn as a torso, a neck and a head with hair: no face for a face detector."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (900, 600), (196, 206, 216))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 420, 900, 600], fill=(150, 120, 90))
    for index in range(count):
        cx = 180 + index * 260
        colour = tuple(int(c) for c in rng.integers(30, 220, 3))
        draw.rounded_rectangle([cx - 95, 330, cx + 95, 600], radius=40, fill=colour)
        draw.rectangle([cx - 14, 300, cx + 14, 335], fill=(224, 182, 150))
        draw.ellipse([cx - 48, 205, cx + 48, 315], fill=(224, 182, 150))
        draw.chord([cx - 52, 195, cx + 52, 300], 180, 360, fill=(50, 35, 25))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(1)))


@pytest.fixture(scope="module")
def figures() -> FigureDetector:
    return FigureDetector()


@pytest.mark.parametrize("seed", [2, 3])
def test_people_without_faces_are_found_as_figures(figures: FigureDetector, seed: int) -> None:
    found = figures.detect(_figures(3, seed))
    assert found
    assert all(box[1] < 420 for box in (f.box for f in found))  # head and shoulders, not floor


@pytest.mark.parametrize("index", range(8))
def test_scenes_without_people_have_no_figures(figures: FigureDetector, index: int) -> None:
    scene = compose.background(index, np.random.default_rng(index))
    assert figures.detect(np.asarray(scene)) == []
    assert figures.detect(_figures(0)) == []


def test_a_mark_worn_too_small_for_the_whole_image_is_found_under_the_head(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("worn")
    draw_mark("district").save(folder / "district.png")
    draw_mark("district", lookalike=True).save(folder / "club.png")
    detector = LogoDetector([LogoMark.from_path(folder / "district.png")])
    lookalike = LogoDetector([LogoMark.from_path(folder / "club.png")])
    scene = Image.fromarray(_figures(1, 5).copy())
    crest = draw_mark("district").convert("RGBA")
    crest = crest.resize((40, round(40 * crest.height / crest.width)), Image.Resampling.LANCZOS)
    scene.paste(crest, (160, 380), crest)
    rgb = np.asarray(scene)
    head = (150, 250, 60, 60)  # a head as the face detector boxes it
    regions = _worn_regions([head], [], rgb.shape, 3)
    assert detector.detect(rgb) == []  # 40 px: below the whole-image pass's smallest scale
    found = detector.detect_regions(rgb, regions)
    assert [h.mark for h in found] == ["district"]
    x, y, w, h = found[0].box
    assert 140 <= x + w / 2 <= 220 and 370 <= y + h / 2 <= 450  # in the image's coordinates
    assert lookalike.detect_regions(rgb, regions) == []  # the look-alike margin holds


def test_a_region_the_whole_image_pass_saw_at_its_scale_is_skipped(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("skip")
    draw_mark("district").save(folder / "district.png")
    detector = LogoDetector([LogoMark.from_path(folder / "district.png")])
    scene = Image.fromarray(_figures(1, 5).copy())
    crest = draw_mark("district").convert("RGBA").resize((120, 120))
    scene.paste(crest, (120, 380), crest)
    rgb = np.asarray(scene)
    assert [h.mark for h in detector.detect(rgb)] == ["district"]
    assert detector.detect_regions(rgb, [(0, 0, 900, 600)]) == []  # enlarged under 1.5x: skipped


def test_worn_regions_lie_under_the_largest_heads_and_inside_the_image() -> None:
    heads = [(10, 10, 20, 20), (400, 100, 80, 90), (700, 50, 40, 40)]
    regions = _worn_regions(heads, [(100, 300, 200, 160)], (600, 900, 3), 2)
    assert regions[0] == (150, 380, 100, 128)  # the figure (a quarter of it a head): its chest
    assert regions[1] == (360, 172, 160, 216)  # the largest head: the chest under it
    assert all(x >= 0 and y >= 0 and x + w <= 900 and y + h <= 600 for x, y, w, h in regions)
