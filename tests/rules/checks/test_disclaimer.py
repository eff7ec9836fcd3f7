"""disclaimer: a personal profile naming the district as employer must say the views are its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.disclaimer import Disclaimer, DisclaimerParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))


def _profile(bio: str, display: str = "Dana", account: str = "emp-ortiz") -> Target:
    return Target(
        post_id="profile",
        version=1,
        account=CONFIG.account(account),
        platform="facebook",
        kind="profile",
        permalink="https://example.test/u",
        text=bio,
        published_at=None,
        extra={"display_name": display},
    )


@pytest.mark.parametrize(
    ("bio", "display"),
    [
        ("3rd grade teacher at Lakeview Elementary. Coffee, books, dogs.", "Dana"),
        ("PLHS head coach | Go Lakers!", "Coach L"),
        ("I teach 7th grade science at Cedar Ridge Middle School", "Mara"),
        ("Proud to work for Prairie Lakes Public Schools 💙", "Gail"),
        ("Mom of two. Kindergarten teacher @ Northwood Elementary", "Jen"),
        ("Books and bikes.", "Mr. Novak | English teacher at Prairie Lakes High School"),
    ],
)
def test_employer_named_without_disclaimer_is_flagged(bio: str, display: str) -> None:
    [hit] = Disclaimer().run(_profile(bio, display), DisclaimerParams(), CTX)
    assert hit.key == "disclaimer:missing"


@pytest.mark.parametrize(
    "bio",
    [
        "3rd grade teacher at Lakeview Elementary. Views are my own.",
        "PLHS head coach. Opinions mine, not my employer's.",
        "Counselor at Prairie Lakes High School — posts do not represent PLPS.",
        "Teacher at Cedar Ridge Middle. All thoughts my own.",
        "Proud Lakeview Elementary parent. Nurse at Sanford Health.",
        "Retired teacher from Prairie Lakes High School, now full-time gardener",
        "PLHS class of 2009. Teacher in Fargo.",
        "Teacher. Runner. Reader.",
        "Cheering on the Prairie Lakes High volleyball team every Friday!",
    ],
)
def test_disclaimer_or_no_employer_is_not_flagged(bio: str) -> None:
    assert Disclaimer().run(_profile(bio), DisclaimerParams(), CTX) == []


def test_district_specific_disclaimer_wording_counts() -> None:
    bio = "Band director at Cedar Ridge Middle. RT is not agreement."
    assert len(Disclaimer().run(_profile(bio), DisclaimerParams(), CTX)) == 1
    params = DisclaimerParams(phrases=["RT is not agreement"])
    assert Disclaimer().run(_profile(bio), params, CTX) == []


def test_sponsored_pages_and_posts_are_not_judged() -> None:
    bio = "Official page of the Prairie Lakes High School activities office; staff post here."
    assert Disclaimer().run(_profile(bio, account="plhs-activities"), DisclaimerParams(), CTX) == []
    post = _profile("3rd grade teacher at Lakeview Elementary")
    post.kind = "post"
    assert Disclaimer().run(post, DisclaimerParams(), CTX) == []


def test_span_covers_the_employer_phrase() -> None:
    bio = "Coffee first. 3rd grade teacher at Lakeview Elementary."
    [hit] = Disclaimer().run(_profile(bio), DisclaimerParams(), CTX)
    assert any("lakeview elementary" in bio[s.start : s.end].lower() for s in hit.spans)


@pytest.mark.parametrize(
    ("bio", "flagged"),
    [
        # a subject, sport or role before "at <school>" names the employer
        ("Head Football Coach & PE at Prairie Lakes High School. Husband, dad of 3.", True),
        ("6th/7th grade science at Cedar Ridge Middle School. Rocks, bikes, dad jokes.", True),
        ("Phy Ed + head football at Prairie Lakes High", True),
        ("Teaching art to the coolest kids at Prairie Lakes Public Schools since 2015", True),
        # a parent or a fan, someone who used to work there, or a disclaimer
        ("Proud football mom at Prairie Lakes High School!", False),
        ("Band dad at Cedar Ridge Middle School", False),
        ("Former science teacher at Cedar Ridge Middle School", False),
        ("Science at Cedar Ridge Middle School. Views are my own.", False),
    ],
)
def test_subject_or_sport_before_the_school_names_the_employer(bio: str, flagged: bool) -> None:
    assert bool(Disclaimer().run(_profile(bio), DisclaimerParams(), CTX)) is flagged


@pytest.mark.parametrize(
    ("bio", "flagged"),
    [
        # disclaimers worded in any order, and whose views they are not
        ("Science teacher at PLHS | views = my own", False),
        ("5th grade teacher at Lakeview Elementary. Everything here is my own opinion.", False),
        ("Coach at PLHS. Opinions: mine. Typos: also mine.", False),
        ("Band director at Cedar Ridge Middle; not the views of my employer", False),
        ("Teacher at PLHS, thoughts mine, not PLPS's", False),
        ("Counselor at Prairie Lakes High School. Posts are not that of my district.", False),
        # near-misses: "my own" about something else is no disclaimer
        ("Science teacher at PLHS. Posts about my own classroom adventures", True),
        ("Teacher at Lakeview Elementary and mom of my own three kiddos", True),
    ],
)
def test_disclaimer_wording_in_any_order(bio: str, flagged: bool) -> None:
    assert bool(Disclaimer().run(_profile(bio), DisclaimerParams(), CTX)) is flagged


@pytest.mark.parametrize(
    "bio",
    [
        "Teacher at PLHS, speaking for myself",
        "PLHS coach. Not speaking on behalf of PLPS.",
        "Science teacher at Cedar Ridge Middle; this page is not affiliated with the district",
    ],
)
def test_more_disclaimer_wordings(bio: str) -> None:
    assert Disclaimer().run(_profile(bio), DisclaimerParams(), CTX) == []


@pytest.mark.parametrize(
    "bio",
    [
        "Facilities & Security Manager, Prairie Lakes Public Schools. Boilers and snow.",
        "Front desk queen at the Prairie Lakes Public Schools district office",
        "Facilities guy for Prairie Lakes Public Schools, fixes what squeaks",
        "4th grade teacher 🍎 Lakeview Elementary Loons",
        "para @ cedar ridge ms | sped life",
        "Lunch lady? no: food service at Northwood Elementary",
    ],
)
def test_more_roles_separators_and_short_school_names_name_the_employer(bio: str) -> None:
    [hit] = Disclaimer().run(_profile(bio), DisclaimerParams(), CTX)
    assert hit.key == "disclaimer:missing"


@pytest.mark.parametrize(
    ("bio", "flagged"),
    [
        ("Administrative Assistant at Prairie Lakes Public Schools since 2009. Grandma!", True),
        ("Photo/video for Prairie Lakes Public Schools. Friday nights & everything between.", True),
        ("Network tech. Currently keeping the wifi alive for Prairie Lakes Public Schools.", True),
        ("Proud mom cheering for Prairie Lakes High School every Friday", False),
        ("Photo/video for weddings and families. PLHS class of 2009.", False),
    ],
)
def test_work_described_by_what_it_does_names_the_employer(bio: str, flagged: bool) -> None:
    assert bool(Disclaimer().run(_profile(bio), DisclaimerParams(), CTX)) is flagged


@pytest.mark.parametrize(
    ("bio", "flagged"),
    [
        ("Drove Bus 14 for Prairie Lakes Public Schools since 2012. Fishing otherwise.", True),
        ("Shop builds and CNC projects from the PLHS tech ed lab. New videos Sundays.", True),
        ("PLHS tech ed parents group: fundraising for the new lathe", False),
    ],
)
def test_driving_a_route_and_the_shop_name_the_employer(bio: str, flagged: bool) -> None:
    assert bool(Disclaimer().run(_profile(bio), DisclaimerParams(), CTX)) is flagged
