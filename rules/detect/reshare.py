"""Is an image on a personal account a re-share of one the district's sponsored accounts posted?

West Fargo allows employees to share district content, so a mark inside a re-shared district
picture is not misuse. The exemption needs proof that the two are the *same picture*: the same
file (SHA-256), or, after decoding both, an alignment plus pixel agreement
(`rules.detect.images.same_picture`). Candidates are the sponsored images that carry the same
registered mark, or whose perceptual hash is near (a cheap pre-filter, never the proof); the
pixels inside each mark's box must agree as well, so a stock photo the district posted bare and
an employee posted with the mark pasted on is not a re-share.

The flow builds a `SponsoredImages` from the warehouse (flows.steps.imaging.sponsored_images) and
puts it in the check context under `SPONSORED_IMAGES`; verification results are memoised per
pair, and files are decoded at most once per run.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rules.detect.images import DecodeError, decode, hamming, same_picture

SPONSORED_IMAGES = "sponsored_images"


@dataclass(frozen=True)
class SponsoredImage:
    sha256: str
    phash: str | None
    marks: frozenset[str]
    path: Path  # absolute


@dataclass
class SponsoredImages:
    images: list[SponsoredImage]
    media_root: Path  # where the checked target's media `path`s are relative to
    prefilter_bits: int = 16
    max_cached: int = 32  # decoded images kept (about 3 MB each at the 1024-px working size)
    _pixels: OrderedDict[str, tuple[np.ndarray, float] | None] = field(default_factory=OrderedDict)
    _verdicts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def match(self, media: dict[str, Any]) -> dict[str, Any] | None:
        """Evidence of the sponsored image this media item re-shares, or None."""
        analysis = media.get("analysis") or {}
        sha = analysis.get("sha256") or media.get("sha256")
        if not sha:
            return None
        for image in self.images:
            if image.sha256 == sha:
                return {"sha256": image.sha256, "method": "identical-file", "same": True}
        marks = {m["mark"] for m in analysis.get("logos", [])}
        own = analysis.get("phash")
        for image in self.images:
            near = bool(own and image.phash and hamming(own, image.phash) <= self.prefilter_bits)
            if not (near or marks & image.marks):
                continue
            verdict = self._verify(sha, media, image, _boxes(analysis))
            if verdict.get("same"):
                return verdict
        return None

    def verdicts(self, sha: str) -> list[dict[str, Any]]:
        """Every comparison made for this image (evidence when none was the same picture)."""
        return [v for (mine, _), v in self._verdicts.items() if mine == sha]

    def _verify(
        self,
        sha: str,
        media: dict[str, Any],
        image: SponsoredImage,
        boxes: list[tuple[int, int, int, int]],
    ) -> dict[str, Any]:
        key = (sha, image.sha256)
        if key not in self._verdicts:
            mine = self._load(sha, self.media_root / str(media.get("path") or ""))
            theirs = self._load(image.sha256, image.path)
            if mine is None or theirs is None:
                self._verdicts[key] = {
                    "sha256": image.sha256,
                    "same": False,
                    "method": "unreadable",
                }
            else:
                (rgb, scale), (other, _) = mine, theirs
                results = [
                    same_picture(rgb, other, region=_scaled(box, scale)) for box in boxes
                ] or [same_picture(rgb, other)]
                worst = min(results, key=lambda r: (r.same, r.region_ncc or 0.0))
                self._verdicts[key] = {"sha256": image.sha256, **worst.to_dict()}
        return self._verdicts[key]

    def _load(self, sha: str, path: Path) -> tuple[np.ndarray, float] | None:
        """Decoded pixels, least recently used evicted: a district posts thousands of images."""
        if sha in self._pixels:
            self._pixels.move_to_end(sha)
            return self._pixels[sha]
        try:
            decoded = decode(path) if path.is_file() else None
        except DecodeError:
            decoded = None
        self._pixels[sha] = (decoded.rgb, decoded.scale) if decoded else None
        if len(self._pixels) > self.max_cached:
            self._pixels.popitem(last=False)
        return self._pixels[sha]


def _boxes(analysis: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    return [
        (int(b[0]), int(b[1]), int(b[2]), int(b[3]))
        for b in (m.get("box") for m in analysis.get("logos", []))
        if b and len(b) == 4
    ]


def _scaled(box: tuple[int, int, int, int], scale: float) -> tuple[int, int, int, int]:
    """Full-image coordinates (analysis boxes) to the decoded working image's."""
    x, y, w, h = box
    return (round(x / scale), round(y / scale), round(w / scale), round(h / scale))
