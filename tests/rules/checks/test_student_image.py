"""student_image under each pack: the same image gets different answers in different districts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evaluation.synth import compose
from rules.base import CheckContext, Target
from rules.detect.media_pipeline import analyse
from rules.engine import RuleSet
from tests.rules.helpers import NOW, config

PACKS = ["west-fargo-debh-ap", "alexandria-471", "moorhead-447-1", "wem-428", "jndc"]
RULES = {
    "west-fargo-debh-ap": "wf.student-image.instructional-day",
    "alexandria-471": "alx.student-image.parental-consent",
    "moorhead-447-1": "mh.student-image.parental-consent",
    "wem-428": "wem.student-image.written-permission",
    "jndc": "jndc.student-image.identifiable",
}
CONSENT_PACKS = {"alexandria-471", "moorhead-447-1", "wem-428", "jndc"}
TUESDAY_MORNING = "2026-11-17T10:20:00-06:00"
SATURDAY = "2026-11-21T14:00:00-06:00"
WEEKDAY_EVENING = "2026-11-17T19:00:00-06:00"


def _faces(count: int, size: int = 90) -> list[dict[str, Any]]:
    return [{"box": [40 + 120 * i, 60, size, size], "score": 0.97} for i in range(count)]


def analysis(
    faces: int = 4,
    exif_time: str | None = None,
    ocr_text: str = "",
    face_size: int = 90,
    document_score: float = 0.0,
) -> dict[str, Any]:
    spans = (
        [
            {
                "start": 0,
                "end": len(ocr_text),
                "text": ocr_text,
                "box": [10, 10, 300, 40],
                "score": 0.99,
            }
        ]
        if ocr_text
        else []
    )
    return {
        "sha256": "ab" * 32,
        "ok": True,
        "faces": _faces(faces, face_size),
        "exif_time": exif_time,
        "exif_source": "exif:DateTimeOriginal+Offset"
        if exif_time and exif_time[-6] in "+-"
        else ("exif:DateTimeOriginal" if exif_time else None),
        "ocr_text": ocr_text,
        "ocr_spans": spans,
        "document_score": document_score,
        "logos": [],
        "phash": "0" * 16,
        "detectors": {"faces": "res10-ssd"},
    }


def post(
    policy: str,
    text: str,
    media: dict[str, Any],
    *,
    account: str = "emp-ortiz",
    kind: str = "post",
    role: str = "image",
    published: datetime = NOW,
) -> Target:
    cfg = config(policy)
    return Target(
        post_id="p1",
        version=1,
        account=cfg.account(account),
        platform="facebook",
        kind=kind,
        permalink="https://example.test/p1",
        text=text,
        published_at=published,
        media=[
            {
                "url": "https://cdn.example.test/1.jpg",
                "role": role,
                "alt": None,
                "sha256": media["sha256"],
                "path": "ab/abab",
                "analysis": media,
            }
        ],
    )


def fired(policy: str, target: Target, level: str = "violation") -> set[str]:
    cfg = config(policy)
    drafts = RuleSet.for_district(cfg).evaluate([target], CheckContext(cfg, NOW))
    return {d.rule_id for d in drafts if d.check_name == "student_image" and d.level == level}


def only(*packs: str) -> dict[str, bool]:
    return {p: p in packs for p in PACKS}


CASES = [
    (
        "class photo on a school morning, no names",
        "Fun morning in class!",
        analysis(exif_time=TUESDAY_MORNING),
        only("west-fargo-debh-ap"),
    ),
    (
        "student without consent named, weekend",
        "So proud of José Ramírez!",
        analysis(exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
    (
        "student without consent at a game: public arena",
        "Great game tonight, José Ramírez!",
        analysis(exif_time=SATURDAY),
        only("moorhead-447-1", "wem-428", "jndc"),
    ),
    (
        "consented student named, weekend",
        "Maya Johnson at the science fair",
        analysis(exif_time=SATURDAY),
        only(),
    ),
    (
        "media-opt-out student named with a photo, no faces seen",
        "Linh Nguyen at the park",
        analysis(faces=0, exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
    (
        "opted-out student in a classroom photo that scores like a page",
        "Linh Nguyen presenting",
        analysis(exif_time=SATURDAY, document_score=0.8),
        only(*CONSENT_PACKS),
    ),
    (
        "faces, no school context, weekday evening",
        "Dinner with friends",
        analysis(exif_time=WEEKDAY_EVENING),
        only(),
    ),
    (
        "faces, no school context, school morning",
        "Dinner with friends",
        analysis(exif_time=TUESDAY_MORNING),
        only(),
    ),
    (
        "school context, school hours, but only a crowd of tiny faces",
        "Assembly at school",
        analysis(exif_time=SATURDAY, face_size=14),
        only(),
    ),
    (
        "student without consent named inside the image (OCR)",
        "Look at this banner",
        analysis(exif_time=SATURDAY, ocr_text="Welcome back José Ramírez"),
        only(*CONSENT_PACKS),
    ),
    (
        "camera-local EXIF time read in the district's zone",
        "Our class today",
        analysis(exif_time="2026-11-17T10:00:00"),
        only("west-fargo-debh-ap"),
    ),
    (
        "school said only by subject and a word for learners",
        "These mathematicians vs fractions",
        analysis(exif_time=TUESDAY_MORNING),
        only("west-fargo-debh-ap"),
    ),
    (
        "school said only by a class period",
        "Vocab relay in 2nd hour, so much energy",
        analysis(exif_time=TUESDAY_MORNING),
        only("west-fargo-debh-ap"),
    ),
    (
        "school said only on the whiteboard (OCR)",
        "So much energy today",
        analysis(exif_time=TUESDAY_MORNING, ocr_text="Exit ticket: Unit 3"),
        only("west-fargo-debh-ap"),
    ),
    (
        "family photo on a weekday morning off",
        "Family pumpkin patch trip with my kids",
        analysis(exif_time=TUESDAY_MORNING),
        only(),
    ),
    (
        "class photo taken in summer break",
        "Summer reading club with my class",
        analysis(exif_time="2026-07-14T10:20:00-05:00"),
        only(),
    ),
    (
        "consent forms that did not come back",
        "Didn't get photo releases back yet, cute anyway",
        analysis(exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
    (
        "permission slips still outstanding",
        "Still waiting on half the permission slips. My crew",
        analysis(exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
    (
        "a reminder to return forms is not a gap",
        "Please return photo release forms by Friday",
        analysis(exif_time=SATURDAY),
        only(),
    ),
    (
        "season opener without the pack's words: public arena",
        "Home opener under the lights. José Ramírez and the whole team played their hearts out",
        analysis(exif_time=SATURDAY),
        only("moorhead-447-1", "wem-428", "jndc"),
    ),
    (
        "musical opening night: public arena",
        "Opening night! José Ramírez stole the show",
        analysis(exif_time=SATURDAY),
        only("moorhead-447-1", "wem-428", "jndc"),
    ),
    (
        "an audience in everyday words: public arena",
        "Families packed the gym for our winter sing tonight! José Ramírez had a solo line",
        analysis(exif_time=SATURDAY),
        only("moorhead-447-1", "wem-428", "jndc"),
    ),
    (
        "a contest: public arena",
        "Took 2nd at the section one-act contest today! Congrats José Ramírez",
        analysis(exif_time=SATURDAY),
        only("moorhead-447-1", "wem-428", "jndc"),
    ),
    (
        "a game during a class period is not the public arena",
        "3rd hour pickleball game got intense, José Ramírez undefeated",
        analysis(exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
    (
        "the classroom party after the parade is not the public arena",
        "Halloween parade this morning, then the classroom party. José Ramírez was a taco",
        analysis(exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
    (
        "summer lifting is not the public arena even with a varsity word",
        "Summer lifting with the varsity guys, José Ramírez hit a PR",
        analysis(exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
    (
        "a picture slip never sent back",
        "Best Elsa ever (her mom never sent back the picture slip, oops)",
        analysis(exif_time=SATURDAY),
        only(*CONSENT_PACKS),
    ),
]


@pytest.mark.parametrize(("label", "text", "media", "expected"), CASES, ids=[c[0] for c in CASES])
def test_student_image_answers_per_pack(
    label: str, text: str, media: dict[str, Any], expected: dict[str, bool]
) -> None:
    answers = {
        p: fired(p, post(p, text, media)) == ({RULES[p]} if expected[p] else set()) for p in PACKS
    }
    assert all(answers.values()), answers


def test_without_exif_the_publication_time_is_used() -> None:
    published = datetime(2026, 11, 17, 16, 30, tzinfo=UTC)  # 10:30 in Chicago, a Tuesday
    target = post("west-fargo-debh-ap", "My students today", analysis(), published=published)
    cfg = config("west-fargo-debh-ap")
    [draft] = RuleSet.for_district(cfg).evaluate([target], CheckContext(cfg, NOW))
    assert draft.evidence["details"]["capture_source"] == "published_at"
    assert draft.evidence["details"]["capture_time_local"].startswith("2026-11-17T10:30")


def test_no_exif_post_inside_the_day_that_says_now_is_a_violation() -> None:
    published = datetime(2026, 11, 17, 16, 30, tzinfo=UTC)  # 10:30 in Chicago, a Tuesday
    target = post(
        "west-fargo-debh-ap", "Right now in 2nd hour: debate prep!", analysis(), published=published
    )
    assert fired("west-fargo-debh-ap", target) == {RULES["west-fargo-debh-ap"]}


def test_weak_evidence_is_advisory_not_violation() -> None:
    """In-day EXIF but no words either way: a monitor should look, the report should not count
    it as a breach."""
    target = post("west-fargo-debh-ap", "", analysis(exif_time=TUESDAY_MORNING))
    assert fired("west-fargo-debh-ap", target) == set()
    assert fired("west-fargo-debh-ap", target, "advisory") == {RULES["west-fargo-debh-ap"]}


def test_evidence_names_the_context_words_that_fired() -> None:
    target = post(
        "west-fargo-debh-ap",
        "Mathematicians at work on fractions #iteachmath",
        analysis(exif_time=TUESDAY_MORNING),
    )
    cfg = config("west-fargo-debh-ap")
    [draft] = RuleSet.for_district(cfg).evaluate([target], CheckContext(cfg, NOW))
    context = draft.evidence["details"]["context"]
    assert context["learners"] == ["mathematicians"] and context["subject"] == ["fractions"]
    assert context["hashtag"] == ["#iteachmath"]
    assert draft.evidence["details"]["evidence_strength"] == "strong"


def test_sponsored_account_school_morning_photo_is_not_an_instructional_day_finding() -> None:
    target = post(
        "west-fargo-debh-ap",
        "Fun morning in class!",
        analysis(exif_time=TUESDAY_MORNING),
        account="hs-page",
    )
    assert fired("west-fargo-debh-ap", target) == set()


def test_profile_avatar_naming_a_student_without_consent_is_checked_like_a_post() -> None:
    target = post(
        "moorhead-447-1",
        "Coach. Proud of José Ramírez",
        analysis(exif_time=SATURDAY),
        kind="profile",
        role="avatar",
    )
    assert fired("moorhead-447-1", target) == {"mh.student-image.parental-consent"}


def test_finding_evidence_shows_boxes_capture_time_and_its_source() -> None:
    target = post(
        "west-fargo-debh-ap", "Fun morning in class!", analysis(exif_time=TUESDAY_MORNING)
    )
    cfg = config("west-fargo-debh-ap")
    [draft] = RuleSet.for_district(cfg).evaluate([target], CheckContext(cfg, NOW))
    details = draft.evidence["details"]
    assert details["capture_source"] == "exif:DateTimeOriginal+Offset"
    assert details["capture_time"] == "2026-11-17T10:20:00-06:00"
    assert details["images"][0]["faces"][0]["box"] == [40, 60, 90, 90]
    assert draft.category == "student-image-instructional-day"


def test_ocr_named_student_evidence_carries_the_ocr_span() -> None:
    target = post("wem-428", "Banner", analysis(ocr_text="Welcome back José Ramírez"))
    cfg = config("wem-428")
    [draft] = RuleSet.for_district(cfg).evaluate([target], CheckContext(cfg, NOW))
    [span] = draft.evidence["details"]["ocr_spans"]
    assert span["text"] == "José Ramírez" and span["box"] == [10, 10, 300, 40]
    assert "José" not in draft.category


@pytest.fixture(scope="module")
def class_photo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real composited class photo with EXIF time on a school morning, analysed once."""
    rng = np.random.default_rng(31)
    photo = compose.classroom(rng)
    compose.paste_heads(photo, 6, rng)
    path = Path(tmp_path_factory.mktemp("class")) / "class.jpg"
    taken = datetime(2026, 11, 17, 9, 45)  # noqa: DTZ001 - EXIF times are naive
    path.write_bytes(compose.jpeg_bytes(photo, 85, taken=taken, offset="-06:00"))
    return analyse(path, []).to_dict()


def test_same_real_photo_is_a_violation_in_west_fargo_only(class_photo: dict[str, Any]) -> None:
    assert len(class_photo["faces"]) >= 5
    answers = {p: fired(p, post(p, "Reading circle with my class", class_photo)) for p in PACKS}
    assert answers == {p: ({RULES[p]} if p == "west-fargo-debh-ap" else set()) for p in PACKS}


GAPS = [
    ("Didn't get photo releases back from everyone yet", True),
    ("Still waiting on half the permission slips", True),
    ("Haven't gotten his media release back yet, fingers crossed", True),
    ("The new girl's form is still floating around in her backpack", True),
    ("mom hasn't signed the photo permission yet", True),
    ("Please return photo release forms by Friday", False),
    ("not all of our picture slips are back yet, oops", True),
    ("no idea if all the media forms came back but look at them", True),
    ("I totally forgot to collect the release forms this year", True),
    ("If your kid's consent form isn't turned in yet, email me", True),
    ("the signed photo release is still in his backpack somewhere", True),
    ("I forgot my coffee, the forms are on my desk", False),
    ("All permission slips are in, thanks families!", False),
    ("All permission slips are in, thank you families!", False),
    ("Good form on the tackling drill, still the best", False),
    ("didn't have time to check the photo list, too much fun", True),
    ("Please check the photo list before posting", False),
    ("Her mom never sent back the picture slip", True),
    ("the new 9th grader still hasn't brought back his photo release", True),
    ("Forgot to double check the photo list before posting", True),
    ("Bring back your picture slip by Friday please", False),
    ("no photo consent on file for two of these kiddos, but it's just our lab", True),
    ("No parental consent needed for the book fair", False),
    ("no media release on file for the new student yet", True),
    ("Photo release? We'll get it signed later", True),
    ("Photo release? Signed and returned, thanks!", False),
    ("We have photo consent for everyone pictured", False),
]


@pytest.mark.parametrize(("text", "gap"), GAPS, ids=[g[0] for g in GAPS])
def test_consent_gap_in_everyday_words(text: str, gap: bool) -> None:
    from rules.detect.roster import fold
    from rules.detect.school_context import consent_gap

    assert bool(consent_gap(fold(text))) is gap


def _one_face(score: float, box: list[int], **extra: Any) -> dict[str, Any]:
    media = analysis(faces=0, exif_time=SATURDAY, **extra)
    media["faces"] = [{"box": box, "score": score}]
    media["width"], media["height"] = 900, 600
    return media


@pytest.mark.parametrize(
    ("score", "found"), [(0.78, False), (0.86, False), (0.95, True)], ids=["seal", "stamp", "face"]
)
def test_on_a_page_only_a_strong_face_makes_a_photo(score: float, found: bool) -> None:
    media = _one_face(score, [60, 40, 70, 62], document_score=0.9)
    target = post("moorhead-447-1", "Look what I found: José Ramírez", media)
    assert bool(fired("moorhead-447-1", target)) is found


@pytest.mark.parametrize(("score", "found"), [(0.72, False), (0.99, True)], ids=["pet", "selfie"])
def test_a_weak_face_filling_the_frame_is_not_a_face(score: float, found: bool) -> None:
    media = _one_face(score, [200, 100, 420, 360])  # 28% of a 900x600 frame
    target = post("moorhead-447-1", "Kid in my 3rd hour, José Ramírez, named the class cat", media)
    assert bool(fired("moorhead-447-1", target)) is found


def test_opted_out_student_read_only_off_a_faceless_page_is_not_a_student_image() -> None:
    media = analysis(faces=0, exif_time=SATURDAY, ocr_text="Linh Nguyen  absences: 4")
    target = post("moorhead-447-1", "Tuesday feels like a Monday, coffee #2", media)
    assert fired("moorhead-447-1", target) == set()
    assert fired("moorhead-447-1", target, level="advisory") == set()


def test_evidence_names_the_setting_that_lifted_the_public_arena() -> None:
    cfg = config("alexandria-471")
    target = post(
        "alexandria-471",
        "Indoor recess game, José Ramírez undefeated",
        analysis(exif_time=SATURDAY),
    )
    drafts = RuleSet.for_district(cfg).evaluate([target], CheckContext(cfg, NOW))
    details = next(d for d in drafts if d.check_name == "student_image").evidence["details"]
    assert details["public_event"] == ["game"]
    assert details["nonpublic_setting"] == ["recess"]


def test_west_fargo_opted_out_student_named_beside_a_faceless_picture_is_no_image_finding() -> None:
    """West Fargo's clause is about images of learners: a letter or a drawing with no face is not
    one (naming the student is the confidentiality check's); with faces it stays advisory."""
    policy = "west-fargo-debh-ap"
    letter = post(policy, "Linh Nguyen wrote me a letter", analysis(faces=0, exif_time=SATURDAY))
    photo = post(policy, "Linh Nguyen wrote me a letter", analysis(faces=2, exif_time=SATURDAY))
    assert fired(policy, letter, level="advisory") == set()
    assert fired(policy, photo, level="advisory") == {RULES[policy]}


def _figures_only(**extra: Any) -> dict[str, Any]:
    """No face found; two head-and-shoulders figures (people from behind, blurred or drawn)."""
    media = analysis(faces=0, **extra)
    media["figures"] = [
        {"box": [100, 150, 260, 220], "score": 0.8},
        {"box": [480, 160, 250, 210], "score": 0.6},
    ]
    return media


def test_a_named_student_beside_people_without_faces_is_a_student_image() -> None:
    policy = "moorhead-447-1"
    named = post(policy, "Congrats José Ramírez on the state meet!", _figures_only())
    assert fired(policy, named) == {RULES[policy]}
    cfg = config(policy)
    drafts = RuleSet.for_district(cfg).evaluate([named], CheckContext(cfg, NOW))
    finding = next(d for d in drafts if d.check_name == "student_image")
    assert "figure" in finding.evidence["summary"]
    assert finding.evidence["details"]["images"][0]["figures"][0]["score"] == 0.8


def test_figures_alone_say_nothing_without_a_name_or_a_consent_gap() -> None:
    policy = "moorhead-447-1"
    target = post(policy, "Great day in 3rd hour, my students rocked it", _figures_only())
    assert fired(policy, target) == set()
    assert fired(policy, target, level="advisory") == set()


def test_west_fargo_figures_in_the_day_are_advisory_only() -> None:
    policy = "west-fargo-debh-ap"
    target = post(
        policy, "Lab day in 3rd hour! José Ramírez", _figures_only(exif_time=TUESDAY_MORNING)
    )
    assert fired(policy, target) == set()
    assert fired(policy, target, level="advisory") == {RULES[policy]}


def test_a_lab_is_no_public_arena_even_when_the_board_says_vs() -> None:
    policy = "alexandria-471"
    media = analysis(faces=1, exif_time=SATURDAY, ocr_text="NaOH vs HCl")
    assert fired(
        policy, post(policy, "Titration day in the lab, José Ramírez nailed it", media)
    ) == {RULES[policy]}
    game = analysis(faces=1, exif_time=SATURDAY, ocr_text="HOME vs AWAY")
    assert fired(policy, post(policy, "José Ramírez at the game tonight", game)) == set()


def test_a_first_name_beside_a_face_is_strong_unless_family_words_say_whose() -> None:
    """Captions name children by first name ("Jaxon nailed it"): beside a face the detector saw,
    that is a violation; with family words ("my nephew Jaxon") it stays advisory; beside people
    without a face it stays advisory."""
    policy = "moorhead-447-1"
    caption = post(policy, "Jaxon nailed it today 🙌", analysis(exif_time=SATURDAY))
    family = post(policy, "My nephew Jaxon nailed it today", analysis(exif_time=SATURDAY))
    figures = post(policy, "Jaxon nailed it today 🙌", _figures_only(exif_time=SATURDAY))
    assert fired(policy, caption) == {RULES[policy]}
    assert fired(policy, family) == set()
    assert fired(policy, family, level="advisory") == {RULES[policy]}
    assert fired(policy, figures) == set()
    assert fired(policy, figures, level="advisory") == {RULES[policy]}


@pytest.mark.parametrize(
    "text", ["Value scales in 6th grade", "Bee-Bots in kindergarten", "Grade 4 poets"]
)
def test_a_grade_level_is_school_context_for_an_in_day_photo(text: str) -> None:
    policy = "west-fargo-debh-ap"
    target = post(policy, text, analysis(exif_time=TUESDAY_MORNING))
    assert fired(policy, target) == {RULES[policy]}


@pytest.mark.parametrize(
    ("text", "now"),
    [
        ("rn: sophomores extracting DNA from strawberries", True),
        ("snapping a pic while my students freeze in place", True),
        ("our school RN taught my students handwashing", False),
    ],
)
def test_texting_shorthand_for_right_now_dates_a_photo_without_exif(text: str, now: bool) -> None:
    published = datetime(2026, 11, 17, 19, 30, tzinfo=UTC)  # 13:30 in Chicago, a Tuesday
    target = post("west-fargo-debh-ap", text, analysis(), published=published)
    expected = {RULES["west-fargo-debh-ap"]} if now else set()
    assert fired("west-fargo-debh-ap", target) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Life skills class made 60 grilled cheeses for staff appreciation", True),
        ("Our class baked cookies for the staff lounge this morning", True),
        ("Our class made cards for all staff this morning", True),
        ("PD day with the best staff in the district", False),  # colleagues pictured
        ("Staff breakfast before conferences, thank you PTO", False),
    ],
)
def test_staff_something_was_made_for_are_not_who_is_pictured(text: str, found: bool) -> None:
    target = post("west-fargo-debh-ap", text, analysis(exif_time=TUESDAY_MORNING))
    assert bool(fired("west-fargo-debh-ap", target)) is found
