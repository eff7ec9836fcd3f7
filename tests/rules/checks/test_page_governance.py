"""page_governance: district pages need a responsible employee; W-E-M pages need contact details."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.page_governance import PageGovernance, PageGovernanceParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))
JNDC = PageGovernanceParams()
WEM = PageGovernanceParams(require_responsible=False, require_contact=True)
AVATAR = [{"role": "avatar", "url": "https://example.test/a.png"}]
FULL = {"website": "https://www.prairielakes.k12.mn.us/plhs", "emails": ["activities@plps.org"]}
FULL_BIO = "Prairie Lakes High School activities. Call 218-555-0142."


def _profile(
    account: str,
    bio: str = FULL_BIO,
    extra: dict[str, Any] | None = None,
    media: list[dict[str, Any]] | None = None,
    kind: str = "profile",
) -> Target:
    return Target(
        post_id="profile",
        version=1,
        account=CONFIG.account(account),
        platform="facebook",
        kind=kind,
        permalink="https://example.test/page",
        text=bio,
        published_at=None,
        extra=FULL if extra is None else extra,
        media=AVATAR if media is None else media,
    )


def _keys(target: Target, params: PageGovernanceParams) -> set[str]:
    return {
        h.key.removeprefix("page_governance:") for h in PageGovernance().run(target, params, CTX)
    }


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("lve-pto-news", {"responsible"}),
        ("nwe-library", {"responsible"}),
        ("plhs-activities", set()),
        ("emp-ortiz", set()),  # personal accounts are not district pages
    ],
)
def test_page_without_responsible_employee_is_flagged(account: str, expected: set[str]) -> None:
    assert _keys(_profile(account), JNDC) == expected


@pytest.mark.parametrize(
    ("bio", "extra", "media", "missing"),
    [
        (FULL_BIO, FULL, AVATAR, set()),
        (FULL_BIO, FULL, [], {"logo"}),
        ("Call (218) 555-0142", {"emails": ["activities@plps.org"]}, AVATAR, {"homepage"}),
        (FULL_BIO, {"website": "https://prairielakes.k12.mn.us"}, AVATAR, {"email"}),
        ("Prairie Lakes High School activities", FULL, AVATAR, {"phone"}),
        ("Call 218-555-0199 (coach's cell)", FULL, AVATAR, {"phone"}),
        ("", {}, [], {"logo", "homepage", "email", "phone"}),
        # an address at the district's domain is an e-mail, not a link to the homepage
        (
            "Office: office@prairielakes.k12.mn.us, 218-555-0142",
            {"emails": ["office@prairielakes.k12.mn.us"], "links": ["https://linktr.ee/plhs"]},
            AVATAR,
            {"homepage"},
        ),
        (
            "Email lakersfan@gmail.com, see prairielakes-fans.example.com",
            {},
            AVATAR,
            {"homepage", "email", "phone"},
        ),
    ],
)
def test_official_page_missing_contact_items_under_wem(
    bio: str, extra: dict[str, Any], media: list[dict[str, Any]], missing: set[str]
) -> None:
    assert _keys(_profile("plhs-activities", bio, extra, media), WEM) == missing


def test_posts_are_not_judged_only_profiles() -> None:
    assert _keys(_profile("lve-pto-news", kind="post"), JNDC) == set()


def test_contact_hits_name_no_person_and_are_keyed_per_item() -> None:
    hits = PageGovernance().run(_profile("plhs-activities", "", {}, []), WEM, CTX)
    assert sorted(h.key for h in hits) == [
        "page_governance:email",
        "page_governance:homepage",
        "page_governance:logo",
        "page_governance:phone",
    ]
    assert all(h.category.startswith("official page missing") for h in hits)


@pytest.mark.parametrize(
    ("analysis", "expected"),
    [
        ({"ok": True, "logos": [{"mark": "plps-shield", "score": 0.97}]}, set()),
        ({"ok": True, "logos": []}, {"logo"}),  # an avatar that is a field photo
        ({"ok": False, "logos": []}, set()),  # not analysed: the avatar counts, as before
        (None, set()),
    ],
)
def test_logo_is_a_registered_mark_found_in_the_avatar(
    analysis: dict[str, Any] | None, expected: set[str]
) -> None:
    media = [{**AVATAR[0], "analysis": analysis}]
    assert _keys(_profile("plhs-activities", media=media), WEM) == expected


def test_text_read_inside_the_avatar_is_not_judged_as_the_profile() -> None:
    target = _profile("plhs-activities", bio="PLPS\nDISTRICT 917", extra={}, media=[])
    assert _keys(target, WEM) == {"logo", "homepage", "email", "phone"}
    target.extra = {"text_source": "image"}
    assert _keys(target, WEM) == set()


def test_an_avatars_ocr_target_is_not_judged_as_the_profile() -> None:
    from flows.steps.imaging import image_text_targets

    avatar = [{**AVATAR[0], "analysis": {"ok": True, "ocr_text": "DISTRICT 2210"}}]
    [read] = image_text_targets([_profile("lve-pto-news", media=avatar)])
    assert read.media == [] and read.extra["text_source"] == "image"
    assert _keys(read, JNDC) == set()
    assert _keys(read, WEM) == set()
