"""logo_use: a registered district or school mark in a personal account's image or avatar.

What the check reads: each `target.media[i]["analysis"]` (`MediaAnalysis.to_dict()`, attached by
the flow after `rules.detect.media_pipeline.analyse` with the district's marks,
`config.logo_paths`), namely `logos` ({mark, box, quad, score, inliers, chroma, found_in: image |
tiles, the second being the tiled pass over pages}), `document_score` and `phash`.

Not findings:
- anything on a sponsored account (marks are expected there) unless `personal_only` is false;
- an account with `logo_permission: true` (the permission the pack's clause asks for);
- with `letterhead_marks: false`, a letterhead's mark (small on a page, found only by the tiled
  pass), for a district that counts its own materials as permitted (a policy override);
- with `allow_reshare` (default), a re-share of district content (West Fargo allows sharing it
  explicitly): a `share` whose origin is one of the district's sponsored accounts (the
  platform's share metadata, or the district's name in the shared attribution) or unknown
  (a share names another account as its origin: not exempt; nor is an image of unknown origin
  that still carries its camera capture time, which the platforms strip from what they serve:
  the sharer's own photo attached to the share), or an image
  *verified* to be the same picture as one a sponsored account posted
  (`rules.detect.reshare.SponsoredImages`, which the flow puts in the context under
  `sponsored_images`: same file, or alignment plus pixel correlation; a near perceptual hash
  only nominates candidates). Without that index (the evaluation corpus), the hashes in
  `ctx.cached("sponsored_phashes")` are used as before: within `reshare_max_distance` bits.

Every finding carries the mark, its score, inliers and box, and what the re-share check found
(the comparisons it made and their measurements), so a monitor sees why it was not exempted.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Target
from rules.detect.images import hamming
from rules.detect.lexicons import fold
from rules.detect.reshare import SPONSORED_IMAGES, SponsoredImages
from rules.registry import register

SPONSORED_PHASHES = "sponsored_phashes"


class LogoUseParams(CheckParams):
    allow_reshare: bool = True
    reshare_max_distance: int = Field(default=8, ge=0, le=32)
    min_score: float = Field(default=0.6, ge=0, le=1)
    # A letterhead: a mark on a page small enough that only the tiled pass over pages found it
    # (`found_in: tiles`, rules.detect.logos). It is the district's logo posted all the same; a
    # pack whose policy counts district materials as permitted work information (West Fargo's
    # allowance) sets this false. A flyer's prominent mark is found by the whole-image pass and
    # is never covered by this.
    letterhead_marks: bool = True
    personal_only: bool = True
    roles: list[str] = Field(
        default_factory=lambda: ["image", "video_thumbnail", "avatar", "banner"]
    )


@register
class LogoUse(Check[LogoUseParams]):
    """A district or school mark in a personal account's image or avatar, without permission."""

    name = "logo_use"
    title = "District logo on a personal account"
    subjects = ("post", "profile")

    def run(self, target: Target, params: LogoUseParams, ctx: CheckContext) -> list[Hit]:
        account = target.account
        if (params.personal_only and account.kind == "sponsored") or account.logo_permission:
            return []
        hits: list[Hit] = []
        for media in target.media:
            analysis = media.get("analysis") or {}
            if media.get("role", "image") not in params.roles or not analysis.get("ok"):
                continue
            marks = [
                m
                for m in analysis.get("logos", [])
                if m["score"] >= params.min_score
                and (params.letterhead_marks or m.get("found_in") != "tiles")
            ]
            if not marks:
                continue
            checked: dict[str, Any] = {}
            # An avatar or banner is the account's own face, not a share: the district's mark
            # used as one is the misuse itself, even when it is the district's own picture.
            if params.allow_reshare and media.get("role", "image") not in ("avatar", "banner"):
                source = _reshare(target, media, analysis, params, ctx, checked)
                if source is not None:
                    continue
            hits.extend(_hit(media, analysis, mark, checked) for mark in marks)
        return hits


def _reshare(
    target: Target,
    media: dict[str, Any],
    analysis: dict[str, Any],
    params: LogoUseParams,
    ctx: CheckContext,
    checked: dict[str, Any],
) -> dict[str, Any] | None:
    """What this image re-shares of the district's own, or None (then `checked` says why)."""
    if target.kind == "share":
        origin = _district_origin(target, ctx)
        if origin is not None and not (
            origin["method"] == "share-origin-unknown" and analysis.get("exif_time")
        ):
            return origin
        if origin is not None:
            # The platforms strip camera metadata from what they serve, so a picture that still
            # carries its capture time was uploaded by the sharer: their own photo attached to
            # the share, not the district's picture re-shared (issue 14).
            checked["own_photo"] = {"exif_time": analysis.get("exif_time")}
    index: SponsoredImages | None = ctx.cached(SPONSORED_IMAGES, lambda: None)
    if index is not None:
        found = index.match(media)
        checked["compared"] = index.verdicts(analysis.get("sha256") or "")[:5]
        return found
    own = analysis.get("phash")
    known: frozenset[str] = ctx.cached(SPONSORED_PHASHES, frozenset)
    near = [other for other in known if own and hamming(own, other) <= params.reshare_max_distance]
    checked["compared"] = [{"phash": other, "method": "phash-only"} for other in near[:5]]
    return {"method": "phash-only", "phash": near[0]} if near else None


def _district_origin(target: Target, ctx: CheckContext) -> dict[str, Any] | None:
    """A share whose original comes from the district's sponsored accounts."""
    shared = target.extra.get("shared") or {}
    author = fold(str(shared.get("author") or "")).lstrip("@")
    sponsored = [a for a in ctx.config.accounts if a.kind == "sponsored"]
    if author:
        for account in sponsored:
            if author and author in fold(account.locator):
                return {"method": "share-of-sponsored-account", "account": account.id}
        return None  # the platform names another origin
    district = ctx.config.district
    names = {
        fold(n)
        for n in [*district.names, district.name, *(s.name for s in district.schools)]
        if len(n) >= 3
    }
    text = fold(target.text or "")
    named = sorted(n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text))
    if named:
        return {"method": "share-naming-the-district", "names": named[:3]}
    # A share whose origin the platform did not give: the picture is someone else's post, and
    # the accounts that post the district's registered marks are overwhelmingly its own.
    return {"method": "share-origin-unknown"}


def _hit(
    media: dict[str, Any], analysis: dict[str, Any], mark: dict[str, Any], checked: dict[str, Any]
) -> Hit:
    role = media.get("role", "image")
    where = "profile picture" if role == "avatar" else role.replace("_", " ")
    return Hit(
        key=f"{analysis['sha256'][:16]}:{mark['mark']}",
        summary=f"Registered mark '{mark['mark']}' in the {where} of a personal account "
        f"(match score {mark['score']:.2f}, {mark['inliers']} matching features)",
        category="district-logo-personal-account",
        details={
            "mark": mark["mark"],
            "box": list(mark["box"]),
            "quad": [list(p) for p in mark.get("quad", [])],
            "inliers": mark["inliers"],
            "chroma": mark.get("chroma"),
            "found_in": mark.get("found_in", "image"),
            "document_score": analysis.get("document_score"),
            "url": media.get("url"),
            "role": role,
            "sha256": analysis["sha256"],
            "phash": analysis.get("phash"),
            "reshare_check": checked or None,
            "detector": (analysis.get("detectors") or {}).get("logos"),
        },
        detector="logo_use/" + str((analysis.get("detectors") or {}).get("logos", "marks")),
        score=float(mark["score"]),
    )
