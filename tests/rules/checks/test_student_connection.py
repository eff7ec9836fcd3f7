"""student_connection (JNDC): an employee's personal account connecting with current students, as
the post's own words show."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.student_connection import StudentConnection, StudentConnectionParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")  # roster: Grace Baker (204512), ...
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))


def _post(text: str, account: str = "emp-ortiz", kind: str = "post") -> Target:
    return Target(
        post_id="p",
        version=1,
        account=CONFIG.account(account),
        platform="instagram",
        kind=kind,
        permalink="https://example.test/p",
        text=text,
        published_at=datetime(2026, 10, 6, 23, 0, tzinfo=UTC),
    )


def _run(text: str, **kwargs: str) -> list[str]:
    hits = StudentConnection().run(_post(text, **kwargs), StudentConnectionParams(), CTX)
    return [h.key for h in hits]


@pytest.mark.parametrize(
    "text",
    [
        "Students, add me on Snapchat if you need help with the lab tonight!",
        "3rd period: DM me your essay questions, I'm up late 😂",
        "Seniors!! my snap is ms.ortiz.teaches, hmu before finals",
        "Grace Baker text me when you get home from the meet so I know you made it",
        "Team, follow me on tiktok for the practice drills 🏐",
    ],
)
def test_an_invitation_to_students_on_a_personal_channel_is_found(text: str) -> None:
    assert _run(text) == ["student_connection:invitation"]


@pytest.mark.parametrize(
    "text",
    [
        "Kind of funny that half my students follow me here now. Hi kids 👋",
        "Accepted a bunch of friend requests from my players after the banquet",
        "Yes I'm friends with some of my students on here, it's fine",
    ],
)
def test_saying_one_is_connected_with_students_is_found(text: str) -> None:
    assert _run(text) == ["student_connection:said"]


@pytest.mark.parametrize(
    "text",
    [
        # near misses: approved channels, family, former students, negation, no students
        "Students, message me on Remind with any questions about the lab",
        "Reminder to my students: email me at my school email, not here",
        "My niece finally added me on Snapchat, I feel so cool",
        "So proud of my former students who graduated in May, follow me for updates on them",
        "I never accept friend requests from students. Ever. Please don't ask, kids.",
        "Follow me on Instagram for sourdough updates 🍞",
        "Lunch hour walk with the dog. Text me if you want to join, neighbors!",
        "Fruit sale is on! Every box supports our kids going to state. Message me to order",
        "Asking my FB friends for help: one of our kids needs a ride to the meet",
    ],
)
def test_approved_channels_family_former_students_and_negations_are_not_flagged(
    text: str,
) -> None:
    assert _run(text) == []


def test_sponsored_pages_and_shares_are_not_judged() -> None:
    text = "Students, add me on Snapchat for reminders"
    assert _run(text, account="plps-district") == []
    assert _run(text, kind="share") == []


def test_evidence_marks_the_invitation_and_who_it_is_for() -> None:
    text = "Grace Baker text me tonight"
    [hit] = StudentConnection().run(_post(text), StudentConnectionParams(), CTX)
    labels = {(text[s.start : s.end].lower(), s.label) for s in hit.spans}
    assert ("text me", "invitation") in labels and ("grace baker", "student-name") in labels
    assert "Grace" not in hit.category  # the category is safe for summaries and e-mails


@pytest.mark.parametrize(
    "text",
    [
        # the ways teachers and coaches actually word it
        "Students can DM me here if you're stuck on the reading log",
        "Any student who needs help tonight can shoot me a text at 701-555-0142",
        "Players: call or text me at 701-555-0142 if you're going to be late to the bus",
        "Class of 2029, follow my personal account @mr.halvorsen for extra credit reminders",
        "Freshmen! I'll accept your follow requests, just no weird stuff lol",
        "If you're one of my students, send me a DM and I'll follow you back",
        "Juniors - drop me a snap if you want the study guide",
    ],
)
def test_more_invitations_teachers_write_are_found(text: str) -> None:
    assert _run(text) == ["student_connection:invitation"]


@pytest.mark.parametrize(
    "text",
    [
        "I texted a student last night to remind her the project was due, she was so relieved",
        "Snapped one of my 3rd hour kids a pic of the answer key by accident 😬",
        "I always text my players the bus time the night before",
        "Honestly my students text me all the time about homework",
    ],
)
def test_texting_students_oneself_is_found(text: str) -> None:
    assert _run(text) == ["student_connection:said"]


@pytest.mark.parametrize(
    "text",
    [
        # graduated classes, outside-school relationships, parents addressed, own children
        "Class of 2024, follow me on insta, I miss you all!",
        "Youth group kids from church, add me on snap so I can send the retreat info",
        "Parents: text me at 701-555-0142 with questions about the field trip",
        "I texted my players' parents about the bus change",
        "I texted my kids to grab milk on the way home",
        "Former players, hit me up, the alumni game is on for Saturday",
        "Students should never DM me; use Schoology messages instead",
        "Follow the team page @nwhs_volleyball for schedules, students!",
        "My students call me Ms. B and honestly I love it",
        "Text me at 701-555-0142 if you want in on the fantasy league, neighbors",
        "Students who need a ride home, call 701-555-0100 (the front office)",
    ],
)
def test_more_near_misses_are_not_flagged(text: str) -> None:
    assert _run(text) == []


def test_a_class_that_has_not_graduated_is_current_students() -> None:
    # published 2026-10-06: the class of 2026 graduated in June, the class of 2027 has not
    assert _run("Class of 2027 add me on snapchat!!") == ["student_connection:invitation"]
    assert _run("Class of 2026 add me on snapchat!!") == []
