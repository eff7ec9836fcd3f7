"""Images for the detector tests, drawn on the fly from the corpus building blocks (seeded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.synth.marks import MARKS, draw_mark
from rules.detect.logos import LogoMark


@pytest.fixture(scope="session")
def mark_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("marks")
    for name in MARKS:
        draw_mark(name).save(folder / f"{name}.png")
    return folder


@pytest.fixture(scope="session")
def marks(mark_dir: Path) -> list[LogoMark]:
    return [LogoMark.from_path(mark_dir / f"{name}.png") for name in MARKS]
