"""logo_use: a registered district or school mark in a personal account's image or avatar.

What the check reads: each `target.media[i]["analysis"]` (`MediaAnalysis.to_dict()`, attached by
the flow after `rules.detect.media_pipeline.analyse` with the district's marks,
`config.logo_paths`), namely `logos` ({mark, box, quad, score, inliers}) and `phash`.

Not findings:
- anything on a sponsored account (marks are expected there) unless `personal_only` is false;
- an account with `logo_permission: true` (the permission the pack's clause asks for);
- with `allow_reshare` (default), an image whose perceptual hash is within
  `reshare_max_distance` bits of one already posted by a sponsored account of the district: a
  re-share of district content (West Fargo allows sharing it explicitly). The check gets those
  hashes from `ctx.cached("sponsored_phashes", ...)`: the flow fills that key before evaluating,
  with an iterable (set, frozenset or list) of 16-hex-digit `phash` strings, the
  `media_analysis.phash` of every media file posted by the district's sponsored accounts. If the
  flow did not fill it, the key holds an empty set and no image counts as a re-share.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Target
from rules.detect.images import hamming
from rules.registry import register

SPONSORED_PHASHES = "sponsored_phashes"


class LogoUseParams(CheckParams):
    allow_reshare: bool = True
    reshare_max_distance: int = Field(default=8, ge=0, le=32)
    min_score: float = Field(default=0.6, ge=0, le=1)
    personal_only: bool = True
    roles: list[str] = Field(default_factory=lambda: ["image", "video_thumbnail", "avatar",
                                                      "banner"])


@register
class LogoUse(Check):
    """A district or school mark in a personal account's image or avatar, without permission."""

    name = "logo_use"
    title = "District logo on a personal account"
    Params = LogoUseParams
    subjects = ("post", "profile")

    def run(self, target: Target, params: Any, ctx: CheckContext) -> list[Hit]:
        account = target.account
        if (params.personal_only and account.kind == "sponsored") or account.logo_permission:
            return []
        hits: list[Hit] = []
        for media in target.media:
            analysis = media.get("analysis") or {}
            if media.get("role", "image") not in params.roles or not analysis.get("ok"):
                continue
            marks = [m for m in analysis.get("logos", []) if m["score"] >= params.min_score]
            if not marks or (params.allow_reshare and _reshare(analysis, params, ctx)):
                continue
            hits.extend(_hit(media, analysis, mark) for mark in marks)
        return hits


def _reshare(analysis: dict[str, Any], params: LogoUseParams, ctx: CheckContext) -> bool:
    own = analysis.get("phash")
    if not own:
        return False
    known = ctx.cached(SPONSORED_PHASHES, frozenset)
    return any(hamming(own, other) <= params.reshare_max_distance for other in known)


def _hit(media: dict[str, Any], analysis: dict[str, Any], mark: dict[str, Any]) -> Hit:
    role = media.get("role", "image")
    where = "profile picture" if role == "avatar" else role.replace("_", " ")
    return Hit(
        key=f"{analysis['sha256'][:16]}:{mark['mark']}",
        summary=f"Registered mark '{mark['mark']}' in the {where} of a personal account "
                f"(match score {mark['score']:.2f}, {mark['inliers']} matching features)",
        category="district-logo-personal-account",
        details={"mark": mark["mark"], "box": list(mark["box"]),
                 "quad": [list(p) for p in mark.get("quad", [])], "inliers": mark["inliers"],
                 "url": media.get("url"), "role": role, "sha256": analysis["sha256"],
                 "phash": analysis.get("phash"),
                 "detector": (analysis.get("detectors") or {}).get("logos")},
        detector="logo_use/" + str((analysis.get("detectors") or {}).get("logos", "marks")),
        score=float(mark["score"]))
