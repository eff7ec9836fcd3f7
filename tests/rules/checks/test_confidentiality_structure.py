"""confidentiality beyond phrase lists: roster ids in the roster's own shape, "Last, First" and
gradebook structure, a CONFIDENTIAL stamp read in part, decomposed Unicode, the record taxonomy
(family, housing, meals, immigration), personnel matters of staff named by surname, students named
by a unique first name, and building plans read from images; each with its near-misses."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from hallmonitor.config import Account, District, DistrictConfig, StaffMember, Student
from rules.base import Hit, Target
from rules.checks.confidentiality import Confidentiality, ConfidentialityParams
from tests.rules.helpers import ACCOUNTS, context, district, target

# student_id, first, last, preferred, media_opt_out, photo_consent
ROSTER = [
    ("TL200001", "Ella", "Brekke", "", False, True),
    ("TL200002", "Hazel", "Quist", "", False, True),
    ("TL288886", "Christian", "Ueland", "", False, True),
    ("TL200003", "Faith", "Nordby", "", False, True),  # a first name that is a word
    ("TL200004", "Lucy", "Xiong", "", True, False),  # media opt-out
    ("TL200005", "Søren", "Åberg", "", False, True),
    ("7731094", "Jesús", "Villalobos", "Chuy", False, False),  # a purely numeric id
    ("TL200006", "Tomas", "Carrasco", "", False, True),  # shares a surname with nobody on staff
]
STAFF = [("E200", "Luis", "Magnusson"), ("E201", "Rachel", "Ortiz")]
ALL = ConfidentialityParams(
    categories=(
        "student-record",
        "student-identifier",
        "opt-out-student-named",
        "student-named-without-consent",
        "confidential-document",
        "personnel-matter",
        "premises-image",
    )
)


def _config(policy: str = "moorhead-447-1") -> DistrictConfig:
    students = [Student(sid, f, last, p, "hs", "10", o, c) for sid, f, last, p, o, c in ROSTER]
    staff = [
        StaffMember(e, f, last, f"{f.lower()}@prairie.k12.mn.us", "hs", "teacher")
        for e, f, last in STAFF
    ]
    accounts = [Account.model_validate(a) for a in ACCOUNTS]
    return DistrictConfig(
        Path("."), District.model_validate(district(policy)), accounts, students, staff
    )


CFG = _config()


def _keys(text: str, account: str = "emp-ortiz", image: bool = False) -> set[str]:
    post: Target = target(text, account, CFG)
    if image:
        post = replace(post, extra={"text_source": "image"})
    hits: list[Hit] = Confidentiality().run(post, ALL, context(CFG))
    return {hit.key for hit in hits}


GRADEBOOK = (
    "Campus Gradebook\nStudent\nID\nGrade\nBrekke, Ella\nTL200001\nB+\nQuist, Hazel\nTL200002\nD-"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a gradebook: students as "Last, First" with their ids and marks in columns
        (
            GRADEBOOK,
            {
                "student-record:TL200001",
                "student-record:TL200002",
                "student-identifier:TL200001",
                "student-identifier:TL200002",
            },
        ),
        # the same table without ids is still a gradebook
        (
            "Brekke, Ella  B+\nQuist, Hazel  F\n",
            {"student-record:TL200001", "student-record:TL200002"},
        ),
        # a roster id in the roster's own shape, alone
        ("Found a lunch card with TL288886 on it", {"student-identifier:TL288886"}),
        # a purely numeric roster id counts in a list of ids
        (
            "late list: 7731094, TL288886",
            {
                "student-identifier:7731094",
                "student-identifier:TL288886",
            },
        ),
        # a grade right after a name; the name in decomposed Unicode (NFD)
        (
            unicodedata.normalize("NFD", "Søren Åberg: F. Summer school here we come"),
            {"student-record:TL200005"},
        ),
        # record kinds said in ordinary words
        (
            "FYI Christian Ueland is in foster care now and the caseworker said no contact "
            "with dad",
            {"student-record:TL288886"},
        ),
        (
            "Christian Ueland and his mom are living out of the Northwoods Motel since they lost "
            "the trailer",
            {"student-record:TL288886"},
        ),
        (
            "Christian Ueland qualifies for free and reduced lunch this year",
            {"student-record:TL288886"},
        ),
        (
            "Christian Ueland is still waiting on his asylum hearing date",
            {"student-record:TL288886"},
        ),
        (
            "Christian Ueland is sitting at a 64% and is missing nine assignments",
            {"student-record:TL288886"},
        ),
        (
            "Christian Ueland (the kid with the nurse plan) went home, his blood sugar dropped",
            {"student-record:TL288886"},
        ),
        # a record far along the same sentence (within the window)
        (
            "Christian Ueland, who spent half of 7th grade in my office after his dad went "
            "to prison",
            {"student-record:TL288886"},
        ),
        # the next sentence goes on about the same student
        (
            "Happy 16th to Christian Ueland! Mail him a birthday card at 2204 Pine Ave",
            {"student-identifier:TL288886"},
        ),
        # a common-word first name, capitalised inside a sentence, unique on the roster
        (
            "A sweet 7th grader, Faith, finally got her diabetes diagnosis",
            {"student-record:TL200003"},
        ),
        # an opted-out student named by first name alone; a student without consent by nickname
        ("Field trip tomorrow! Lucy, bring that slip!!", {"opt-out-student-named:TL200004"}),
        (
            "Chuy made the card and drew me driving the bus",
            {"student-named-without-consent:7731094"},
        ),
        # a CONFIDENTIAL stamp read in part, or broken across a line, or with a digit for a letter
        ("MEMORANDUM\nCONFIDENTIA\nRe: Reduction in force", {"confidential-document"}),
        ("CONFI-\nDENTIAL\ndraft list", {"confidential-document"}),
        ("C0NFIDENTIAL - do not forward", {"confidential-document"}),
        # documents that are not public by what they are
        (
            "Board of Education\nClosed Session Minutes - March 2\nItem 1: allegations",
            {"confidential-document"},
        ),
        # a colleague's family life and health
        (
            "My co-worker Luis Magnusson is going through a terrible divorce and custody fight",
            {"personnel-matter:E200"},
        ),
        # personnel matters of a staff member named by surname alone
        (
            "Magnusson is being non-renewed, they discussed it in closed session last night",
            # the staff member's matter, and closed-session business told
            {"personnel-matter:E200", "confidential-document"},
        ),
        (
            "Luis Magnusson's contract isn't being renewed. Keep it quiet!",
            {"personnel-matter:E200"},
        ),
    ],
)
def test_disclosure_is_found_by_its_structure_or_kind(text: str, expected: set[str]) -> None:
    assert _keys(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # an honor roll in "Last, First" order with its levels is not a gradebook
        "A Honor Roll: Brekke, Ella; Quist, Hazel. B Honor Roll: Ueland, Christian",
        "Christian Ueland - A Honor Roll, Ella Brekke - B Honor Roll",
        # one "Last, First" name without marks is not a gradebook
        "Brekke, Ella made the honor roll!",
        # marks without listed students; an article "A" after names is not a grade
        "Quiz averages: B+ and C- across all sections",
        "Brekke, Ella and Quist, Hazel: A great team at the science fair",
        # capitals that only end like CONFIDENTIAL
        "RESIDENTIAL SERVICES OFFICE OPEN HOUSE",
        "PRESIDENTIAL FITNESS AWARD WINNERS",
        "I'm so CONFIDENT about this season",
        # a numeric roster id alone is just a number
        "We walked 7731094 steps this year as a school!",
        # a common-word name at the start of a sentence, a month
        "Faith and hope carried us through flu season.",
        # a staff surname followed by another capitalised word is something else
        "Magnusson Street is closed; the board met in closed session about the budget",
        # a consented student with good news; a pet adoption
        "Christian Ueland won the FFA speech contest",
        "Christian Ueland adopted a puppy this weekend",
        # a colleague's news shared with their agreement
        "Welcome back Luis Magnusson from paternity leave! (He said I could share.)",
        # a student who shares a surname with nobody on staff is not a staff member
        "Carrasco is being non-renewed",
    ],
)
def test_near_miss_stays_quiet(text: str) -> None:
    assert _keys(text) == set()


PLAN = (
    "Lakeside Elementary - Level 1 (facilities use only)\nMain Office\nNurse\nRoom 101\n"
    "Room 102\nServer Room\nMAIN CORRIDOR\nSafe Room\nGym\nEXIT\nEXIT"
)


EVACUATION = (
    "PRHS EAST WING - EVACUATION ROUTES\nRALLY POINTS\nE101\nE102\nFire panel\nE103\nEXIT\n"
    "Workroom\nMech.\nAED\nEXIT"
)


def test_a_building_plan_read_from_an_image_is_a_premises_finding() -> None:
    assert _keys(EVACUATION, image=True) == {"premises-image"}  # rooms numbered "E101"
    assert _keys(PLAN, image=True) == {"premises-image"}
    assert _keys(PLAN) == set()  # the same words typed in a post are not an image of premises
    menu = "Pizza party in Room 101 after school, then open gym in the main office wing"
    assert _keys(menu, image=True) == set()  # one room, few kinds of label


LOCKDOWN = (
    "NORTHSTAR MS - LOCKDOWN / EVAC (STAFF ONLY)\nGYM\n7TH WING\n6TH WING\nKITCHEN\n"
    "MAIN CORRIDOR\nOFFICE\nHard-lock rooms: 112, 118"
)
ACCESS = (
    "NORTHSTAR MS - ACCESS CONTROL LAYOUT\nMAIN ENTRY\nOFFICE\nGYM\n6TH WING\nMAIN CORRIDOR\n"
    "KITCHEN\nBOILER\nStaff PIN override: see binder"
)
CAMERAS = "Level 1\nCAM-06\nCAM-07\nGYM\nCAFETERIA\nMAIN OFFICE\nMain entry\nLibrary"


def test_a_plan_that_says_it_is_for_security_needs_no_numbered_rooms() -> None:
    assert _keys(LOCKDOWN, image=True) == {"premises-image"}
    assert _keys(ACCESS, image=True) == {"premises-image"}
    assert _keys(CAMERAS, image=True) == {"premises-image"}  # cameras labelled "CAM-06"
    open_house = "OPEN HOUSE MAP\nGYM\nLIBRARY\nMAIN OFFICE\nEAST WING\nCafeteria"
    assert _keys(open_house, image=True) == set()  # no numbered rooms, nothing about security


@pytest.mark.parametrize(
    ("policy", "found"), [("alexandria-471", True), ("west-fargo-debh-ap", False)]
)
def test_only_alexandria_has_a_premises_clause(policy: str, found: bool) -> None:
    from rules.engine import RuleSet

    cfg = _config(policy)
    post = replace(target(PLAN, "emp-ortiz", cfg), extra={"text_source": "image"})
    drafts = RuleSet.for_district(cfg).evaluate([post], context(cfg))
    rules = {d.rule_id for d in drafts}
    assert ("alx.confidentiality.premises-plan" in rules) is found


def test_evidence_says_which_signals_fired() -> None:
    [hit] = [
        h
        for h in Confidentiality().run(target(GRADEBOOK, "emp-ortiz", CFG), ALL, context(CFG))
        if h.key == "student-record:TL200001"
    ]
    labels = {s.label for s in hit.spans}
    assert {"student-name", "record:grade-cell"} <= labels
    assert "gradebook" in hit.details["kinds"]
