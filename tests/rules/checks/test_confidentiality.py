"""confidentiality: students named with records or identifiers, opted-out students named anywhere,
documents marked confidential and personnel matters; and the near-misses that must stay quiet."""

from __future__ import annotations

import pytest

from rules.base import Hit
from rules.checks.confidentiality import Confidentiality, ConfidentialityParams
from tests.rules.helpers import config, context, target

ALL = ConfidentialityParams(
    categories=(
        "student-record",
        "student-identifier",
        "opt-out-student-named",
        "student-named-without-consent",
        "confidential-document",
        "personnel-matter",
    )
)
DEFAULT = ConfidentialityParams()
CFG = config()


def _run(
    text: str, account: str = "emp-ortiz", params: ConfidentialityParams = DEFAULT
) -> list[Hit]:
    return Confidentiality().run(target(text, account, CFG), params, context(CFG))


def _keys(
    text: str, account: str = "emp-ortiz", params: ConfidentialityParams = DEFAULT
) -> set[str]:
    return {hit.key for hit in _run(text, account, params)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full name, any case, with each record kind
        ("Had an IEP meeting for Maya Johnson today", {"student-record:20231001"}),
        ("maya johnson's 504 plan needs updating", {"student-record:20231001"}),
        ("MAYA JOHNSON got detention again", {"student-record:20231001"}),
        ("Maya Johnson was diagnosed with ADHD last spring", {"student-record:20231001"}),
        ("Maya Johnson has missed 12 days this term", {"student-record:20231001"}),
        ("Maya Johnson is failing chemistry", {"student-record:20231001"}),
        ("Maya Johnson's test scores came back low", {"student-record:20231001"}),
        ("Maya Johnson has been seeing the school counselor weekly", {"student-record:20231001"}),
        # possessive, curly apostrophe, first + initial
        ("Maya Johnson’s suspension ends Monday", {"student-record:20231001"}),
        ("Maya J. was suspended for fighting", {"student-record:20231001"}),
        # diacritics both ways and the preferred name
        ("Jose Ramirez is on a behavior plan", {"student-record:20231002"}),
        ("José Ramírez is on a behavior plan", {"student-record:20231002"}),
        ("Pepe Ramirez is on a behavior plan", {"student-record:20231002"}),
        ("Pepe R. is on a behavior plan", {"student-record:20231002"}),
        # a later sentence that goes on about the same person
        ("Maya Johnson had a rough week. Her suspension ends Monday.", {"student-record:20231001"}),
        # a unique, non-word first name next to a record
        ("Jaxon had a rough day, his therapist called", {"student-record:20231006"}),
        # identifiers
        ("Maya Johnson lives at 412 Birch Lane, stop by", {"student-identifier:20231001"}),
        ("Text Maya Johnson at 218-555-0199 about the ride", {"student-identifier:20231001"}),
        ("Maya Johnson's email is mayaj2010@gmail.com", {"student-identifier:20231001"}),
        ("Maya Johnson, DOB 04/12/2011, needs a new bus pass", {"student-identifier:20231001"}),
        ("Maya Johnson was born on March 3, 2011", {"student-identifier:20231001"}),
        ("Found a lunch card, student ID 20231007, please claim", {"student-identifier:20231007"}),
        # documents marked confidential, personnel matters about named staff
        ("CONFIDENTIAL: draft staffing plan for next year", {"confidential-document"}),
        ("FERPA protected - do not share outside the team", {"confidential-document"}),
        ("Attached notes (for internal use only)", {"confidential-document"}),
        ("Budget cuts memo. DO NOT DISTRIBUTE", {"confidential-document"}),
        ("Mr. Nguyen is on administrative leave pending review", {"personnel-matter:E100"}),
        ("Heard Rachel Ortiz is under investigation by HR", {"personnel-matter:E101"}),
        ("Ms. Ortiz got a bad evaluation this year", {"personnel-matter:E101"}),
    ],
)
def test_disclosure_is_a_hit(text: str, expected: set[str]) -> None:
    # posted by a colleague: an employee's own leave or evaluation is theirs to mention
    account = "emp-nguyen" if "Ortiz" in text else "emp-ortiz"
    assert _keys(text, account) == expected


@pytest.mark.parametrize(
    "text",
    [
        # pseudonyms and IEP talk that identifies nobody (Moorhead 447.1 III.F allows pseudonyms)
        "Student A's IEP meeting went well today",
        "Three IEP meetings today, lots of coffee",
        "Proud of how our 504 team works together",
        # common words that are also first names, alone
        "Will you be at the IEP meeting?",
        "In May we hold detention for missing homework",
        "Grace under pressure: she handled her diagnosis bravely",
        # a first name shared by two students is not unique: "Emma" alone never counts
        "Emma had a rough day, her therapist called",
        # staff with a student's surname; a last name alone
        "Mr. Nguyen gave three detentions today",
        "Nguyen family fundraiser for the suspension bridge project",
        # records and names too far apart, or in unrelated sentences
        "Maya Johnson won the spelling bee. Reminder: IEP meetings are Tuesday.",
        "Maya Johnson ran the bake sale for the choir trip and sold every single cookie before "
        "lunch even started, which was amazing; separately, detention rules change next week",
        # a first name inside a longer word; a name with a different last initial
        "Mayanne Johnsonville has an IEP",
        "Maya Jones got detention",
        # near-miss identifiers: district contacts, numbers without an ID context
        "Maya Johnson: call the office at 218-555-0100 for tickets",
        "Email maya's teacher at rachel.ortiz@prairie.k12.mn.us",
        "Maya Johnson scored 20231007 points this season",
        # "confidential" as ordinary prose, "do not distribute" in lower case
        "We keep every student's information confidential.",
        "Please do not distribute flyers in the hallway",
        # an event address, not a home address
        "Maya Johnson performs at 100 Main Street on Friday",
        # a staff member talking about their own leave; staff named without a personnel term
        "Thomas Nguyen here: I'm on paternity leave until March!",
    ],
)
def test_near_miss_is_not_a_hit(text: str) -> None:
    account = "emp-nguyen" if text.startswith("Thomas Nguyen") else "emp-ortiz"
    assert _keys(text, account) == set()


def test_opted_out_student_is_named_on_any_account() -> None:
    for account in ("hs-page", "emp-ortiz"):
        assert _keys("Great game by Linh Nguyen tonight!", account) == {
            "opt-out-student-named:20231003"
        }
        assert _keys("Zoë O’Brien won the art prize", account) == {"opt-out-student-named:20231010"}


@pytest.mark.parametrize(
    "text",
    [
        "Great game by Linh N. tonight",
        "LINH NGUYEN scores again",
        "Linh Nguyen's solo was beautiful",
    ],
)
def test_opted_out_student_is_found_in_every_form(text: str) -> None:
    assert _keys(text, "hs-page") == {"opt-out-student-named:20231003"}


def test_staff_sharing_an_opted_out_students_surname_is_not_the_student() -> None:
    assert _keys("Thanks Mr. Nguyen for coaching tonight", "hs-page") == set()


def test_consented_student_celebrated_on_a_sponsored_page_is_fine() -> None:
    assert _keys("Congrats to Maya Johnson on her state title!", "hs-page", ALL) == set()
    assert _keys("Maya Johnson made National Merit semifinalist!", "hs-page", ALL) == set()


@pytest.mark.parametrize("account", ["hs-page", "emp-ortiz"])
def test_photo_consent_does_not_release_grades_records_or_scores(account: str) -> None:
    # FERPA: a GPA or a test score is an education record even in a celebration (corpus wf-32)
    for text in (
        "Maya Johnson earned a 4.0 GPA this term!",
        "Maya Johnson's IEP meeting is Tuesday",
        "Congrats to Maya Johnson on her SAT score of 1500!",
    ):
        assert _keys(text, account) == {"student-record:20231001"}, text


def test_consented_public_records_is_a_parameter() -> None:
    released = ConfidentialityParams(consented_public_records=("grades",))
    assert _keys("Maya Johnson earned a 4.0 GPA this term!", "hs-page", released) == set()
    # only on sponsored pages, only for the kinds listed
    assert _keys("Maya Johnson earned a 4.0 GPA this term!", "emp-ortiz", released) == {
        "student-record:20231001"
    }
    assert _keys("Maya Johnson's IEP meeting is Tuesday", "hs-page", released) == {
        "student-record:20231001"
    }


# Misses found by `hallmonitor eval --errors` on the corpus, each next to the near-misses that
# must stay quiet.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # common illnesses (corpus x-k15, alx-29)
        (
            "Zoe O'Brien's mom called, she's home with strep again",
            {"student-record:20231010", "opt-out-student-named:20231010"},
        ),
        ("Maya J. has head lice again, parents please check", {"student-record:20231001"}),
        ("Maya Johnson is out with the flu", {"student-record:20231001"}),
        ("Maya Johnson had surgery on Monday", {"student-record:20231001"}),
        ("Maya Johnson has a concussion from practice", {"student-record:20231001"}),
        ("Maya Johnson helped run the flu shot clinic", set()),
        ("Maya Johnson has a bad case of spring fever", set()),
        ("Maya Johnson gave a talk about police careers", set()),
        ("Maya Johnson painted the pink eyeshadow set", set()),
        # "student ID is ..." (corpus x-k17)
        (
            "Pepe Ramirez's student ID is 55512345, look up his schedule",
            {"student-identifier:20231002"},
        ),
        ("Found a lunch card, the student id is 20231007", {"student-identifier:20231007"}),
        ("Pepe Ramirez's student ID is in the office", set()),
        ("Pepe Ramirez is 12345678 steps closer to graduation", set()),
        # a mark out of 100 on a piece of work (corpus mh-16)
        (
            "Maya Johnson got a 98 on her science final, proud teacher moment!",
            {"student-record:20231001"},
        ),
        ("Maya Johnson got an 85% on the unit test", {"student-record:20231001"}),
        ("Maya Johnson got a 10 in the raffle and won a pie", set()),
        ("Maya Johnson got a 2 on her jersey this season", set()),
        # someone's attendance (corpus mh-36)
        ("Pepe Ramirez's attendance has been rough this semester", {"student-record:20231002"}),
        ("Maya Johnson: attendance has been poor since October", {"student-record:20231001"}),
        ("Thanks to Maya Johnson for her attendance at the board meeting", set()),
        ("Maya Johnson counted attendance for the concert", set()),
    ],
)
def test_fixed_misses_and_their_near_misses(text: str, expected: set[str]) -> None:
    assert _keys(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Zoe O'Brien won the art prize",  # roster: Zoë O'Brien
        "ZOË O’BRIEN won the art prize",
        "zoe o'brien won the art prize",
    ],
)
def test_diacritics_case_and_apostrophes_do_not_hide_a_student(text: str) -> None:
    assert _keys(text, "hs-page") == {"opt-out-student-named:20231010"}


def test_student_named_without_consent_is_reported_only_when_asked() -> None:
    text = "Shout-out to Jose Ramirez for helping at the food drive"
    assert _keys(text) == set()
    assert _keys(
        text, params=ConfidentialityParams(categories=("student-named-without-consent",))
    ) == {"student-named-without-consent:20231002"}
    # consented and opted-out students are not in this category
    only = ConfidentialityParams(categories=("student-named-without-consent",))
    assert _keys("Shout-out to Maya Johnson and Linh Nguyen", params=only) == set()


def test_categories_filter_what_a_rule_reports() -> None:
    text = "Linh Nguyen was suspended today"
    assert _keys(text, params=ALL) == {"opt-out-student-named:20231003", "student-record:20231003"}
    assert _keys(text, params=ConfidentialityParams(categories=("opt-out-student-named",))) == {
        "opt-out-student-named:20231003"
    }


def test_first_name_alone_can_be_switched_off() -> None:
    off = ConfidentialityParams(first_name_alone=False)
    assert _keys("Jaxon had a rough day, his therapist called", params=off) == set()


def test_a_weak_first_name_match_scores_lower_than_a_full_name() -> None:
    weak = _run("Jaxon had a rough day, his therapist called")[0]
    strong = _run("Jaxon Whitfield had a rough day, his therapist called")[0]
    assert weak.score < strong.score


def test_district_student_id_format_is_configurable() -> None:
    params = ConfidentialityParams(student_id_pattern=r"\bS\d{4}\b")
    hits = _run("Maya Johnson, student id S1234, left her jacket", params=params)
    assert {h.key for h in hits} == {"student-identifier:20231001"}
    assert _keys("Maya Johnson, student id S1234, left her jacket") == set()


@pytest.mark.parametrize("pattern", ["(", "(?P<x>\\d+)", "\\d*"])
def test_bad_student_id_pattern_is_rejected(pattern: str) -> None:
    with pytest.raises(ValueError):
        ConfidentialityParams(student_id_pattern=pattern)


def test_spans_point_at_the_evidence_and_category_names_nobody() -> None:
    text = "Reminder: Maya Johnson's IEP meeting moved to 3pm"
    [hit] = _run(text)
    shown = {(s.label, text[s.start : s.end]) for s in hit.spans}
    assert shown == {("student-name", "Maya Johnson"), ("record:iep", "IEP")}
    assert hit.category == "student-record"
    assert "Maya" not in hit.category and "Maya Johnson" in hit.summary
    assert hit.details["student_id"] == "20231001"
    assert hit.evidence()["spans"][0]["label"] in {"student-name", "record:iep"}


def test_spans_stay_aligned_with_accented_and_emoji_text() -> None:
    text = "🎉🎉 Ça va? José Ramírez’s detention is over 😅"
    hits = [h for h in _run(text) if h.category == "student-record"]
    assert {text[s.start : s.end] for s in hits[0].spans} == {"José Ramírez", "detention"}


def test_records_about_two_students_give_two_hits_with_stable_keys() -> None:
    text = "Maya Johnson and Jose Ramirez both have detention"
    first, second = _keys(text), _keys(text)
    assert first == second == {"student-record:20231001", "student-record:20231002"}


def test_the_same_check_instance_does_not_leak_results_between_posts() -> None:
    check = Confidentiality()
    ctx = context(CFG)
    a = check.run(target("Maya Johnson got detention", cfg=CFG), DEFAULT, ctx)
    b = check.run(target("Lovely weather today", cfg=CFG), DEFAULT, ctx)
    assert len(a) == 1 and b == []


def test_empty_roster_still_finds_marked_documents() -> None:
    empty = config()
    empty.students.clear()
    empty.staff.clear()
    hits = Confidentiality().run(target("CONFIDENTIAL minutes", cfg=empty), DEFAULT, context(empty))
    assert [h.key for h in hits] == ["confidential-document"]


# --- the same post under each pack ------------------------------------------------------------


def _pack_findings(policy: str, account: str, text: str) -> set[tuple[str, str]]:
    from rules.engine import RuleSet

    cfg = config(policy)
    rules = RuleSet.for_district(cfg)
    drafts = rules.evaluate([target(text, account, cfg)], context(cfg))
    return {(d.rule_id, d.level) for d in drafts if d.check_name == "confidentiality"}


NAMED = "Shout-out to Jose Ramirez for helping at the food drive"
RECORD = "Maya Johnson's IEP meeting moved to Tuesday"
OPT_OUT = "Great game by Linh Nguyen tonight!"


@pytest.mark.parametrize(
    ("policy", "account", "text", "expected"),
    [
        # a student without recorded consent, merely named by an employee: JNDC forbids "names ...
        # relating to students" without the parent's written authority; Moorhead's only rule on it
        # ("should not be cited ... without their approval") is broken on the face of the post, a
        # violation too; the other three say nothing about names alone
        ("jndc", "emp-ortiz", NAMED, {("jndc.confidentiality.student-names", "violation")}),
        (
            "moorhead-447-1",
            "emp-ortiz",
            NAMED,
            {("mh.confidentiality.named-without-consent", "violation")},
        ),
        ("alexandria-471", "emp-ortiz", NAMED, set()),
        ("wem-428", "emp-ortiz", NAMED, set()),
        ("west-fargo-debh-ap", "emp-ortiz", NAMED, set()),
        # ... and on a sponsored page, naming is what sponsored pages do
        ("jndc", "hs-page", NAMED, set()),
        ("moorhead-447-1", "hs-page", NAMED, set()),
        # a record on an official page: each pack cites its own clause
        (
            "wem-428",
            "hs-page",
            RECORD,
            {("wem.confidentiality.student-data-official", "violation")},
        ),
        ("jndc", "hs-page", RECORD, {("jndc.confidentiality.official-pages", "violation")}),
        ("west-fargo-debh-ap", "hs-page", RECORD, {("wf.confidentiality.records", "violation")}),
        ("alexandria-471", "emp-ortiz", RECORD, {("alx.confidentiality.records", "violation")}),
        # an opted-out student named on an official page, in every pack
        (
            "alexandria-471",
            "hs-page",
            OPT_OUT,
            {("alx.confidentiality.opt-out-named", "violation")},
        ),
        ("jndc", "hs-page", OPT_OUT, {("jndc.confidentiality.official-pages", "violation")}),
        ("moorhead-447-1", "hs-page", OPT_OUT, {("mh.confidentiality.opt-out-named", "violation")}),
        (
            "wem-428",
            "hs-page",
            OPT_OUT,
            {("wem.confidentiality.student-data-official", "violation")},
        ),
        (
            "west-fargo-debh-ap",
            "hs-page",
            OPT_OUT,
            {("wf.confidentiality.opt-out-named", "violation")},
        ),
    ],
)
def test_each_pack_judges_the_same_post_by_its_own_clauses(
    policy: str, account: str, text: str, expected: set[tuple[str, str]]
) -> None:
    assert _pack_findings(policy, account, text) == expected


# Records said in everyday words, names in odd forms and disclosures a sentence or two away
# from the name (classes of misses on the blind corpus; sentences invented here).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # attendance, illness, money trouble, immigration, grades and test results in plain words
        ("Maya Johnson is up to 6 unexcused this quarter", {"student-record:20231001"}),
        ("Maya Johnson has been out for two weeks with mono", {"student-record:20231001"}),
        ("Jaxon went from a D to a B- in reading this term!", {"student-record:20231006"}),
        (
            "Pepe R.'s grade dropped to a D, he is missing the lab report",
            {"student-record:20231002"},
        ),
        ("Maya Johnson just got a 1350 on the SAT!!", {"student-record:20231001"}),
        (
            "Maya Johnson's family can't afford the field trip this year",
            {"student-record:20231001"},
        ),
        (
            "Jaxon's family is sorting out a visa problem, keep them in mind",
            {"student-record:20231006"},
        ),
        (
            "Maya Johnson is a US citizen but her parents are still waiting",
            {"student-record:20231001"},
        ),
        # a later sentence that goes on about the person, with a contraction or past the window
        (
            "Ran into Maya Johnson's aunt at Target. She's doing better since the suspension.",
            {"student-record:20231001"},
        ),
        (
            "Maya Johnson, the quiet kid in the back row who draws dragons on every worksheet and "
            "never says a word in class. She has been on a behavior plan since October.",
            {"student-record:20231001"},
        ),
        # near-misses: the record is about nobody named, or no pronoun carries the name over
        (
            "Maya Johnson, the quiet kid in the back row who draws dragons on every worksheet, won "
            "the poster contest. The sixth grade IEP meeting schedule is posted in the office.",
            set(),
        ),
        ("Maya Johnson went from the bench to the starting lineup", set()),
        ("Maya Johnson can't afford to miss the bus, it leaves at 7", set()),
        ("Maya Johnson got a 2 on the back of her jersey", set()),
    ],
)
def test_records_in_everyday_words(text: str, expected: set[str]) -> None:
    assert _keys(text) == expected


def _kin_config():  # a second Whitfield, so a surname names a household
    from hallmonitor.config import Student

    cfg = config()
    extra = Student("20231011", "Omar", "Whitfield", "", "hs", "8", False, True)
    return type(cfg)(cfg.base_dir, cfg.district, cfg.accounts, [*cfg.students, extra], cfg.staff)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Please keep the Whitfield family in your thoughts, their dad was deported last week",
            {"student-record:20231006", "student-record:20231011"},
        ),
        (
            "That Whitfield kid got suspended again",
            {"student-record:20231006", "student-record:20231011"},
        ),
        (
            "Omar and Jaxon Whitfield are staying at the family shelter downtown",
            {"student-record:20231006", "student-record:20231011"},
        ),
        # near-misses: a household named with nothing about it, a surname in lower case
        ("The Whitfield family donated pizza for the class party", set()),
        ("the whitfield kids got suspended", set()),
    ],
)
def test_surname_with_a_kin_word_and_coordinated_names_name_students(
    text: str, expected: set[str]
) -> None:
    cfg = _kin_config()
    hits = Confidentiality().run(target(text, "emp-ortiz", cfg), DEFAULT, context(cfg))
    assert {h.key for h in hits} == expected


@pytest.mark.parametrize(
    ("text", "account", "expected"),
    [
        (
            "Rachel Ortiz had surgery last week and is recovering at home",
            "emp-nguyen",
            {"personnel-matter:E101"},
        ),
        (
            "The board voted in closed session not to renew Mr. Nguyen",
            "emp-ortiz",
            {"personnel-matter:E100", "confidential-document"},
        ),
        (
            "The board told department heads in closed session that the band program is being cut",
            "emp-ortiz",
            {"confidential-document"},
        ),
        # her own news; a public agenda line
        ("Rachel Ortiz had surgery last week and is recovering at home", "emp-ortiz", set()),
        (
            "The board will go into closed session to discuss negotiations strategy",
            "emp-ortiz",
            set(),
        ),
    ],
)
def test_staff_health_and_closed_session_business(
    text: str, account: str, expected: set[str]
) -> None:
    assert _keys(text, account) == expected


def test_evidence_names_the_weak_name_form_that_fired() -> None:
    cfg = _kin_config()
    [hit] = Confidentiality().run(
        target("Jaxon has 4 unexcused already", "emp-ortiz", cfg), DEFAULT, context(cfg)
    )
    assert {s.label for s in hit.spans} == {"student-first-name", "record:attendance"}
    hits = Confidentiality().run(
        target("That Whitfield kid got suspended again", "emp-ortiz", cfg), DEFAULT, context(cfg)
    )
    assert {s.label for h in hits for s in h.spans} == {
        "student-surname-and-kin-word",
        "record:discipline",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the record first, the name in a later sentence that the record's sentence points to
        (
            "The kid who got suspended last week walked in today with her head high. "
            "Jaxon, you are braver than me.",
            {"student-record:20231006"},
        ),
        # the given name again, or "both", carries a sentence over
        (
            "Maya Johnson got teased at lunch again. Maya is a US citizen, for the record.",
            {"student-record:20231001"},
        ),
        (
            "Pepe Ramirez and Maya Johnson got into it at recess. Both got detention.",
            {"student-record:20231001", "student-record:20231002"},
        ),
        # one sentence, a long aside that refers back to the person
        (
            "Jaxon (the 8th grader who ran the bake sale table, you all know him from the "
            "fall concert) is moving away with his dad because of a visa problem",
            {"student-record:20231006"},
        ),
        # near-misses: a record about someone unnamed and unreferenced, then a name
        (
            "Three kids got detention today for the food fight. Congrats to Maya Johnson on "
            "the spelling bee!",
            set(),
        ),
        (
            "Jaxon (the 8th grader who ran the bake sale table, the one at the fall concert "
            "in the blue hat) is moving away and the new family has a visa problem",
            set(),
        ),
    ],
)
def test_a_record_and_a_name_joined_across_sentences(text: str, expected: set[str]) -> None:
    assert _keys(text) == expected


def _image_text(text: str) -> set[str]:
    t = target(text, "emp-ortiz", CFG)
    t.extra = {"text_source": "image"}
    params = ConfidentialityParams(categories=("premises-image",))
    return {h.key for h in Confidentiality().run(t, params, context(CFG))}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STAFF ENTRY\nVestibule keypad: 5521#\nBadge only after 4 pm", {"premises-image"}),
        ("Door code 88412 for subs", {"premises-image"}),
        ("NVR-02\nN HALL\nGYM LOBBY\nBUS LOOP\nLIBRARY", {"premises-image"}),
        ("BUZZ-IN DOOR (code 4471)\nMAIN OFFICE\nGYM", {"premises-image"}),
        ("CAM-06\nGYM\nCAFETERIA\nMAIN OFFICE\nMEDIA CTR", {"premises-image"}),
        # no camera or code, but two kinds of security item over labelled places
        (
            "ACCESS CONTROL LAYOUT\nMAIN ENTRY\nOFFICE\nGYM\nMAIN CORRIDOR\n"
            "Door 4 on manual lock - no reader",
            {"premises-image"},
        ),
        # near-misses: a camera club poster, a phone extension, one security word in a flyer
        ("Camera club meets Tuesday in the library", set()),
        ("Call the office at ext. 2210", set()),
        ("Lockdown drill Friday: stay in the gym, then the office calls lunch", set()),
    ],
)
def test_security_arrangements_read_from_an_image(text: str, expected: set[str]) -> None:
    assert _image_text(text) == expected


def test_on_a_district_page_a_plan_is_public_but_its_security_arrangements_are_not() -> None:
    plan = "LEVEL 1\n101 SCI\n102 SCI\n103 ELA\nGYM\nCAFETERIA\nMAIN OFFICE\nBOILER/MECH"
    secured = plan + "\nCAM-01\nCAM-02"
    params = ConfidentialityParams(categories=("premises-image",))

    def found(text: str, account: str) -> bool:
        t = target(text, account, CFG)
        t.extra = {"text_source": "image"}
        return bool(Confidentiality().run(t, params, context(CFG)))

    assert found(plan, "emp-ortiz")  # rooms numbered as a plan labels them, alone on a line
    assert not found(plan, "hs-page")
    assert found(secured, "hs-page")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a verbless note between the name and the record continues about the same person
        (
            "Maya Johnson sits out the game Friday. Eligibility. Failing two classes and a D in "
            "biology, so no.",
            {"student-record:20231001"},
        ),
        (
            "Maya Johnson wants to start on Friday. 12 absences this term.",
            {"student-record:20231001"},
        ),
        # a sentence with a verb and no pronoun is about something else
        (
            "Maya Johnson sang the anthem tonight. The gym was packed. 12 absences across the "
            "building this week from flu.",
            set(),
        ),
    ],
)
def test_a_short_note_without_a_verb_continues_about_the_person(
    text: str, expected: set[str]
) -> None:
    assert _keys(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # records in a coach's or a reading teacher's ordinary words
        "Maya Johnson is out 4-6 weeks with a torn ACL. Get well soon!",
        "Maya Johnson's hamstring is still pretty banged up, the doc put her on no-contact",
        "Maya Johnson: academic ineligibility, 2 F's at midterm",
        "Maya Johnson (chemical violation, 2nd offense) misses the opener",
        "Maya Johnson's DRA jumped from 12 to 28 this year!",
        "So proud of Maya Johnson, her reading fluency is finally at 110 words a minute",
        # the record's sentence has no subject, the next one takes her up again
        "Heartbroken for Maya Johnson. Second concussion in a year. She'll be cheering anyway.",
    ],
)
def test_student_records_in_ordinary_words(text: str) -> None:
    assert "student-record:20231001" in _keys(text)


@pytest.mark.parametrize(
    "text",
    [
        "Maya Johnson ran a great race. Second place in a year of firsts. She'll be back.",
        "Maya Johnson is reading 40 pages a night, wow",
        "Maya Johnson and the ACT prep club meet Tuesday at 3",
        "Maya Johnson. New paragraph.\n\nConcussion awareness week starts Monday. She said hi.",
    ],
)
def test_ordinary_words_near_a_student_without_a_record_stay_quiet(text: str) -> None:
    assert not any(k.startswith("student-record") for k in _keys(text))


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Nguyen is on a last-chance agreement after the plow thing",
        "HR is docking Mr. Nguyen three days without pay",
        "Mr. Nguyen got walked out of the building by the AP today",
        "The board voted not to renew the contract of Mr. Nguyen",
        "Mr. Nguyen won't be rehired next year, board decided",
    ],
)
def test_personnel_matters_in_ordinary_words(text: str) -> None:
    assert "personnel-matter:E100" in _keys(text)


def test_a_colleague_walking_out_to_the_buses_is_not_a_personnel_matter() -> None:
    assert _keys("Mr. Nguyen walked out to the buses with the kids at 3") == set()
