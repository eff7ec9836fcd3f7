"""The image step survives what the internet sends: a 1x1 tracking pixel in a district with
marks, next to an ordinary photo, is a recorded per-item result and the step goes on."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from evaluation.synth import compose
from evaluation.synth.marks import draw_mark
from flows.steps.imaging import media_analyser
from tests.rules.helpers import config

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_tracking_pixel_is_a_recorded_result_next_to_an_ordinary_photo(tmp_path: Path) -> None:
    """The production analyser (the one the audit and `eval` use) on a 1x1 PNG in a district with
    marks: refused as degenerate before any detector, while the photo beside it is analysed. A file
    whose analysis raises (gone from disk) is the run's to record (test_item_errors.py)."""
    draw_mark("district").save(tmp_path / "district.png")
    photo = compose.jpeg_bytes(compose.background(2, np.random.default_rng(2)), 85)
    (tmp_path / "pixel.png").write_bytes(_png(1, 1))
    (tmp_path / "photo.jpg").write_bytes(photo)
    cfg = replace(config("west-fargo-debh-ap"), logo_paths=[tmp_path / "district.png"])
    _, analyse_file = media_analyser(cfg)
    pixel = analyse_file(tmp_path / "pixel.png")
    assert pixel.ok is False and (pixel.error or "").startswith("degenerate:")
    result = analyse_file(tmp_path / "photo.jpg")
    assert result.ok is True and result.phash
    assert result.sha256 == _sha(photo)
