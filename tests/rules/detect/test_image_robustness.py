"""Hostile and degenerate images never reach a detector, and one failing detector or file is a
recorded per-item error, never the end of the run (issue 10, item 1)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation.synth import compose
from evaluation.synth.marks import draw_mark
from rules.detect import media_pipeline
from rules.detect.images import DecodeError, decode, same_picture
from rules.detect.logos import LogoMark
from rules.detect.media_pipeline import analyse


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 240)).save(out, "PNG")
    return out.getvalue()


SHAPES = [
    ("1x1 tracking pixel", 1, 1),
    ("1xN spacer", 1, 600),
    ("Nx1 rule", 800, 1),
    ("tiny icon", 8, 8),
    ("banner strip 40:1", 2000, 50),
    ("tall strip 1:30", 30, 900),
]


@pytest.mark.parametrize(("label", "width", "height"), SHAPES, ids=[s[0] for s in SHAPES])
def test_degenerate_shape_is_refused_before_any_detector(
    tmp_path: Path, label: str, width: int, height: int
) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(_png(width, height))
    with pytest.raises(DecodeError) as caught:
        decode(path)
    assert caught.value.reason == "degenerate"


@pytest.mark.parametrize(("label", "width", "height"), SHAPES, ids=[s[0] for s in SHAPES])
def test_degenerate_image_with_marks_configured_is_a_recorded_result(
    tmp_path: Path, label: str, width: int, height: int
) -> None:
    """The reproduction of issue 10 item 1: a 1x1 PNG in a district with logos crashed the
    audit inside the logo detector's resize."""
    draw_mark("district").save(tmp_path / "district.png")
    path = tmp_path / "pixel.png"
    path.write_bytes(_png(width, height))
    result = analyse(path, [LogoMark.from_path(tmp_path / "district.png")])
    assert result.ok is False and result.error is not None
    assert result.error.startswith("degenerate:") and result.faces == [] and result.logos == []


def test_small_but_usable_image_is_still_analysed(tmp_path: Path) -> None:
    path = tmp_path / "thumb.png"
    path.write_bytes(_png(48, 32))
    assert analyse(path, []).ok


def test_a_detector_that_raises_is_recorded_and_the_other_stages_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(rgb: np.ndarray, settings: object) -> list[object]:
        raise RuntimeError("OpenCV(4.x) error: (-215:Assertion failed) !ssize.empty()")

    monkeypatch.setattr(media_pipeline, "_detect_faces", broken)
    rng = np.random.default_rng(5)
    path = tmp_path / "photo.jpg"
    path.write_bytes(compose.jpeg_bytes(compose.background(1, rng), 85))
    result = analyse(path, [])
    assert result.ok and result.faces == []
    assert result.stage_errors["faces"].startswith("RuntimeError: OpenCV")
    assert result.phash is not None and "document" not in result.stage_errors


def _photo(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = compose.classroom(rng)
    compose.paste_heads(image, 5, rng)
    return np.asarray(image.convert("RGB"))


def _reencoded(
    rgb: np.ndarray,
    size: tuple[int, int],
    quality: int,
    crop: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    image = Image.fromarray(rgb)
    if crop:
        image = image.crop(crop)
    data = compose.jpeg_bytes(image.resize(size), quality)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_same_picture_resized_recompressed_or_cropped_is_verified() -> None:
    original = _photo(11)
    h, w = original.shape[:2]
    assert same_picture(original, _reencoded(original, (w // 2, h // 2), 55)).same
    cropped = _reencoded(
        original, (int(w * 0.8), int(h * 0.8)), 70, crop=(0, 0, int(w * 0.8), int(h * 0.8))
    )
    verdict = same_picture(original, cropped)
    assert verdict.same and verdict.method == "features" and verdict.overlap > 0.5


def test_two_photos_of_the_same_kind_of_scene_are_not_the_same_picture() -> None:
    """What pHash alone confused: another class in front of a similar wall."""
    verdict = same_picture(_photo(11), _photo(12))
    assert not verdict.same and verdict.ncc < 0.9


def _flyer(lines: list[str]) -> np.ndarray:
    """A plain flyer: a header bar, the district's round mark, some lines of text."""
    import cv2

    image = np.full((900, 700, 3), 250, np.uint8)
    image[:110] = (30, 40, 90)
    cv2.circle(image, (350, 250), 90, (30, 40, 90), 14)
    cv2.putText(image, "MINERS", (265, 265), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (30, 40, 90), 3)
    for i, line in enumerate(lines):
        cv2.putText(image, line, (30, 420 + 45 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2)
    return image


def test_two_flyers_sharing_a_mark_and_a_header_are_not_the_same_picture() -> None:
    """Same mark, same bar, other words: plain pixels correlate (the shared parts carry most of
    the variance), the lettering outside the mark does not; a re-encoded copy still agrees."""
    card = _flyer(["from the transportation crew", "Routes 1-31", "Drive safe"])
    other = _flyer(["Mon - PJ Day", "Tue - Twin Day", "Wed - Decades", "Parade Fri 4:30"])
    mark = (250, 150, 200, 200)
    different = same_picture(card, other, region=mark)
    assert not different.same and different.detail_ncc is not None
    assert different.detail_ncc < 0.9
    copy = same_picture(card, _reencoded(card, (350, 450), 60), region=mark)
    assert copy.same and (copy.detail_ncc or 0) >= 0.9


def test_a_resized_copy_of_a_picture_that_is_only_the_mark_is_still_the_same_picture() -> None:
    card = _flyer([])[110:400, 200:500]  # the mark filling the frame
    h, w = card.shape[:2]
    copy = _reencoded(card, (w // 2, h // 2), 60)
    verdict = same_picture(card, copy, region=(5, 5, w - 10, h - 10))
    assert verdict.same
