"""political_use (JNDC): the district's name used to promote a party, candidate, cause, product."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.political_use import PoliticalUse, PoliticalUseParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))


def _post(text: str, account: str = "emp-brandt") -> Target:
    return Target(
        post_id="p",
        version=1,
        account=CONFIG.account(account),
        platform="facebook",
        kind="post",
        permalink="https://example.test/p",
        text=text,
        published_at=datetime(2026, 10, 2, 23, 0, tzinfo=UTC),
    )


def _kinds(text: str, account: str = "emp-brandt") -> set[str]:
    hits = PoliticalUse().run(_post(text, account), PoliticalUseParams(), CTX)
    return {h.key.removeprefix("political_use:") for h in hits}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prairie Lakes High teachers endorse Maria Olsen for state senate!", {"political"}),
        ("Vote for Tom Reeve — Northwood Elementary staff know he gets it.", {"political"}),
        ("As a PLHS teacher I'm asking you to vote no on Amendment 3", {"political", "cause"}),
        ("Lakeview Elementary moms: 20% off my candle shop with code LAKEVIEW20", {"commercial"}),
        ("PLHS teacher here — tutoring openings for fall, DM me to book", {"commercial"}),
        ("Cedar Ridge Middle staff, please sign the petition to save the wetlands park", {"cause"}),
    ],
)
def test_district_name_used_for_promotion_is_flagged(text: str, expected: set[str]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Vote for Tom Reeve on Tuesday!",  # no district name
        "As a teacher in this district, I endorse Maria Olsen.",  # "this district" is not its name
        "Bake sale at Prairie Lakes High Saturday, 20% off after noon to support the band boosters",
        "Buy tickets for the PLHS musical online, order now before they sell out (fundraiser)",
        "Vote for PLHS in the Channel 4 school spirit contest!",
        "Our Cedar Ridge Middle civics class held a mock election today",
        "Students at Prairie Lakes High met Senator Olsen on the Capitol field trip",
        "Lakeview Elementary book fair is this week — order now online too!",
        "20% off at my shop this weekend, code FALL20",  # no district name
    ],
)
def test_near_misses_are_not_flagged(text: str) -> None:
    assert _kinds(text) == set()


def test_sponsored_pages_are_left_to_personal_only_switch() -> None:
    text = "Thanks to our sponsor Lakes Pizza: show your PLHS ticket for 10% off tonight!"
    assert _kinds(text, account="plhs-activities") == set()
    params = PoliticalUseParams(personal_only=False)
    hits = PoliticalUse().run(_post(text, "plhs-activities"), params, CTX)
    assert [h.key for h in hits] == ["political_use:commercial"]


def test_name_far_from_the_cue_does_not_count() -> None:
    text = "Great day at Prairie Lakes High! " + "Lovely weather. " * 20 + "Vote for Tom Reeve!"
    assert _kinds(text) == set()
    wide = PoliticalUseParams(window=1000)
    assert len(PoliticalUse().run(_post(text), wide, CTX)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm running for the county board! 14 years at Prairie Lakes High School", {"political"}),
        ("Vote Ochoa on May 12, Prairie Lakes High School families know me", {"political"}),
        ("Prairie Lakes High School: vote early, polls open at 7", set()),
        ("Prairie Lakes Public Schools teachers stand with the nurses' strike!", {"cause"}),
        (
            "I endorse the idea that every Prairie Lakes High School kid deserves a field trip",
            set(),
        ),
        ("Running for the Prairie Lakes High School cross country team this fall", set()),
    ],
)
def test_candidacies_and_vote_for_a_name(text: str, expected: set[str]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vote yes for our kids! I teach at PLHS and the roof leaks. #YesForPLHS", {"political"}),
        ("I teach at Lakeview Elementary: please vote NO, our levy is enough", {"political"}),
        (
            "New in my TPT store: the Cedar Ridge Middle reading unit I use every day, $4",
            {"commercial"},
        ),
        ("Lakeview Elementary teachers love these printables, link in sidebar", {"commercial"}),
        ("Restocked my teacher sticker shop, PLHS colours included", {"commercial"}),
        # near-misses
        ("PLHS student council: vote yes or no on the dress code in homeroom", set()),
        ("My store run for the PLHS bake sale is done", set()),
    ],
)
def test_ballot_measures_and_teacher_stores(text: str, expected: set[str]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PLHS teacher here, my campaign for city council starts today", {"political"}),
        ("Our Lakeview Elementary family could use help, GoFundMe link below", {"cause"}),
        ("Cedar Ridge Middle teachers swear by this planner (affiliate link)", {"commercial"}),
    ],
)
def test_campaigns_fundraising_pages_and_affiliate_links(text: str, expected: set[str]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PLHS moms, I'm selling candles now! DM me for the Lakers scent", {"commercial"}),
        ("Lakers dad hats $20, pickup at my shop on Main. Show your PLHS pride", {"commercial"}),
        ("$300 off any mower at my cousin's store, bring your PLHS ticket", {"commercial"}),
        ("PLHS staff: the county caucus is Tuesday night, come out", {"political"}),
        ("Educators for Dana Whitcomb! Door-knocking Saturday from the PLHS lot", {"political"}),
        ("Prairie Lakes teachers say YES on the library levy", {"cause"}),
        # the name run into a hashtag
        ("Vote yes on the bond Nov 5! #PLHSscience", {"political", "cause"}),
    ],
)
def test_selling_organising_and_names_in_hashtags(text: str, expected: set[str]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "PLHS teachers for the win at trivia night!",
        "Vote yes on the bond Nov 5! #plhsview",  # an acronym counts only in capitals
        "Our PLHS booster club is selling spirit wear, $20 hoodies, pickup at the game",
    ],
)
def test_selling_and_organising_near_misses(text: str) -> None:
    assert _kinds(text) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Book with the official photographer of Prairie Lakes Schools, DM me", "commercial"),
        ("Taught by the PLHS band director. Private lessons now booking for fall!", "commercial"),
        ("My drill charts, as played by the PLHS Marching Band, now $25", "commercial"),
        ("Voice lessons from a PLHS choir teacher: $30/half hour", "commercial"),
        ("PLHS special ed teachers are backing Dr. Lena Marsh for State Superintendent",
         "political"),
        ("Prairie Lakes teachers for a blue county! Canvass Saturday", "political"),
    ],
)
def test_a_business_or_campaign_given_the_districts_name(text: str, expected: str) -> None:
    assert expected in _kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "PLHS band concert tonight, tickets $5 at the door",
        "So proud of the PLHS photographer club's show, now open in the library",
        "PLHS seniors: the state superintendent visits on Friday",
        "Our PLHS kids played that arrangement beautifully tonight",
    ],
)
def test_school_events_and_visits_are_not_promotion(text: str) -> None:
    assert _kinds(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "Las profes de PLHS apoyamos a Daniel Ochoa para comisionado del condado. ¡Vota Ochoa!",
        "Maestros de Prairie Lakes High: voten por Ana Ruiz el 3 de noviembre",
    ],
)
def test_a_campaign_in_spanish(text: str) -> None:
    assert "political" in _kinds(text)


def test_spanish_school_news_is_not_a_campaign() -> None:
    assert _kinds("PLHS: los estudiantes votan hoy en el consejo estudiantil") == set()
