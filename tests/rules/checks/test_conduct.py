"""conduct: obscene, harassing, threatening and substance-promoting language about the district."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.conduct import Conduct, ConductParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))
SCOPED = ConductParams()  # WF, W-E-M, Alexandria: "when referring to ..."
ANYWHERE = ConductParams(require_reference=False)  # Moorhead 447.1 III.C, JNDC personal sites


def _post(text: str, account: str = "emp-ortiz") -> Target:
    return Target(
        post_id="p1",
        version=1,
        account=CONFIG.account(account),
        platform="facebook",
        kind="post",
        permalink="https://example.test/p1",
        text=text,
        published_at=datetime(2026, 10, 2, 23, 0, tzinfo=UTC),
    )


def _categories(text: str, params: ConductParams = SCOPED, account: str = "emp-ortiz") -> set[str]:
    return {
        h.key.removeprefix("conduct:") for h in Conduct().run(_post(text, account), params, CTX)
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This fucking school board can't run a bake sale", {"obscene"}),
        ("My 3rd graders are little shits today", {"obscene"}),
        ("Prairie Lakes High parents are the worst, what a bunch of idiots", {"harassment"}),
        ("Honestly the kid in my class who never stops talking is a total moron", {"harassment"}),
        ("If that student mouths off one more time I swear I'll smack him", {"threat"}),
        ("someone should shoot up the school board meeting", {"threat"}),
        ("Staff party Friday, let's get absolutely wasted", {"substances"}),
        ("Taught my whole class hungover lol", {"substances"}),
        (
            "Bought beer for the seniors after the PLHS game, don't tell the principal",
            {"illegal", "substances"},
        ),
        ("That new sub is so hot, Cedar Ridge Middle got lucky this year", {"sexual"}),
        ("Zoë Martínez is such a loser", {"harassment"}),
        ("Our principal is a spineless clown and everyone at PLHS knows it", {"harassment"}),
        ("Drove home from the PLHS tournament after six beers, no problem", {"illegal"}),
        ("Senior party after homecoming, I'll have the keg ready", {"substances"}),
        ("The new sub at Cedar Ridge is sexy af", {"sexual"}),
    ],
)
def test_offensive_post_referring_to_the_district_is_flagged(text: str, expected: set[str]) -> None:
    assert _categories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United won again",
        "Class assessment results go home Friday",
        "A cocktail of ideas at the Prairie Lakes staff PD today",
        "Shoot for the stars, students!",
        "Our choir killed it at the concert tonight",
        "We're going to beat the Bulldogs on Friday, Prairie Lakes High!",
        "This science test is killing my students, send snacks",
        "Red Ribbon Week: our students pledged to stay drug free",
        "Shoot me an email if your student needs the make-up packet",
        "It's so hot in my classroom the crayons are melting",
        "Potluck for staff in the PLHS cafeteria, bring a dish",
        "Hell yeah, our team is going to state!",
        "Our students got high marks on the state science test",
        "Photo shoot for the Lakeview Elementary yearbook on Tuesday",
        "My students made a stupid-simple catapult and it worked",
        "Mason is our class clown and we love him",
        "PLHS staff: bring the booze to Karen's retirement party",
        "Our team took 30 shots on goal and had root beer floats after",
    ],
)
def test_hard_negatives_about_the_district_are_not_flagged(text: str) -> None:
    assert _categories(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "Traffic on I-94 was fucking ridiculous tonight",
        "Vegas weekend, let's get absolutely wasted",
    ],
)
def test_offensive_post_without_district_reference_depends_on_pack_wording(text: str) -> None:
    assert _categories(text, SCOPED) == set()
    assert _categories(text, ANYWHERE) != set()


def test_sponsored_page_needs_no_reference_because_it_speaks_for_the_district() -> None:
    assert _categories("What a shitty call by that ref", account="plhs-activities") == {"obscene"}


def test_pack_that_limits_categories_leaves_out_the_classifier() -> None:
    jndc_language = ConductParams(require_reference=False, categories=["obscene", "sexual"])
    assert _categories("My neighbor's dog is an idiot, he ate a sock", jndc_language) == set()
    assert _categories("What a shitty week", jndc_language) == {"obscene"}


def test_district_can_add_and_allow_terms() -> None:
    params = ConductParams(extra_terms=["sucks"], allow_terms=["kick their ass"])
    assert _categories("The new grading system at PLHS sucks", params) == {"extra"}
    assert _categories("Our team is going to kick their ass on Friday", params) == set()


def test_hit_carries_spans_and_a_category_without_names() -> None:
    text = "Zoë Martínez is such a loser"
    [hit] = Conduct().run(_post(text), SCOPED, CTX)
    assert hit.category == "harassing or bullying language"
    assert "Zo" not in hit.category and "Mart" not in hit.category
    labels = {s.label for s in hit.spans}
    assert "harassment" in labels and "reference:student" in labels
    offending = next(s for s in hit.spans if s.label == "harassment")
    assert "loser" in text[offending.start : offending.end]


def test_classifier_flags_offensive_wording_missing_from_the_lexicon() -> None:
    text = "Our vice principal is a fucktard and a dipshit"
    hits = Conduct().run(_post(text), SCOPED, CTX)
    # fuck* is in the lexicon; "a ... dipshit" is an insult aimed at a person
    assert {h.key for h in hits} == {"conduct:obscene", "conduct:harassment"}
    dipshit = "The PLHS school board president is a dipshit fuckwit"
    without_lexicon = ConductParams(categories=["classifier"])
    [hit] = Conduct().run(_post(dipshit), without_lexicon, CTX)
    assert hit.key == "conduct:classifier" and hit.detector == "alt-profanity-check"
    assert hit.score >= without_lexicon.classifier_threshold


BATCH = [
    "The PLHS school board president is a dipshit fuckwit",
    "This fucking school board can't schedule a bus",
    "Great game tonight at PLHS, proud of our students!",
    "Our students were absolute twats at the assembly",
    "Stay high on life, PLHS seniors",
    "",
]


@pytest.mark.parametrize("params", [SCOPED, ANYWHERE, ConductParams(categories=["classifier"])])
def test_a_prepared_batch_gives_what_posts_one_by_one_give(params: ConductParams) -> None:
    targets = [_post(text) for text in BATCH]
    alone = [[h.evidence() for h in Conduct().run(t, params, CTX)] for t in targets]
    check = Conduct()
    check.prepare(targets, params, CTX)
    assert [[h.evidence() for h in check.run(t, params, CTX)] for t in targets] == alone
    assert any(alone)
    # a target outside the prepared batch is analysed on the spot
    other = _post(BATCH[0])
    assert [h.evidence() for h in check.run(other, params, CTX)] == alone[0]


def test_batch_scores_equal_single_scores() -> None:
    from rules.checks.conduct import _classifier

    model = _classifier()
    texts = [t for t in BATCH if t]
    assert model.scores(texts) == pytest.approx([model.score(t) for t in texts], abs=1e-9)
    assert model.scores([]) == []


def test_a_post_without_any_lexicon_or_screen_word_is_shut_out_by_the_gate() -> None:
    from rules.detect.lexicons import fold
    from rules.detect.lexicons.matcher import words

    gate = Conduct().gate(SCOPED, CTX)
    for text in BATCH:
        folded = fold(text)
        if not gate.opens(folded, words(folded)):
            assert Conduct().run(_post(text), ANYWHERE, CTX) == []
    shut = fold("Great game tonight at PLHS, proud of our students!")
    assert not gate.opens(shut, words(shut))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # masked profanity is still profanity: the masks stand for the letters
        ("That was a f***ing disgrace at the PLHS game tonight", {"obscene"}),
        ("The last call at the PLHS game was absolute bullsh*t", {"obscene"}),
        ("Some of my 7th grade students are little a**holes this week", {"obscene"}),
        ("Whoever in the district office cut the art budget can kiss my whole ass", {"obscene"}),
        ("Those parents at Cedar Ridge can go straight to hell", {"obscene"}),
        # insults after a determiner, and object words said of people
        (
            "Board member Vang at the PLHS meeting: an uninformed, fear-mongering moron",
            {"harassment"},
        ),
        ("These PLHS kids are so disrespectful, some of them are just trash", {"harassment"}),
        # threats, smuggled alcohol, vandalism, sexualised remarks about staff
        ("To the PLHS parent who keyed my truck: you'll find out what happens", {"threat"}),
        (
            "Tip for our juniors: if you sneak vodka in a Gatorade bottle make it a clear one",
            {"substances"},
        ),
        ("Seniors, TP Vogel's house this weekend for the senior prank", {"illegal"}),
        ("The new physics teacher at PLHS would be THIS much of a snack", {"sexual"}),
        # taunting another school's team or fans from a district page
        (
            "Walker Creek fans, cry harder, your team is TRASH. PLHS 71, Walker Creek 44",
            {"harassment"},
        ),
        (
            "Thanks for packing PLHS! Also Perham, your fans can stay home next year \U0001f921",
            {"harassment"},
        ),
        (
            "Next time that dad touches one of my players I'm going to knock his teeth out",
            {"threat"},
        ),
        ("Cedar Ridge kids, I swear half of them are on Adderall", {"substances"}),
        ("That fat slob of a bus driver yelled at PLHS kids again", {"harassment"}),
    ],
)
def test_generalised_forms_are_flagged(text: str, expected: set[str]) -> None:
    assert _categories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Our PLHS team took 30 shots on goal and won 2-1",
        "AI detectors are useless for grading my students' essays",
        "PLHS juniors are nervous about being the guinea pig class for the new schedule",
        "**Reminder** our students get $5 off yearbooks this week",
        "Our PLHS class clown show raised $300 for the food shelf",
        "The PLHS weather was ugly but the band sounded great",
        "PLHS fans loved the clown \U0001f921 costumes at halftime",
    ],
)
def test_generalised_forms_leave_near_misses_alone(text: str) -> None:
    assert _categories(text) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # contempt for a group or a person, without a slur or a swear word
        (
            "The parents yelling at my players were the nastiest bunch of adults I've seen",
            {"harassment"},
        ),
        ("To the visiting fans who booed our seniors: classless, all of you.", {"harassment"}),
        (
            "Our seniors got heckled by a pack of inbred rednecks from across the river",
            {"harassment"},
        ),
        (
            "Our new principal has no idea what he's doing. Three weeks and two lost files.",
            {"harassment"},
        ),
        # a dismissive command as its own sentence, aimed at a parent
        ("Another email to the principal about my grading. Get over it, lady.", {"harassment"}),
        ("Mom of a PLHS benchwarmer: your son is not that talented. Deal with it.", {"harassment"}),
        # near-misses: the same words in ordinary use, or an insult the writer disowns
        ("My students have watched each other grow up since kindergarten.", set()),
        ("Told my 3rd graders to sit down and open their books.", set()),
        ("The kindest bunch of people showed up to help our students today.", set()),
        ("Not trying to be a jerk, but please return the library books, students!", set()),
        ("So proud of every one of you, seniors!", set()),
        ("I stole the school's idea for reading bingo and my class loved it", set()),
    ],
)
def test_contempt_and_dismissal_aimed_at_people(text: str, expected: set[str]) -> None:
    assert _categories(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "@hoopdad maybe if your son could dribble he'd see the floor. Our team is fine.",
            {"harassment"},
        ),
        (
            "Maybe if your daughter ever showed up she would start. Just saying, our team",
            {"harassment"},
        ),
        ("Maybe if your kid is sick, keep him home from our school, thanks!", set()),
    ],
)
def test_sarcastic_put_downs_of_a_child_to_the_parent(text: str, expected: set[str]) -> None:
    assert _categories(text) == expected


def test_a_dismissive_command_said_of_a_crowd_stays_mild() -> None:
    assert _categories("PLHS fans who threw stuff at the refs: grow up.") == set()
    assert _categories("PLHS fans who threw stuff at the refs: grow up. 🙄") == {"harassment"}
    assert _categories("If you threw stuff at the PLHS refs, I saw you. Grow up.") == {"harassment"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # look-alike characters and phonetic spellings of profanity and slurs
        ("Our PLHS parking lot plowing plan is pure bullsh1t", {"obscene"}),
        ("The 8th graders in my class are acting like little sh!ts", {"obscene"}),
        ("who the fuk thought a PLHS pep rally at 7am was smart", {"obscene"}),
        ("These r3tards on the school board cut the music budget again", {"harassment"}),
        ("Shoutout to the a**hats at the district office who moved prep time", {"obscene"}),
        # contempt for a person or a person's work without a slur
        ("Honestly the kid in 4th hour? this kid's essay is garbage", {"harassment"}),
        ("That sub they sent us at Cedar Ridge is dumb as a box of rocks", {"harassment"}),
        ("Worst para ever: the laziest para I've met at PLHS", {"harassment"}),
        ("The idiots on the PLHS site council voted it down", {"harassment"}),
        ("Visiting fans at PLHS tonight: classless fans, all night long", {"harassment"}),
        ("Parent emailing me at 11pm about PLHS homework, nobody asked you", {"harassment"}),
        # threats, intoxication on the job, sexual remarks about a colleague
        ("Whoever keyed my car in the PLHS lot: you will regret the day you did it", {"threat"}),
        ("The things I would do to that new PLHS gym teacher", {"sexual"}),
        ("Survived PLHS conferences thanks to edibles at lunch 😂", {"substances"}),
    ],
)
def test_disguised_spellings_and_plain_word_contempt(text: str, expected: set[str]) -> None:
    assert _categories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Galaxy A55 phones for the PLHS robotics team arrived",
        "PLHS lunch menu: pizza at lunch, tacos tomorrow",
        "Whoever took the good stapler from the PLHS office: I will find you 😤",
        "Our PLHS art show had the best student work, none of it garbage-level, all gold",
        "Sophomores at PLHS, you've been warned: the chemistry final is hard",
    ],
)
def test_disguised_and_contempt_forms_leave_near_misses_alone(text: str) -> None:
    assert _categories(text) == set()


def test_a_student_named_by_surname_and_kin_word_is_a_reference_for_an_insult() -> None:
    # No school, class or district word: the roster's "Young kid" is what ties it to the district.
    assert _categories("the Young kid is a total idiot, told him so") == {"harassment"}
    assert _categories("some random guy at the gas station is a total idiot") == set()


def test_everyday_high_school_and_food_drive_posts_stay_behind_the_gate() -> None:
    from rules.detect.lexicons import fold
    from rules.detect.lexicons.matcher import words

    gate = Conduct().gate(SCOPED, CTX)
    for text in ("Prairie Lakes High plays at home tonight", "Canned food drive at PLHS"):
        folded = fold(text)
        assert not gate.opens(folded, words(folded))
    # the phrases the patterns read still open it, and are still found
    assert _categories("Our PLHS seniors planning to get high before class") == {"substances"}
    assert _categories("Drove home from the PLHS game after six beers, fine") == {"illegal"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # sarcasm and contempt without an insult word
        ("Read the PLHS newsletter, Dana. Not that reading is your strong suit.", {"harassment"}),
        ("The bus schedule is on the PLHS site. Maybe you can't read, genius.", {"harassment"}),
        ("PLHS wrestling weigh-ins again and crying. Toughen up buttercup.", {"harassment"}),
        (
            "The PLHS mom who cut the pickup line: have some respect, you absolute witch.",
            {"harassment"},
        ),
        ("PLHS curriculum committee met today. Absolute morons.", {"harassment"}),
        ("The PLHS staff who never answer e-mail: lazy, entitled bunch.", {"harassment"}),
        ("Our new PLHS assistant principal is a walking HR violation", {"harassment"}),
        ("Mr. Ortiz, everyone on staff is laughing at you.", {"harassment"}),
        # wished violence, and drinking with players hidden from the adults
        ("The PLHS kid who keeps stealing lunches, I'd smack him if I could", {"threat"}),
        ("If the district cuts prep again someone is going to get punched", {"threat"}),
        ("Cold ones after the win 🍻 the PLHS boys earned it (don't tell the AD)", {"substances"}),
    ],
)
def test_contempt_without_insult_words_threats_and_hidden_drinking(
    text: str, expected: set[str]
) -> None:
    assert _categories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "PLHS seniors, you absolute legends, what a season",
        "PLHS students: can you even read this font? I can't, switching it",
        "I'd hit the PLHS gym early tomorrow if I could",
        "Our PLHS students earned it: pizza party 🍕 on Friday!",
        "The PLHS boys earned it tonight, proud coach",
    ],
)
def test_contempt_forms_leave_praise_and_plans_alone(text: str) -> None:
    assert _categories(text) == set()


def test_a_school_named_by_its_place_word_beside_its_people_is_a_reference() -> None:
    text = "That Cedar kid who shoves everyone is a total idiot"  # not the place word itself
    assert _categories(text) == set()
    text = "the Lakeview kids who trashed the bus are total idiots"
    assert _categories(text) == {"harassment"}
    assert _categories("the Lakeview Road sign is a total idiot magnet") == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Los papás de PLHS son unos pendejos", {"obscene"}),
        ("Which of you sh*theads left the PLHS band room open?", {"obscene"}),
        ("PLHS parents who yell at refs: grow the hell up", {"harassment"}),
        ("Mr. Ortiz, you are a disgrace and a bully to our students", {"harassment"}),
        ("To the PLHS parent who yelled at my driver: do it again and see what happens",
         {"threat"}),
        ("Half the PLHS juniors showed up high as a kite lol", {"substances"}),
        ("PLHS staff party 🍻🍻 who's driving lol", {"substances"}),
        ("PLHS coaches bowling night: shots for every strike!!!", {"substances"}),
    ],
)
def test_more_languages_masks_and_drinking_games(text: str, expected: set[str]) -> None:
    assert _categories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "PLHS student section was LOUD tonight #blackout",
        "The PLHS growth chart: watch them grow up so fast",
        "PLHS carpool: who's driving Saturday?",
        "Every PLHS kid gets a free book for every book they read",
    ],
)
def test_themes_carpools_and_reading_rewards_stay_quiet(text: str) -> None:
    assert _categories(text) == set()
