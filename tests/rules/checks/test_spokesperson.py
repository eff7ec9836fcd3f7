"""spokesperson: a personal account posting as if it spoke for the district."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.spokesperson import Spokesperson, SpokespersonParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))


def _post(text: str, account: str = "emp-haugen", kind: str = "post") -> Target:
    return Target(
        post_id="p",
        version=1,
        account=CONFIG.account(account),
        platform="bluesky",
        kind=kind,
        permalink="https://example.test/p",
        text=text,
        published_at=datetime(2026, 10, 2, 23, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "text",
    [
        "On behalf of Prairie Lakes Public Schools, I want to apologize to the families affected.",
        "Official statement: the bus delays this week were caused by a driver shortage.",
        "We at Cedar Ridge Middle have decided to cancel the spring dance.",
        "The district announces that Friday will be a full day of school.",
        "PLHS is pleased to announce our new principal!",
        "Speaking for the district: we take these concerns seriously.",
        "As a representative of Prairie Lakes Schools, I can say the levy money is safe.",
    ],
)
def test_personal_post_speaking_for_the_district_is_flagged(text: str) -> None:
    [hit] = Spokesperson().run(_post(text), SpokespersonParams(), CTX)
    assert hit.category == "personal account speaking for the district" and hit.spans


@pytest.mark.parametrize(
    "text",
    [
        "Sharing the district's official statement: school starts at 10 tomorrow.",
        "Per the district, the official statement: buses run two hours late.",
        "Proud of the Cedar Ridge Middle science fair kids today!",
        "Looks like the district announced a snow day, enjoy it everyone",
        "My official statement on pumpkin spice: yes.",
        "We at the lake cabin have decided to stay another night",
        "I spoke on behalf of my neighbourhood association at the city council",
        "Read the district's statement here: the district announces new start times",
    ],
)
def test_reporting_or_unrelated_wording_is_not_flagged(text: str) -> None:
    assert Spokesperson().run(_post(text), SpokespersonParams(), CTX) == []


def test_sponsored_accounts_shares_and_authorised_accounts_are_not_judged() -> None:
    text = "Official statement: the district announces new start times."
    assert Spokesperson().run(_post(text, account="plps-district"), SpokespersonParams(), CTX) == []
    assert Spokesperson().run(_post(text, kind="share"), SpokespersonParams(), CTX) == []
    authorised = SpokespersonParams(authorized_accounts=["emp-haugen"])
    assert Spokesperson().run(_post(text), authorised, CTX) == []
    assert len(Spokesperson().run(_post(text), SpokespersonParams(), CTX)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Heads up PLHS families: the district will be rolling out new Chromebooks in November",
        "The district has made its decision and I can tell you officially: no school Monday",
        "Speaking for the whole coaching staff and the district here: practices are closed",
        "NO SCHOOL TODAY. The district is also going to make this up on Feb 16",
        "I can say for Lakeview Elementary that we will now offer interpreted conferences",
        "Announcement from Lakeview Elementary: we are moving the spring concert to May 3",
        "Representing Prairie Lakes High School today, I accept this award for our district",
    ],
)
def test_the_districts_decision_told_as_settled_fact_is_flagged(text: str) -> None:
    assert len(Spokesperson().run(_post(text), SpokespersonParams(), CTX)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "I hope the district will be adopting the new math series",
        "Does anyone know if the district will be closing early?",
        "The district announced last night the district will be closing early today",
        "PLHS will be playing Moorhead on Friday, come cheer!",
        "This is official: best pizza in town is at Sal's",
        "Representing Prairie Lakes High School at the state meet this weekend!",
    ],
)
def test_hedged_reported_or_ordinary_future_is_not_flagged(text: str) -> None:
    assert Spokesperson().run(_post(text), SpokespersonParams(), CTX) == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        # an official word in a school's name
        ("OFFICIAL: PLHS will dismiss two hours early tomorrow because of the storm", True),
        ("Official word from the Cedar Ridge Middle office: no phones at lunch from Monday", True),
        ("The PLHS science department's official position is that calculators stay home", True),
        ("I'm speaking officially as the adviser: the PLHS robotics trip is cancelled", True),
        # a decision placed in, or owned for, the organisation
        ("We have decided here at Cedar Ridge Middle that recess stays outdoors all winter", True),
        ("Prairie Lakes Schools has now decided to move graduation indoors", True),
        ("Parents: the district is moving conferences to March. That's our decision, sorry", True),
        ("Consider this the announcement: Cedar Ridge Middle picture day moves to Friday", True),
        # near-misses: unofficial talk, a family's decision, hoping, relaying
        ("Unofficial poll: should PLHS have a later start?", False),
        ("Not official yet, but I hope PLHS moves the dance", False),
        ("We decided at dinner to go to the PLHS homecoming game", False),
        ("That's our decision as a family: the kids stay at PLHS next year", False),
        ("I hope the district has now decided to fix the roof at PLHS", False),
        ("Sharing the PLHS office's official position: phones stay in lockers", False),
    ],
)
def test_official_voice_and_owned_decisions(text: str, flagged: bool) -> None:
    assert bool(Spokesperson().run(_post(text), SpokespersonParams(), CTX)) is flagged


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Effective immediately, PLHS will no longer sell tickets at the door", True),
        ("Please be advised that Prairie Lakes Schools will close at noon on Friday", True),
        ("I can confirm that Lakeview Elementary will keep half days in May", True),
        ("The district's decision is final, no more appeals about the bus routes", True),
        ("Cedar Ridge Middle families, we have decided to end the phone pilot", True),
        ("We're closing Cedar Ridge Middle early today because of the boiler", True),
        # near-misses
        ("Effective immediately I am on a no-sugar diet, wish me luck PLHS staff", False),
        ("Can anyone confirm whether PLHS will have school Monday?", False),
        ("We're closing the PLHS gym at 5 for the volleyball setup", False),
        ("The district's decision on the bus routes comes out Friday", False),
    ],
)
def test_notices_in_the_organisations_name(text: str, flagged: bool) -> None:
    assert bool(Spokesperson().run(_post(text), SpokespersonParams(), CTX)) is flagged


@pytest.mark.parametrize(
    "text",
    [
        "Official from PLHS athletics: we will host the section final this spring.",
        "I'm posting this officially for the district office since the phones are jammed.",
        "I'm authorized to say it: Prairie Lakes Public Schools will drop the old math series.",
        "As PLHS's representative here, the prom venue is final.",
        "I can confirm the school's position: field day moves to June 3.",
        "We at Cedar Ridge Middle science made the call to cancel the fair.",
        "Statement from Lakers robotics and PLHS: we will not comment further.",
        "PSA from the district: all library books must be returned by Friday.",
        # a school's one-word place name in a phrase that claims to speak for it
        "We at Northwood have decided there will be no homework over break.",
    ],
)
def test_official_voice_in_more_forms_is_flagged(text: str) -> None:
    assert Spokesperson().run(_post(text), SpokespersonParams(), CTX)


@pytest.mark.parametrize(
    "text",
    [
        "An official from the district came to watch our PLHS practice today.",
        "so it's the district's call? or the coach's",
        "PSA from the PLHS office: we are out of lost-and-found space, grab your coats",
        "Northwood kids made the cutest turkeys today.",
    ],
)
def test_official_voice_near_misses_are_not_flagged(text: str) -> None:
    assert Spokesperson().run(_post(text), SpokespersonParams(), CTX) == []


def test_only_the_patterns_whose_fragments_occur_run() -> None:
    built = Spokesperson()._patterns(CTX)
    assert built.wanted("we had a lovely day at plhs") == []
    chosen = built.wanted("on behalf of plhs")
    assert chosen and all(p.pattern.startswith("\\bon\\s+behalf") for p in chosen)


def test_telling_that_officially_is_speaking_for_the_district() -> None:
    text = "Lakeview Elementary keeps its bell times, and I am telling you that officially."
    assert Spokesperson().run(_post(text), SpokespersonParams(), CTX)
    hedged = "I am not telling you that officially, Lakeview Elementary has not decided."
    assert Spokesperson().run(_post(hedged), SpokespersonParams(), CTX) == []


def _flagged(text: str) -> bool:
    return bool(Spokesperson().run(_post(text), SpokespersonParams(), CTX))


@pytest.mark.parametrize(
    "text",
    [
        "Cedar Ridge Middle School is officially canceling the spring dance. Please stop calling.",
        "PLHS officially announces that the band trip is off this year.",
        "It's official: Lakeview Elementary is going to the zoo in May!",
        "After the meetings, here it is officially: PLHS will not offer AP Lit next fall.",
        "PLHS statement on the network outage: no student records were accessed.",
        "We on the district side made the call this morning and refunds go out Monday.",
        "Speaking for the building since I chair the department: the schedule stays.",
        "PLHS will drop the late bus in January. That's final, so please stop emailing.",
        "Folks, no school today for PLHS. You heard it here first, official from the district.",
    ],
)
def test_an_announcement_made_official_in_the_posts_own_words_is_flagged(text: str) -> None:
    assert _flagged(text)


@pytest.mark.parametrize(
    "text",
    [
        "It's official: I'm engaged!! 💍",
        "I heard PLHS will not offer AP Lit next fall, anyone know more?",
        "If PLHS will not offer AP Lit, where do the kids go?",
        "We at home decided on tacos tonight",
        "Not speaking for the building here, just me: I love this schedule",
        "The district officially announced the new calendar today, link below",
    ],
)
def test_official_wording_about_oneself_or_reported_is_not_flagged(text: str) -> None:
    assert not _flagged(text)


@pytest.mark.parametrize(
    "text",
    [
        "Big news, heard here first: we at PLHS have decided that seniors can leave at lunch.",
        "Officially, on behalf of the high school: the band is going to the Rose Parade!",
        "The district will be expanding the inclusion program next year, that's final.",
        "We have decided, as the PLHS music department, that the band travels in March.",
    ],
)
def test_the_schools_voice_with_a_first_hand_hook(text: str) -> None:
    assert _flagged(text)


def test_a_first_hand_hook_still_leaves_hearsay_alone() -> None:
    assert not _flagged("I heard the district will be expanding the inclusion program, final?")
