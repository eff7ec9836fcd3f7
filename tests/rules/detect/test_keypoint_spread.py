"""The scene keypoints' spreading (rules.detect.logos._spread) is vectorised; it must keep exactly
the keypoints, in exactly the order, that taking them one by one keeps (the homography samples
matches in their order, so another order is another result)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from rules.detect.logos import SCENE_GRID, _spread


def _one_by_one(
    keypoints: Sequence[cv2.KeyPoint], shape: tuple[int, ...], total: int
) -> list[cv2.KeyPoint]:
    """The reference: per level in order of appearance, its share; per cell the strongest
    `quota` first, then the strongest of the rest."""
    levels: dict[int, list[cv2.KeyPoint]] = {}
    for point in keypoints:
        levels.setdefault(point.octave, []).append(point)
    height, width = shape[:2]
    chosen: list[cv2.KeyPoint] = []
    for points in levels.values():
        share = round(total * len(points) / len(keypoints))
        cells: dict[tuple[int, int], list[cv2.KeyPoint]] = {}
        for point in points:
            cell = (int(point.pt[1] * SCENE_GRID / height), int(point.pt[0] * SCENE_GRID / width))
            cells.setdefault(cell, []).append(point)
        quota = max(1, share // (SCENE_GRID * SCENE_GRID))
        first: list[cv2.KeyPoint] = []
        rest: list[cv2.KeyPoint] = []
        for members in cells.values():
            members.sort(key=lambda p: -p.response)
            first += members[:quota]
            rest += members[quota:]
        rest.sort(key=lambda p: -p.response)
        chosen += first[:share] + rest[: max(0, share - len(first))]
    return chosen


def _keypoints(rng: np.random.Generator, count: int, shape: tuple[int, int]) -> list[cv2.KeyPoint]:
    height, width = shape
    # Few distinct responses, so that ties (kept in their order of appearance) are common.
    return [
        cv2.KeyPoint(
            float(rng.uniform(0, width - 1)),
            float(rng.uniform(0, height - 1)),
            31.0,
            -1.0,
            float(rng.integers(0, 40)) / 7.0,
            int(rng.integers(0, 8)),
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("seed", "count", "total"), [(1, 6000, 2500), (2, 3000, 1000), (3, 900, 50)]
)
def test_spread_keeps_the_same_keypoints_in_the_same_order(
    seed: int, count: int, total: int
) -> None:
    shape = (683, 1024)
    points = _keypoints(np.random.default_rng(seed), count, shape)
    assert _spread(points, shape, total) == _one_by_one(points, shape, total)


def test_spread_on_a_real_scene_matches_the_reference() -> None:
    rng = np.random.default_rng(5)
    gray = cv2.GaussianBlur(rng.integers(0, 255, (500, 700), dtype=np.uint8), (0, 0), 1.0)
    points = cv2.ORB.create(nfeatures=6000, nlevels=10, fastThreshold=12).detect(gray, None)
    assert len(points) > 1000
    assert _spread(points, gray.shape, 1000) == _one_by_one(points, gray.shape, 1000)
