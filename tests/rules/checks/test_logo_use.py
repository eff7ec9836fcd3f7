"""logo_use under each pack: marks on personal accounts, permissions, re-shares, sponsored pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evaluation.synth import compose
from evaluation.synth.marks import draw_mark
from rules.base import CheckContext, Target
from rules.detect.logos import LogoMark
from rules.detect.media_pipeline import analyse
from rules.engine import RuleSet
from tests.rules.helpers import NOW, config

PACKS = ["west-fargo-debh-ap", "alexandria-471", "moorhead-447-1", "wem-428", "jndc"]
RULES = {
    "west-fargo-debh-ap": "wf.logo-use.without-pr-permission",
    "wem-428": "wem.logo-use.without-permission",
    "jndc": "jndc.logo-use.without-board-consent",
}
PHASH = "8f3c21a09b7e4d16"


def analysis(score: float = 0.92, phash: str = PHASH) -> dict[str, Any]:
    return {
        "sha256": "cd" * 32,
        "ok": True,
        "faces": [],
        "phash": phash,
        "document_score": 0.0,
        "logos": [
            {
                "mark": "district",
                "box": [100, 120, 200, 230],
                "quad": [[100, 120], [300, 125], [298, 350], [102, 348]],
                "score": score,
                "inliers": 41,
            }
        ],
        "detectors": {"logos": "orb-magsac-zncc"},
    }


def post(
    policy: str,
    media: dict[str, Any],
    *,
    account: str = "emp-ortiz",
    kind: str = "post",
    role: str = "image",
    logo_permission: bool = False,
) -> Target:
    holder = config(policy).account(account)
    if logo_permission:
        holder = holder.model_copy(update={"logo_permission": True})
    return Target(
        post_id="p2",
        version=1,
        account=holder,
        platform="facebook",
        kind=kind,
        permalink="https://example.test/p2",
        text="Bake sale Saturday!",
        published_at=NOW,
        media=[
            {
                "url": "https://cdn.example.test/2.jpg",
                "role": role,
                "alt": None,
                "sha256": media["sha256"],
                "path": "cd/cdcd",
                "analysis": media,
            }
        ],
    )


def fired(policy: str, target: Target, sponsored: set[str] | None = None) -> set[str]:
    cfg = config(policy)
    ctx = CheckContext(cfg, NOW)
    if sponsored is not None:
        ctx.cached("sponsored_phashes", lambda: sponsored)
    return {
        d.rule_id
        for d in RuleSet.for_district(cfg).evaluate([target], ctx)
        if d.check_name == "logo_use"
    }


def expected(found: bool) -> dict[str, set[str]]:
    return {p: ({RULES[p]} if found and p in RULES else set()) for p in PACKS}


def _flip(phash: str, bits: int) -> str:
    return f"{int(phash, 16) ^ ((1 << bits) - 1):016x}"


CASES = [
    ("mark in a personal account's photo", {}, None, True),
    (
        "mark in a personal account's profile picture",
        {"kind": "profile", "role": "avatar"},
        None,
        True,
    ),
    ("account has logo permission", {"logo_permission": True}, None, False),
    ("mark on a sponsored account", {"account": "hs-page"}, None, False),
    ("re-share of a sponsored account's image (5 bits apart)", {}, {_flip(PHASH, 5)}, False),
    ("other image of the sponsored accounts (20 bits apart)", {}, {_flip(PHASH, 20)}, True),
]


@pytest.mark.parametrize(("label", "where", "sponsored", "found"), CASES, ids=[c[0] for c in CASES])
def test_logo_use_answers_per_pack(
    label: str, where: dict[str, Any], sponsored: set[str] | None, found: bool
) -> None:
    answers = {p: fired(p, post(p, analysis(), **where), sponsored) for p in PACKS}
    assert answers == expected(found)


def test_weak_mark_match_is_not_a_finding() -> None:
    assert fired("west-fargo-debh-ap", post("west-fargo-debh-ap", analysis(score=0.4))) == set()


def test_finding_evidence_names_the_mark_and_its_box() -> None:
    cfg = config("wem-428")
    [draft] = RuleSet.for_district(cfg).evaluate(
        [post("wem-428", analysis())], CheckContext(cfg, NOW)
    )
    details = draft.evidence["details"]
    assert (details["mark"], details["box"], details["inliers"]) == (
        "district",
        [100, 120, 200, 230],
        41,
    )
    assert draft.category == "district-logo-personal-account"


@pytest.fixture(scope="module")
def flyer(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real fundraiser flyer with the district mark pasted at an angle, analysed once."""
    folder = Path(tmp_path_factory.mktemp("flyer"))
    draw_mark("district").save(folder / "district.png")
    draw_mark("lincoln").save(folder / "lincoln.png")
    rng = np.random.default_rng(17)
    page = compose.document(
        "Bake sale - Saturday 10 am", ["All proceeds to the team trip", "Cookies, pies and coffee"]
    )
    compose.paste_mark(
        page,
        draw_mark("district"),
        rng,
        width_frac=0.22,
        rotation=12,
        perspective=0.04,
        cover=0.0,
        at=(0.8, 0.6),
    )
    path = folder / "flyer.jpg"
    path.write_bytes(compose.jpeg_bytes(page, 80))
    marks = [LogoMark.from_path(folder / f"{name}.png") for name in ("district", "lincoln")]
    return analyse(path, marks).to_dict()


def test_same_real_flyer_differs_by_district(flyer: dict[str, Any]) -> None:
    assert [m["mark"] for m in flyer["logos"]] == ["district"]
    answers = {p: fired(p, post(p, flyer)) for p in PACKS}
    assert answers == expected(True)


def _verified(tmp_path: Path, sponsored_image: Any, personal_image: Any) -> tuple[Any, Any]:
    """Two files on disk, a SponsoredImages index over the first, and the media dict of the
    second as the check sees it."""
    from rules.detect.reshare import SponsoredImage, SponsoredImages

    (tmp_path / "s.jpg").write_bytes(compose.jpeg_bytes(sponsored_image, 85))
    (tmp_path / "p.jpg").write_bytes(compose.jpeg_bytes(personal_image, 60))
    index = SponsoredImages(
        [SponsoredImage("ef" * 32, PHASH, frozenset({"district"}), tmp_path / "s.jpg")], tmp_path
    )
    media = analysis()
    return index, media


def _fired_with(index: Any, target: Target) -> set[str]:
    cfg = config("west-fargo-debh-ap")
    ctx = CheckContext(cfg, NOW)
    ctx.cached("sponsored_images", lambda: index)
    return {
        d.rule_id
        for d in RuleSet.for_district(cfg).evaluate([target], ctx)
        if d.check_name == "logo_use"
    }


def _scene(seed: int) -> Any:
    rng = np.random.default_rng(seed)
    image = compose.classroom(rng)
    compose.paste_heads(image, 4, rng)
    compose.paste_mark(
        image,
        draw_mark("district"),
        rng,
        width_frac=0.25,
        rotation=5,
        perspective=0.02,
        cover=0.0,
        at=(0.7, 0.3),
    )
    return image


def test_reshare_exemption_needs_the_same_picture_not_a_near_hash(tmp_path: Path) -> None:
    """Issue 14: a different photo of a similar scene was exempted by pHash distance alone."""
    original = _scene(41)
    index, media = _verified(tmp_path, original, _scene(42))
    target = post("west-fargo-debh-ap", media)
    target.media[0]["path"] = "p.jpg"
    assert _fired_with(index, target) == {RULES["west-fargo-debh-ap"]}
    [draft] = RuleSet.for_district(config("west-fargo-debh-ap")).evaluate(
        [target], _ctx_with(index)
    )
    [compared] = draft.evidence["details"]["reshare_check"]["compared"]
    assert compared["same"] is False and compared["ncc"] < 0.9


def test_resized_recompressed_reshare_of_a_sponsored_image_is_exempt(tmp_path: Path) -> None:
    original = _scene(41)
    index, media = _verified(tmp_path, original, original.resize((480, 320)))
    target = post("west-fargo-debh-ap", media)
    target.media[0]["path"] = "p.jpg"
    assert _fired_with(index, target) == set()


def _ctx_with(index: Any) -> CheckContext:
    ctx = CheckContext(config("west-fargo-debh-ap"), NOW)
    ctx.cached("sponsored_images", lambda: index)
    return ctx


SHARES = [
    ("share of a sponsored account (platform metadata)", {"shared": {"author": "1001"}}, "", set()),
    (
        "share naming the district in the attribution",
        {},
        "— Prairie Lakes Public Schools: go!",
        set(),
    ),
    ("share whose origin the platform does not give", {}, "so proud of these kids", set()),
    (
        "share of another account with the mark",
        {"shared": {"author": "boosterclub"}},
        "",
        {RULES["west-fargo-debh-ap"]},
    ),
]


@pytest.mark.parametrize(("label", "extra", "text", "found"), SHARES, ids=[s[0] for s in SHARES])
def test_share_of_district_content_is_exempt(
    label: str, extra: dict[str, Any], text: str, found: set[str]
) -> None:
    target = post("west-fargo-debh-ap", analysis(), kind="share")
    target.extra.update(extra)
    target.text = text
    assert fired("west-fargo-debh-ap", target) == found


def test_district_avatar_reused_as_a_personal_avatar_is_not_a_reshare(tmp_path: Path) -> None:
    """The same picture as the district page's avatar, used as an employee's own avatar, is the
    misuse itself: the re-share exemption is for shared posts, not an account's face."""
    original = _scene(41)
    index, media = _verified(tmp_path, original, original)
    target = post("west-fargo-debh-ap", media, kind="profile", role="avatar")
    target.media[0]["path"] = "p.jpg"
    assert _fired_with(index, target) == {RULES["west-fargo-debh-ap"]}


def test_reshare_index_keeps_a_bounded_number_of_decoded_images(tmp_path: Path) -> None:
    from rules.detect.reshare import SponsoredImages

    index = SponsoredImages([], tmp_path, max_cached=2)
    for n in range(4):
        (tmp_path / f"{n}.jpg").write_bytes(compose.jpeg_bytes(_scene(n), 80))
        assert index._load(f"{n}" * 64, tmp_path / f"{n}.jpg") is not None
    assert list(index._pixels) == ["2" * 64, "3" * 64]


def _page(found_in: str = "tiles") -> dict[str, Any]:
    media = analysis()
    media["document_score"] = 0.9
    media["logos"][0] |= {"found_in": found_in, "chroma": 5.4}
    return media


def test_letterhead_mark_on_a_page_counts_in_every_pack_with_a_logo_clause() -> None:
    answers = {p: fired(p, post(p, _page())) for p in PACKS}
    assert answers == expected(True)


def test_a_district_may_leave_letterhead_marks_out() -> None:
    from rules.checks.logo_use import LogoUse, LogoUseParams

    cfg = config("west-fargo-debh-ap")
    target = post("west-fargo-debh-ap", _page())
    kept = LogoUse().run(target, LogoUseParams(), CheckContext(cfg, NOW))
    left_out = LogoUse().run(target, LogoUseParams(letterhead_marks=False), CheckContext(cfg, NOW))
    assert len(kept) == 1 and left_out == []
    flyer = post("west-fargo-debh-ap", _page(found_in="image"))
    assert LogoUse().run(flyer, LogoUseParams(letterhead_marks=False), CheckContext(cfg, NOW))


def test_a_flyers_prominent_mark_on_a_page_counts_in_every_pack() -> None:
    answers = {p: fired(p, post(p, _page(found_in="image"))) for p in PACKS}
    assert answers == expected(True)


def test_evidence_says_which_pass_found_the_mark_its_colour_distance_and_the_page_score() -> None:
    cfg = config("jndc")
    [draft] = [
        d
        for d in RuleSet.for_district(cfg).evaluate([post("jndc", _page())], CheckContext(cfg, NOW))
        if d.check_name == "logo_use"
    ]
    details = draft.evidence["details"]
    assert (details["found_in"], details["chroma"], details["document_score"]) == (
        "tiles",
        5.4,
        0.9,
    )


@pytest.mark.parametrize(
    ("exif_time", "found"),
    [(None, set()), ("2026-10-08T07:15:00", {RULES["west-fargo-debh-ap"]})],
    ids=["served by the platform", "own photo with its capture time"],
)
def test_own_photo_attached_to_a_share_of_unknown_origin_is_not_a_reshare(
    exif_time: str | None, found: set[str]
) -> None:
    media = analysis() | {"exif_time": exif_time}
    target = post("west-fargo-debh-ap", media, kind="share")
    target.text = "My route got a shelter!! thank you ag kids"
    assert fired("west-fargo-debh-ap", target) == found
