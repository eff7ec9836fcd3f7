"""Find registered marks (the district's `assets/logos/`) inside photos.

Two stages, because geometry alone cannot tell a mark from a look-alike crest (a neighbour's shield
with the same outline, palette and typeface matches enough local features to pass RANSAC):

1. **Propose**: ORB keypoints of the scene (computed once) against every mark's at once
   (600 each, marks normalised to 240 px), Lowe's ratio test across all marks, then a MAGSAC
   homography per mark; the projected outline must be a sane, convex quadrilateral. ORB was
   chosen over SIFT after measuring both (docs/detectors.md): 40/40 vs 36/40 marks found on a
   trial set, at about a fifth of the CPU. The scene's keypoints are *spread over a grid*
   (6000 FAST candidates; per pyramid level, the strongest of each cell first, then the
   strongest of the rest, 2500 in all): kept by strength alone, a page of text or a bookshelf
   takes every one of them and a flat mark on a letterhead, a product cover or a poster gets
   none (the mark was missed on 11 of 12 such dev photos; spread, 7 of 12 found).
2. **Verify**: warp the scene back into the mark's frame and compare it with the mark, zone by zone
   (a 6x6 grid over the mark's opaque pixels), by normalised cross-correlation. A true mark agrees
   in most zones even when a hand or a caption covers part of it; a look-alike disagrees in the
   emblem and the wordmark. `score` is the fraction of informative zones that agree.
3. **Colour**: a club's look-alike often copies the outline, the typeface and even the emblem's
   structure (one was accepted at zone score 0.96, issue 14) but not the colours. The median
   chroma distance (CIELAB a*, b*, so lighting and exposure matter little) between the warped
   scene and the mark over the mark's opaque pixels must be at most `max_chroma`. Measured on
   the development districts' photos (JPEG q45-85, rotation, perspective, partial covering): true
   marks 0.0-8.1, look-alikes 43-78; the line at 24 sits in the middle of that gap. A mark drawn
   in greys gives no colour evidence either way and relies on stages 1-2.

4. **Tiles** (`detect_tiles`, for pages): a letterhead's mark is a tenth of a photographed page,
   and the page's text and the table or gravel around it outnumber its keypoints wherever they
   are spread; matched against a 40% tile of the image (a 3x3 grid of overlapping tiles) the
   same mark is found with 50-60 inliers. Nine passes cost about as much as the page's OCR
   costs a tenth of, so the pipeline runs them only on pages where the whole-image pass found
   nothing (`rules.detect.media_pipeline`).

Scale 10-40% of the image width, rotation, perspective, partial covering and JPEG are measured in
`evaluation/image_eval.py` on the corpus in tests/fixtures/images.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

TEMPLATE_WIDTH = 240  # marks are normalised to this width before features and verification
GRID = 6
TEMPLATE_FEATURES = 600
TILE_FRACTION = 0.4  # a tile's side as a fraction of the image's side
TILE_STEPS = 3  # tiles per side, overlapping
SCENE_CANDIDATES = 6000  # FAST corners considered before spreading them over the grid
SCENE_GRID = 8  # cells per side for spreading the scene's keypoints
HOMOGRAPHY = cv2.USAC_MAGSAC
MIN_ENLARGE = 1.5  # detect_regions: a region enlarged less than this is left to the whole image


@dataclass(frozen=True)
class LogoMark:
    """A registered mark: `name` is what findings show (e.g. the file stem), `path` the image."""

    name: str
    path: Path

    @classmethod
    def from_path(cls, path: Path) -> LogoMark:
        return cls(path.stem, path)


@dataclass(frozen=True)
class LogoHit:
    mark: str
    box: tuple[int, int, int, int]  # x, y, w, h of the projected outline's bounding box
    quad: tuple[tuple[int, int], ...]  # the mark's corners in the image
    score: float  # fraction of informative zones that agree (0..1)
    inliers: int
    chroma: float = 0.0  # median CIELAB chroma distance to the mark (0: same colours)


@dataclass
class _Model:
    mark: LogoMark
    gray: np.ndarray  # template, TEMPLATE_WIDTH wide, mark composited on white
    mask: np.ndarray  # uint8 255 where the mark is opaque
    chroma_ab: np.ndarray  # float32 HxWx2 CIELAB a*, b* of the template (blurred)
    keypoints: list[cv2.KeyPoint]
    descriptors: np.ndarray
    zones: list[tuple[slice, slice, np.ndarray]] = field(default_factory=list)


def marks_key(marks: list[LogoMark]) -> str:
    """Identifies a set of marks by content, so cached analyses are redone when the marks change."""
    digest = hashlib.sha256()
    for mark in sorted(marks, key=lambda m: m.name):
        digest.update(mark.name.encode() + b"\0" + Path(mark.path).read_bytes())
    return digest.hexdigest()[:16]


def _load_rgba(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"cannot read logo {path}")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGRA)
    elif image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
        # An opaque logo: its near-white background is not part of the mark.
        image[..., 3] = np.where(image[..., :3].min(axis=2) > 240, 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(image[..., 3] > 16)
    if len(xs) == 0:
        raise ValueError(f"logo {path} is empty")
    return image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _features(kind: str, count: int = 3000) -> tuple[cv2.Feature2D, int]:
    if kind == "sift":
        return cv2.SIFT.create(), cv2.NORM_L2
    if kind == "akaze":
        return cv2.AKAZE.create(threshold=0.0005), cv2.NORM_HAMMING
    if kind == "orb":
        return cv2.ORB.create(
            nfeatures=count,
            scaleFactor=1.2,
            nlevels=10,
            edgeThreshold=15,
            patchSize=15,
            fastThreshold=12,
        ), cv2.NORM_HAMMING
    raise ValueError(f"unknown feature kind {kind!r}")


@lru_cache(maxsize=32)
def _model(mark: LogoMark, kind: str = "orb") -> _Model:
    rgba = _load_rgba(mark.path)
    height = round(rgba.shape[0] * TEMPLATE_WIDTH / rgba.shape[1])
    rgba = cv2.resize(rgba, (TEMPLATE_WIDTH, height), interpolation=cv2.INTER_AREA)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    bgr = rgba[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    gray = cv2.cvtColor(bgr.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    mask = np.where(rgba[..., 3] > 128, 255, 0).astype(np.uint8)
    keypoints, descriptors = _features(kind, TEMPLATE_FEATURES)[0].detectAndCompute(gray, None)
    model = _Model(mark, gray, mask, _chroma(bgr.astype(np.uint8)), list(keypoints), descriptors)
    model.zones = _zones(gray, mask)
    return model


def _chroma(bgr: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(cv2.GaussianBlur(bgr, (0, 0), 2.0), cv2.COLOR_BGR2LAB)
    return lab[..., 1:].astype(np.float32)


def _zones(gray: np.ndarray, mask: np.ndarray) -> list[tuple[slice, slice, np.ndarray]]:
    """Grid cells with enough opaque, textured pixels to say something about identity."""
    zones = []
    h, w = gray.shape
    blurred = cv2.GaussianBlur(gray, (0, 0), 1.5).astype(np.float32)
    for row in range(GRID):
        for col in range(GRID):
            ys = slice(row * h // GRID, (row + 1) * h // GRID)
            xs = slice(col * w // GRID, (col + 1) * w // GRID)
            cell_mask = mask[ys, xs] > 0
            if cell_mask.mean() < 0.25 or blurred[ys, xs][cell_mask].std() < 12:
                continue
            zones.append((ys, xs, cell_mask))
    return zones


class LogoDetector:
    name = "orb-magsac-zncc"

    def __init__(
        self,
        marks: list[LogoMark],
        *,
        ratio: float = 0.85,
        min_inliers: int = 8,
        zone_ncc: float = 0.5,
        min_score: float = 0.62,
        max_side: int = 1024,
        features: str = "orb",
        scene_features: int = 2500,
        max_chroma: float = 24.0,
        max_enlarge: float = 4.0,
    ) -> None:
        self.models = [_model(mark, features) for mark in marks]
        self.ratio = ratio
        self.min_inliers = min_inliers
        self.zone_ncc = zone_ncc
        self.min_score = min_score
        self.max_chroma = max_chroma
        self.max_enlarge = max_enlarge  # detect_regions: at most this much enlargement
        self.max_side = max_side
        self.scene_features = scene_features
        self.extractor, norm = _features(
            features, SCENE_CANDIDATES if features == "orb" else scene_features
        )
        self.matcher = cv2.BFMatcher(norm)

    def detect(self, rgb: np.ndarray, features: int | None = None) -> list[LogoHit]:
        """Every registered mark found in the image; `features` overrides how many scene
        keypoints are kept (a tile needs fewer than a whole image)."""
        if not self.models or min(rgb.shape[:2]) < 16:  # degenerate: nothing to match
            return []
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        factor = min(1.0, self.max_side / max(gray.shape))
        small = cv2.resize(gray, None, fx=factor, fy=factor) if factor < 1 else gray
        keypoints, descriptors = self._scene(small, features or self.scene_features)
        if descriptors is None or len(keypoints) < self.min_inliers:
            return []
        hits = []
        for model in self.models:
            if model.descriptors is None:
                continue
            # Mark -> scene, so that a mark feature must be distinctive *in the scene*; the other
            # way round, a page of text offers hundreds of corners that pass the ratio test.
            pairs = self.matcher.knnMatch(model.descriptors, descriptors, k=2)
            matches = [
                (p[0].queryIdx, p[0].trainIdx)
                for p in pairs
                if len(p) == 2 and p[0].distance < self.ratio * p[1].distance
            ]
            hit = self._find(model, rgb, gray, keypoints, matches, factor)
            if hit is not None:
                hits.append(hit)
        return hits

    def detect_tiles(self, rgb: np.ndarray) -> list[LogoHit]:
        """`detect` on overlapping tiles (small marks on pages); the best hit per mark, in the
        coordinates of the whole image."""
        height, width = rgb.shape[:2]
        tile_h, tile_w = int(height * TILE_FRACTION), int(width * TILE_FRACTION)
        best: dict[str, LogoHit] = {}
        # As many keypoints as for a whole image: with fewer, the spreading leaves a letterhead's
        # mark too few to match (measured: 2 of 4 dev letterheads lost at two thirds).
        features = self.scene_features
        for row in range(TILE_STEPS):
            for col in range(TILE_STEPS):
                y = (height - tile_h) * row // (TILE_STEPS - 1)
                x = (width - tile_w) * col // (TILE_STEPS - 1)
                for hit in self.detect(rgb[y : y + tile_h, x : x + tile_w], features):
                    moved = _moved(hit, x, y)
                    if hit.mark not in best or moved.score > best[hit.mark].score:
                        best[hit.mark] = moved
        return list(best.values())

    def detect_regions(
        self,
        rgb: np.ndarray,
        regions: Sequence[tuple[int, int, int, int]],
        side: int = 600,
        features: int = 1000,
    ) -> list[LogoHit]:
        """`detect` on each region (x, y, w, h) enlarged so that its longer side is `side` px
        (at most `max_enlarge`): a mark of 15-45 px, too small for the whole-image pass, is
        matched at 60-150 px. A region that would be enlarged less than `MIN_ENLARGE` is
        skipped: the whole-image pass saw it at nearly that scale. The best hit per mark, in
        the coordinates of the whole image. A crop needs fewer scene keypoints than a whole
        image (`features`)."""
        best: dict[str, LogoHit] = {}
        for x, y, w, h in regions:
            crop = rgb[y : y + h, x : x + w]
            if min(crop.shape[:2]) < 16:
                continue
            factor = min(self.max_enlarge, side / max(crop.shape[:2]))
            if factor < MIN_ENLARGE:
                continue  # hardly enlarged: the whole-image pass saw it at this scale already
            crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
            for hit in self.detect(crop, features):
                placed = _placed(hit, factor, x, y)
                if hit.mark not in best or placed.score > best[hit.mark].score:
                    best[hit.mark] = placed
        return list(best.values())

    def _scene(
        self, gray: np.ndarray, total: int
    ) -> tuple[Sequence[cv2.KeyPoint], np.ndarray | None]:
        """Keypoints spread over the image, then described (see the module docstring)."""
        candidates = self.extractor.detect(gray, None)
        if len(candidates) > total:
            candidates = _spread(candidates, gray.shape, total)
        return self.extractor.compute(gray, candidates)

    def _find(
        self,
        model: _Model,
        rgb: np.ndarray,
        gray: np.ndarray,
        keypoints: Sequence[cv2.KeyPoint],
        matches: list[tuple[int, int]],
        factor: float,
    ) -> LogoHit | None:
        if len(matches) < self.min_inliers:
            return None
        src = np.array([model.keypoints[m].pt for m, _ in matches], dtype=np.float32)
        dst = np.array([keypoints[s].pt for _, s in matches], dtype=np.float32) / factor
        h, w = model.gray.shape
        outline = np.array([[[0, 0], [w, 0], [w, h], [0, h]]], dtype=np.float32)
        found = None
        # MAGSAC first; on a mark with repeated structure (waves, stripes) it can settle on a
        # degenerate model that folds the outline to a point although many matches agree, so
        # USAC_ACCURATE gets one retry then (1.2 ms an image on the benchmark; plain RANSAC
        # cost 49 ms, running all its iterations on the outliers of scenes without the mark).
        for method in (HOMOGRAPHY, cv2.USAC_ACCURATE):
            homography, inlier_mask = cv2.findHomography(
                src, dst, method, 5.0 / factor, maxIters=2000, confidence=0.995
            )
            if homography is None:
                break
            inliers = int(inlier_mask.sum())
            corners = cv2.perspectiveTransform(outline, homography)[0]
            if inliers < self.min_inliers:
                break
            if _sane(corners, gray.shape):
                found = (homography, inliers, corners)
                break
        if found is None:
            return None
        homography, inliers, corners = found
        score = self._verify(model, gray, homography)
        if score < self.min_score:
            return None
        chroma = _chroma_distance(model, rgb, homography)
        if chroma > self.max_chroma:
            return None  # the shape agrees, the colours do not: a look-alike
        x, y, bw, bh = cv2.boundingRect(corners.astype(np.int32))
        quad = tuple((int(px), int(py)) for px, py in corners)
        return LogoHit(
            model.mark.name, (x, y, bw, bh), quad, round(score, 3), inliers, round(chroma, 1)
        )

    def _verify(self, model: _Model, gray: np.ndarray, homography: np.ndarray) -> float:
        """Fraction of the mark's zones that agree, among the zones that are not covered.

        A zone is *covered* when the scene is flat there (a hand, a sticker, a caption block) and
        the mark is not; a look-alike differs by structure (other letters, another emblem), so its
        zones are textured and disagree. Too much covered means too little evidence: score 0."""
        h, w = model.gray.shape
        warped = cv2.warpPerspective(
            gray,
            homography,
            (w, h),
            flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        scene = cv2.GaussianBlur(warped, (0, 0), 1.5).astype(np.float32)
        mark = cv2.GaussianBlur(model.gray, (0, 0), 1.5).astype(np.float32)
        agree = disagree = covered = 0
        for ys, xs, cell in model.zones:
            patch = scene[ys, xs][cell]
            if patch.std() < 6.0:
                covered += 1
            elif _ncc(mark[ys, xs][cell], patch) >= self.zone_ncc:
                agree += 1
            else:
                disagree += 1
        if not model.zones or covered > 0.4 * len(model.zones) or agree + disagree == 0:
            return 0.0
        return agree / (agree + disagree)


def _moved(hit: LogoHit, dx: int, dy: int) -> LogoHit:
    x, y, w, h = hit.box
    quad = tuple((px + dx, py + dy) for px, py in hit.quad)
    return LogoHit(hit.mark, (x + dx, y + dy, w, h), quad, hit.score, hit.inliers, hit.chroma)


def _placed(hit: LogoHit, factor: float, dx: int, dy: int) -> LogoHit:
    """A hit found in a crop enlarged by `factor`, in the coordinates of the whole image."""
    x, y, w, h = (round(v / factor) for v in hit.box)
    quad = tuple((round(px / factor) + dx, round(py / factor) + dy) for px, py in hit.quad)
    return LogoHit(hit.mark, (x + dx, y + dy, w, h), quad, hit.score, hit.inliers, hit.chroma)


def _spread(
    keypoints: Sequence[cv2.KeyPoint], shape: tuple[int, ...], total: int
) -> list[cv2.KeyPoint]:
    """At most `total` keypoints, each pyramid level keeping its share of them (the scales a
    mark is matched at), and within a level the strongest of each grid cell first, so every
    region of the image keeps some, then the strongest of those left over.

    Vectorised (some 6000 candidates an image; one by one it cost ~13 ms): the same keypoints
    in the same order as sorting them one by one would give, which matters because the
    homography's sampling follows the order of the matches."""
    count = len(keypoints)
    octaves = np.fromiter((p.octave for p in keypoints), np.int64, count)
    strength = -np.fromiter((p.response for p in keypoints), np.float64, count)
    points = np.array([p.pt for p in keypoints], np.float64).reshape(-1, 2)
    height, width = shape[:2]
    rows = (points[:, 1] * SCENE_GRID / height).astype(np.int64)
    cols = (points[:, 0] * SCENE_GRID / width).astype(np.int64)
    # Levels, and cells within a level, are taken in the order they first appear.
    _, level_first, level_of = np.unique(octaves, return_index=True, return_inverse=True)
    level_rank = np.argsort(np.argsort(level_first))[level_of.ravel()]
    cell_key = (level_rank * (SCENE_GRID + 2) + rows) * (SCENE_GRID + 2) + cols
    _, cell_first, cell_of = np.unique(cell_key, return_index=True, return_inverse=True)
    cell_rank = np.argsort(np.argsort(cell_first))[cell_of.ravel()]
    index = np.arange(count)
    order = np.lexsort((index, strength, cell_rank, level_rank))  # stable: strongest first
    group = cell_rank[order]
    new_cell = np.ones(count, bool)
    new_cell[1:] = group[1:] != group[:-1]
    place = index - np.maximum.accumulate(np.where(new_cell, index, 0))  # place within its cell
    sizes = np.bincount(level_rank, minlength=len(level_first))
    shares = [round(total * int(size) / count) for size in sizes]
    quotas = np.array([max(1, share // (SCENE_GRID * SCENE_GRID)) for share in shares])
    head = place < quotas[level_rank[order]]
    chosen: list[np.ndarray] = []
    for level, share in enumerate(shares):
        mine = level_rank[order] == level
        first, rest = order[mine & head], order[mine & ~head]
        rest = rest[np.lexsort((np.arange(len(rest)), strength[rest]))]
        chosen += [first[:share], rest[: max(0, share - len(first))]]
    return [keypoints[i] for i in np.concatenate(chosen)]


def _chroma_distance(model: _Model, rgb: np.ndarray, homography: np.ndarray) -> float:
    """Median CIELAB (a*, b*) distance between the mark and the scene warped onto it."""
    h, w = model.gray.shape
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    warped = cv2.warpPerspective(
        bgr,
        homography,
        (w, h),
        flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    opaque = model.mask > 0
    distance = np.linalg.norm(model.chroma_ab[opaque] - _chroma(warped)[opaque], axis=1)
    return float(np.median(distance)) if distance.size else 0.0


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 1e-6 else 0.0


def _sane(corners: np.ndarray, shape: tuple[int, ...]) -> bool:
    """The projected mark is a convex quadrilateral of plausible size and shape."""
    quad = corners.astype(np.float32)
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return False
    area = cv2.contourArea(quad)
    if area < 24 * 24 or area > shape[0] * shape[1] * 1.5:
        return False
    sides = [np.linalg.norm(quad[i] - quad[(i + 1) % 4]) for i in range(4)]
    return bool(min(sides) > 0 and max(sides) / min(sides) < 6)
