"""Roster name forms: short forms of given names, parts of double-barrelled surnames, a surname
with a kin word, and names shared by a coordination (invented names)."""

from __future__ import annotations

import pytest

from hallmonitor.config import StaffMember, Student
from rules.detect.lexicons import fold
from rules.detect.roster import PREFERRED, SURNAME_KIN, RosterIndex


def _student(sid: str, first: str, last: str, preferred: str = "") -> Student:
    return Student(sid, first, last, preferred, "hs", "9", False, True)


INDEX = RosterIndex(
    [
        _student("S1", "Jacob", "Tollefsrud"),
        _student("S2", "Eleanor", "Vasquez-Moe"),
        _student("S3", "Marisol", "Quintero"),
        _student("S4", "Tomás", "Quintero"),
        _student("S5", "Katherine", "Oyelaran", "Kit"),
    ],
    [StaffMember("E1", "Gail", "Brekke", "g@example.test", "hs", "teacher")],
)


def _found(text: str) -> set[tuple[str, int]]:
    return {
        (INDEX.students[m.index].student_id, m.form)
        for m in INDEX.find(text, fold(text))
        if m.is_student
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jake Tollefsrud aced it", {("S1", PREFERRED)}),
        ("Ellie Vasquez was late again", {("S2", PREFERRED)}),
        ("Katie Oyelaran and Kit Oyelaran are one person", {("S5", PREFERRED)}),
        ("The Quintero kids were out all week", {("S3", SURNAME_KIN), ("S4", SURNAME_KIN)}),
        # "Marisol" is also a unique first name on its own (form 3)
        ("Marisol and Tomás Quintero", {("S3", 0), ("S3", 3), ("S4", 0)}),
        (
            "the Tollefsrud and Quintero boys",
            {("S1", SURNAME_KIN), ("S3", SURNAME_KIN), ("S4", SURNAME_KIN)},
        ),
        # near-misses: a short form alone, a surname alone, a kin word in lower case
        ("Jake said hi", set()),
        ("Tollefsrud is a town name too", set()),
        ("the quintero kids", set()),
        ("Sarah and Tomás Quintero", {("S4", 0)}),
    ],
)
def test_name_forms(text: str, expected: set[tuple[str, int]]) -> None:
    assert _found(text) == expected


def test_a_first_name_inside_a_longer_proper_noun_is_not_a_student() -> None:
    index = RosterIndex([_student("S9", "Hazel", "Fjeldheim")], [])

    def forms(text: str) -> list[int]:
        return [m.form for m in index.find(text, fold(text))]

    assert forms("We drove out to Lake Hazel for the picnic") == []
    assert forms("So proud. Hazel read the whole book!") == [3]
    assert forms("I told Hazel to keep going") == [3]
