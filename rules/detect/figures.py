"""People whose faces the face detector cannot see: head-and-shoulders outlines.

Why: the res10 face detector (rules.detect.faces) needs a frontal face of some 20 px or more. A
player photographed from behind, a team at the far end of a gym, a face blurred, turned away or
drawn rather than photographed shows no face to it, yet the picture is plainly of people, and a
post naming a student beside it is a picture of that student (issue 14: about a third of the
student images missed on the blind corpus showed people without a detectable face).

What: OpenCV's Haar cascade for the upper body (`haarcascade_upperbody.xml`, shipped inside the
`opencv-python` wheel under `cv2.data.haarcascades`; nothing is downloaded), run on the image
scaled to `side` px on its longer side after histogram equalisation. It finds the head-and-
shoulders outline (head over a wider torso), not a face, so it answers for backs, blurred and
drawn people alike. It is far less precise than the face detector: it also answers on some
furniture and clothing racks. The checks therefore read a figure only as "people are in it",
never as an identifiable face on its own, and only together with a named student (see
rules.checks.student_image). It runs only where no face was found on a picture that is not a
page (the pipeline decides), which keeps its ~10-20 ms off most images.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

_CASCADE = "haarcascade_upperbody.xml"


@dataclass(frozen=True)
class Figure:
    box: tuple[int, int, int, int]  # x, y, w, h in the coordinates of the image given
    score: float  # the cascade's level weight squashed to 0..1 (a ranking, not a probability)


@lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    folder = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(str(folder / _CASCADE))
    if cascade.empty():
        raise RuntimeError(f"{_CASCADE} not found under {folder}")
    return cascade


class FigureDetector:
    """Upper bodies; `min_share` is the smallest figure side as a share of the scaled image's
    shorter side (smaller ones are a crowd in the distance, or texture)."""

    name = "haar-upperbody"

    def __init__(self, side: int = 320, min_neighbours: int = 3, min_share: float = 0.2) -> None:
        self.side = side
        self.min_neighbours = min_neighbours
        self.min_share = min_share

    def detect(self, rgb: np.ndarray) -> list[Figure]:
        height, width = rgb.shape[:2]
        if min(height, width) < 32:
            return []
        factor = min(1.0, self.side / max(height, width))
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if factor < 1.0:
            gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        gray = cv2.equalizeHist(gray)
        smallest = max(24, round(min(gray.shape) * self.min_share))
        boxes, _, weights = _cascade().detectMultiScale3(
            gray,
            scaleFactor=1.15,
            minNeighbors=self.min_neighbours,
            minSize=(smallest, smallest),
            outputRejectLevels=True,
        )
        figures = [
            Figure(
                (
                    round(x / factor),
                    round(y / factor),
                    round(w / factor),
                    round(h / factor),
                ),
                round(float(1.0 / (1.0 + np.exp(-float(weight)))), 4),
            )
            for (x, y, w, h), weight in zip(boxes, np.ravel(weights), strict=False)
        ]
        return sorted(figures, key=lambda f: -f.score)
