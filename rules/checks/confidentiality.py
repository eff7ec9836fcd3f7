"""The `confidentiality` check: student records and identifiers, media-opt-out students, documents
marked confidential and personnel matters, found in a post's text.

Per post: one fold, one pass of the roster automaton (rules.detect.roster) and, only when a name
or a marking substring is present, one pass of the combined expression (rules.detect.identifiers).
No loop over the roster. Hits name students only in `summary` and `details`; `category` never
names anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from hallmonitor.config import Student
from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect import identifiers as ids
from rules.detect.lexicons import fold
from rules.detect.lexicons.matcher import Gate
from rules.detect.roster import (
    FIRST_ONLY,
    INITIAL,
    LAST_FIRST,
    PREFERRED,
    STUDENT_ID,
    SURNAME_KIN,
    NameMatch,
    RosterIndex,
)
from rules.registry import register

Category = Literal[
    "student-record",
    "student-identifier",
    "opt-out-student-named",
    "student-named-without-consent",
    "confidential-document",
    "personnel-matter",
    "premises-image",
]
RecordKind = Literal[
    "grades",
    "scores",
    "iep",
    "discipline",
    "health",
    "attendance",
    "counselling",
    "family",
    "housing",
    "meals",
    "immigration",
]
DEFAULT_CATEGORIES: tuple[Category, ...] = (
    "student-record",
    "student-identifier",
    "opt-out-student-named",
    "confidential-document",
    "personnel-matter",
)
# The evidence names the weak forms, so a monitor sees how the student was recognised.
_NAME_LABELS = {FIRST_ONLY: "student-first-name", SURNAME_KIN: "student-surname-and-kin-word"}
_FORM_NAMES = {
    0: "full name",
    PREFERRED: "preferred name",
    INITIAL: "first name and initial",
    FIRST_ONLY: "first name (unique on the roster)",
    LAST_FIRST: "last, first",
    STUDENT_ID: "student id",
}
# A mark in a gradebook cell or right after a name: a letter grade or a percentage. A capital
# "A" followed by a lower-case word is the article ("A great week"), not a grade.
_GRADE = r"(?:[A-F][+-]?|\d{1,3}(?:\.\d+)?\s?%)(?![A-Za-z0-9'])(?!(?<=A)\s[a-z])"
_GRADE_TOKEN = re.compile(r"(?<![A-Za-z0-9'])" + _GRADE)
_HONOURS = re.compile(r"(?i)\bhono(?:u)?r roll|\bdean'?s list|\bprincipal'?s list|\ball-conference")
_GRADE_AFTER_NAME = re.compile(r"(?:'s)?\s*[:=(\-\u2013\u2014]\s*" + _GRADE)
_PRONOUNS = frozenset({"she", "he", "they", "her", "his", "their", "hers", "him", "them"})
# A sentence ends at . ! ? followed by a space, except after an initial or a title ("Maya J.").
_BOUNDARY = re.compile(
    r"(?<!\b[a-z])(?<!\bmr)(?<!\bms)(?<!\bmrs)(?<!\bdr)(?<!\bst)[.!?]+"
    r"[\"')\]]*\s+(?P<next>[\w']+)|\n\s*\n"
)


class ConfidentialityParams(CheckParams):
    """What a rule reports and how near a name a record must be."""

    categories: tuple[Category, ...] = DEFAULT_CATEGORIES
    window_words: int = Field(default=20, ge=1, le=60)
    student_id_pattern: str = ids.DEFAULT_STUDENT_ID
    first_name_alone: bool = True  # a unique, non-word first name counts next to a record
    # On sponsored pages, consented students (photo_consent, not opted out) may be celebrated.
    # Record kinds listed here ("grades" for "4.0 GPA", "scores" for "perfect ACT score") are
    # then not hits for them there. None by default: grades and test scores are education
    # records under FERPA, and consent to photographs is not consent to release them; a district
    # whose families sign a release for honours may list them.
    consented_public_records: tuple[RecordKind, ...] = ()

    @field_validator("student_id_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            return ids.validate_student_id_pattern(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc

    def detection_key(self) -> tuple[Any, ...]:
        return (
            self.window_words,
            self.student_id_pattern,
            self.first_name_alone,
            self.consented_public_records,
        )


@dataclass
class _Found:
    category: str
    subject: str  # student id, employee id or "" (documents)
    spans: list[Span]
    kinds: list[str]
    score: float


@register
class Confidentiality(Check[ConfidentialityParams]):
    """Students named with records or identifiers, opted-out students named, confidential
    documents and personnel matters.

    Example clause: "Employees may not disclose information on any social media network that is
    confidential or proprietary to the district, its students or employees"."""

    name = "confidentiality"
    title = "Confidential student or staff information"
    subjects = ("post", "profile")

    def __init__(self) -> None:
        # (target, its text, detection key, analysis) of the last target seen: the rules of a
        # pack that share this check (with different categories) run one after another on a
        # target, so all but the first reuse the analysis.
        self._memo: tuple[Target, str, tuple[Any, ...], list[_Found]] | None = None
        self._keys: dict[int, tuple[ConfidentialityParams, tuple[Any, ...]]] = {}
        self._roster: tuple[CheckContext, RosterIndex] | None = None

    def roster(self, ctx: CheckContext) -> RosterIndex:
        if self._roster is None or self._roster[0] is not ctx:
            self._roster = (ctx, district_roster(ctx))
        return self._roster[1]

    def gate(self, params: ConfidentialityParams, ctx: CheckContext) -> Gate:
        """Nothing is found in a post that names nobody on the rosters and has no marking."""
        return self.roster(ctx).gate

    def _key(self, params: ConfidentialityParams) -> tuple[Any, ...]:
        known = self._keys.get(id(params))
        if known is None or known[0] is not params:
            known = self._keys[id(params)] = (params, params.detection_key())
        return known[1]

    def run(self, target: Target, params: ConfidentialityParams, ctx: CheckContext) -> list[Hit]:
        assert isinstance(params, ConfidentialityParams)
        key = self._key(params)
        memo = self._memo
        if memo is not None and memo[0] is target and memo[1] is target.text and memo[2] == key:
            found = memo[3]
        else:
            found = self._analyse(target, params, ctx)
            self._memo = (target, target.text, key, found)
        if not found:
            return []
        roster = self.roster(ctx)
        return [self._hit(f, roster) for f in found if f.category in params.categories]

    def _analyse(
        self, target: Target, params: ConfidentialityParams, ctx: CheckContext
    ) -> list[_Found]:
        text = target.text or ""
        if not text:
            return []
        folded = fold(text)
        roster = self.roster(ctx)
        names, marked = roster.scan(text, folded)
        if not names and not marked:
            return []
        terms = ids.scanner(params.student_id_pattern).scan(folded)
        terms += _grades_after_names(text, names)
        found: list[_Found] = []
        found += _named_students(names, roster, target, ctx)
        found += _roster_ids(names, roster, target)
        found += _gradebook(text, names, roster)
        if terms:
            found += _student_disclosures(text, folded, names, terms, roster, params, target, ctx)
            found += _personnel(folded, names, terms, roster, params, target)
        found += _documents(text, terms, marked)
        if marked and (target.extra or {}).get("text_source") == "image":
            found += _premises(folded, sponsored=target.account.kind == "sponsored")
        return _merged(found)

    def _hit(self, found: _Found, roster: RosterIndex) -> Hit:
        who, details = _describe(found, roster)
        kinds = ", ".join(dict.fromkeys(found.kinds))
        summaries = {
            "student-record": f"Names {who} together with record terms ({kinds})",
            "student-identifier": f"Names {who} together with identifiers ({kinds})",
            "opt-out-student-named": f"Names {who}, whose family opted out of media",
            "student-named-without-consent": f"Names {who} without recorded parental consent",
            "confidential-document": f"Text marked confidential ({kinds})",
            "personnel-matter": f"Personnel matter ({kinds}) about {who}",
            "premises-image": f"Image of nonpublic premises ({kinds})",
        }
        key = found.category + (f":{found.subject}" if found.subject else "")
        return Hit(
            key=key,
            summary=summaries[found.category],
            category=found.category,
            spans=sorted(set(found.spans), key=lambda s: (s.start, s.end)),
            details={**details, "kinds": list(dict.fromkeys(found.kinds))},
            detector=f"confidentiality/{found.category}",
            score=found.score,
        )


def district_roster(ctx: CheckContext) -> RosterIndex:
    """The run's roster automaton (students and staff), built once and shared by the checks
    that name people (conduct asks it whether a post is about someone of the district)."""
    return ctx.cached(
        "confidentiality.roster",
        lambda: RosterIndex(ctx.config.students, ctx.config.staff, ids.MARKER_NEEDLES),
    )


def _describe(found: _Found, roster: RosterIndex) -> tuple[str, dict[str, Any]]:
    if found.category in ("confidential-document", "premises-image"):
        return "", {}
    if found.category == "personnel-matter":
        member = next(s for s in roster.staff if s.employee_id == found.subject)
        return (
            f"staff member {member.first_name} {member.last_name}",
            {"employee_id": member.employee_id},
        )
    student = roster.students[roster.by_id[found.subject]]
    return f"student {student.full_name} ({student.student_id})", {"student_id": found.subject}


def _consented(student: Student) -> bool:
    return student.photo_consent and not student.media_opt_out


def _named_students(
    names: list[NameMatch], roster: RosterIndex, target: Target, ctx: CheckContext
) -> list[_Found]:
    """Opted-out students named anywhere; other students named without consent. A first name
    alone names a student too when it is unique on the roster (see rules.detect.roster), with a
    lower score: "Lucy, bring that slip!!" on a teacher's page."""
    found: dict[tuple[str, str], _Found] = {}
    for match in names:
        if match.form == STUDENT_ID or not (match.strong or match.form == FIRST_ONLY):
            continue  # an id is an identifier (`_roster_ids`), not a name
        student = roster.students[match.index]
        if _consented(student):
            continue

        if student.media_opt_out:
            category = "opt-out-student-named"
        elif not student.photo_consent:
            category = "student-named-without-consent"
        else:
            continue
        entry = found.setdefault(
            (category, student.student_id),
            _Found(category, student.student_id, [], [], 0.95 if match.strong else 0.6),
        )
        entry.spans.append(Span(match.start, match.end, "student-name"))
        entry.kinds.append(_FORM_NAMES[match.form])
    return list(found.values())


# A colleague's own agreement, said in the post: "He said I could share", "with her permission".
_STAFF_CONSENT = re.compile(
    r"\b(?:(?:he|she|they)\s+(?:said|told\s+me)\s+i\s+(?:could|can)\s+(?:share|post|tell)|"
    r"with\s+(?:his|her|their)\s+(?:permission|blessing|ok)|(?:shared|posted)\s+with\s+permission)"
)


def _near(
    folded: str,
    a: tuple[int, int],
    b: tuple[int, int],
    window: int,
    given: tuple[str, ...] = (),
) -> bool:
    """Whether a name at `a` and a record at `b` are about the same person: within `window`
    words in one sentence, or in neighbouring sentences joined by a reference back.

    - Same sentence: up to `window` words apart, or twice that when a pronoun between them
      refers back ("Mai (3rd grade, you know her from ...) is moving ... because of the visa").
    - Name first: each later sentence must go on about the person: a third-person pronoun early
      in it ("... Ethan Vang's grandma. He's been at the ALC since ..."), the person's given
      name again (`given`), or "both"/"neither" opening it. The distance may then stretch to
      twice `window`, with the record within `window` words of its sentence's start.
    - Record first: each sentence from the record's on must have such a pronoun ("... because
      she WALKED two miles ... Ellie, you are tougher than all of us").
    """
    name_first = a[0] <= b[0]
    lo, hi = (a[1], b[0]) if name_first else (b[1], a[0])
    if hi <= lo:
        return True
    gap = folded[lo:hi]
    size = len(gap.split())
    if size > 2 * window:
        return False
    boundaries = list(_BOUNDARY.finditer(gap))
    if not boundaries:
        return size <= window or _has_pronoun(gap.split())
    if any(boundary.group("next") is None for boundary in boundaries):
        return False  # a paragraph break
    if name_first:
        if len(gap[boundaries[-1].start("next") :].split()) > window:
            return False
        if all(_continues(folded, lo + bd.start("next"), given) for bd in boundaries):
            return True
        # The record's sentence right after the name's may have no subject of its own when the
        # sentence after it takes the person up again: "Heartbroken for Brynn S. Second
        # concussion in a year, doctor says no contact. She'll be on the bench cheering."
        return len(boundaries) == 1 and _resumed_after(folded, b[1])
    starts = [_sentence_start(folded, lo)] + [lo + bd.start("next") for bd in boundaries]
    ends = [lo + bd.start() for bd in boundaries]
    return all(_has_pronoun(folded[s:e].split()) for s, e in zip(starts, ends, strict=False))


def _resumed_after(folded: str, position: int) -> bool:
    """Whether the sentence after the one holding `position` opens with a third-person
    pronoun (within its first two words)."""
    end = _SENTENCE_END.search(folded, position)
    if end is None or "\n\n" in end.group(0):
        return False
    return _has_pronoun(folded[end.end() : end.end() + 40].split()[:2])


_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s|\n\s*\n")
_CONTRACTION = re.compile(r"(?:'|\u2019)(?:s|d|ll|re|ve)$")
_OPENERS = frozenset({"both", "neither"})


def _sentence_start(folded: str, position: int) -> int:
    start = max(0, position - 300)
    ends = [m.end() for m in _SENTENCE_END.finditer(folded, start, position)]
    return ends[-1] if ends else start


def _words(words: list[str]) -> list[str]:
    return [_CONTRACTION.sub("", w.strip('.,!?;:"()[]')).strip("'\u2019") for w in words]


def _has_pronoun(words: list[str]) -> bool:
    return any(word in _PRONOUNS for word in _words(words))


def _continues(folded: str, start: int, given: tuple[str, ...] = ()) -> bool:
    """Whether the sentence starting at `start` goes on about the person: a third-person
    pronoun or the given name among its first `_CONTINUE_WORDS` words, "both"/"neither"
    opening it (contractions such as "he's" count), or a note too short to have a subject of
    its own ("Grades.", "14 absences this quarter."), which can only be about the same person."""
    end = _SENTENCE_END.search(folded, start)
    sentence = folded[start : end.start() if end else len(folded)].split()
    words = _words(sentence[:_CONTINUE_WORDS])
    if not words:
        return False
    if len(sentence) <= _FRAGMENT_WORDS and _VERBS.isdisjoint(words):
        return True  # no verb: no subject of its own ("Homework was 20%." has one)
    return words[0] in _OPENERS or any(w in _PRONOUNS or w in given for w in words)


_CONTINUE_WORDS = 20
_FRAGMENT_WORDS = 4
_VERBS = frozenset({"is", "are", "was", "were", "has", "have", "had", "will", "be", "do", "did"})


def _student_disclosures(
    text: str,
    folded: str,
    names: list[NameMatch],
    terms: list[ids.Term],
    roster: RosterIndex,
    params: ConfidentialityParams,
    target: Target,
    ctx: CheckContext,
) -> list[_Found]:
    """Student named near a record term or an identifier; a roster student id anywhere."""
    students = [m for m in names if m.is_student and (m.strong or params.first_name_alone)]
    found: dict[tuple[str, str], _Found] = {}
    sponsored = target.account.kind == "sponsored"
    for term in terms:
        label = ids.ALSO_STUDENT_RECORD.get(term.label, term.label)
        if label.startswith("record_"):
            category, kind = "student-record", label.removeprefix("record_")
        elif label.startswith("id_") and _is_identifier(term, ctx):
            category, kind = "student-identifier", label.removeprefix("id_")
        else:
            continue
        for match in students:
            student = roster.students[match.index]
            if not _near(
                folded,
                (match.start, match.end),
                (term.start, term.end),
                params.window_words,
                _given_names(student),
            ):
                continue
            if (
                sponsored
                and category == "student-record"
                and _consented(student)
                and kind in params.consented_public_records
            ):
                continue
            _add(found, category, student.student_id, match, term, kind)
        sid = text[term.start : term.end]
        if label == "id_student_id" and sid in roster.by_id:
            entry = found.setdefault((category, sid), _Found(category, sid, [], [], 0.9))
            entry.spans.append(Span(term.start, term.end, "identifier:student_id"))
            entry.kinds.append("student_id")
    return list(found.values())


def _given_names(student: Student) -> tuple[str, ...]:
    return tuple({fold(n) for n in (student.first_name, student.preferred_name) if n})


def _add(
    found: dict[tuple[str, str], _Found],
    category: str,
    sid: str,
    match: NameMatch,
    term: ids.Term,
    kind: str,
) -> None:
    score = 0.95 if match.strong else 0.6
    entry = found.setdefault((category, sid), _Found(category, sid, [], [], score))
    entry.score = max(entry.score, score)
    entry.spans.append(Span(match.start, match.end, _NAME_LABELS.get(match.form, "student-name")))
    prefix = "record" if category == "student-record" else "identifier"
    entry.spans.append(Span(term.start, term.end, f"{prefix}:{kind}"))
    entry.kinds.append(kind)


def _is_identifier(term: ids.Term, ctx: CheckContext) -> bool:
    """District contact details are not a student's identifiers."""
    district = ctx.config.district
    if term.label == "id_email":
        domain = term.value.rsplit("@", 1)[-1]
        return not any(
            domain == d.lower() or domain.endswith("." + d.lower()) for d in district.email_domains
        )
    if term.label == "id_phone" and district.phone:
        return ids.digits(term.value)[-10:] != ids.digits(district.phone)[-10:]
    return True


def _documents(text: str, terms: list[ids.Term], marked: bool) -> list[_Found]:
    """Markings as written ("FERPA-protected", "CONFIDENTIAL") and, where a marking substring
    was seen, capitals that are a CONFIDENTIAL stamp read in part."""
    spans = []
    kinds = []
    for term in terms:
        if term.label == "doc_marker" or (
            term.label == "doc_caps" and text[term.start : term.end].isupper()
        ):
            spans.append(Span(term.start, term.end, "marker:confidential"))
            kinds.append(term.value.strip())
    if marked:
        for start, end, letters in ids.partial_markings(text):
            if not any(s.start <= start < s.end for s in spans):
                spans.append(Span(start, end, "marker:confidential-partial"))
                kinds.append(letters.lower())
    return [_Found("confidential-document", "", spans, kinds, 0.9)] if spans else []


def _merged(found: list[_Found]) -> list[_Found]:
    """One finding per category and subject, whichever signals found it (a gradebook row and a
    record word beside the same name), with every signal's evidence."""
    merged: dict[tuple[str, str], _Found] = {}
    for item in found:
        known = merged.get((item.category, item.subject))
        if known is None:
            merged[(item.category, item.subject)] = item
        else:
            known.spans += item.spans
            known.kinds += item.kinds
            known.score = max(known.score, item.score)
    return list(merged.values())


def _grades_after_names(text: str, names: list[NameMatch]) -> list[ids.Term]:
    """A mark written right after a student's name ("Søren Åberg: F.", "Maya J. - 58%"), except
    in an honor roll ("Ella Brekke - A Honor Roll")."""
    if _HONOURS.search(text):
        return []
    terms = []
    for match in names:
        if match.is_student and match.form != STUDENT_ID:
            grade = _GRADE_AFTER_NAME.match(text, match.end)
            if grade:
                terms.append(
                    ids.Term(
                        grade.start(),
                        grade.end(),
                        "record_grades",
                        text[grade.start() : grade.end()],
                    )
                )
    return terms


def _roster_ids(names: list[NameMatch], roster: RosterIndex, target: Target) -> list[_Found]:
    """A roster student id written out is that student's identifier. An id with letters or
    separators in the roster's own shape ("TL288886", "CB-204518") counts wherever it stands;
    a number alone could be anything ("20231007" is also a date), so a purely numeric id counts
    in a list of ids or in a document read from an image (an "ID: ..." label is
    `id_student_id`'s business)."""
    matches = [m for m in names if m.form == STUDENT_ID]
    if not matches:
        return []
    listed = len({m.index for m in matches}) >= 2
    document = (target.extra or {}).get("text_source") == "image"
    found: dict[str, _Found] = {}
    for match in matches:
        sid = roster.students[match.index].student_id
        if sid.isdigit() and not (listed or document):
            continue
        entry = found.setdefault(sid, _Found("student-identifier", sid, [], [], 0.9))
        entry.spans.append(Span(match.start, match.end, "identifier:student_id"))
        entry.kinds.append("student_id")
    return list(found.values())


def _gradebook(text: str, names: list[NameMatch], roster: RosterIndex) -> list[_Found]:
    """Document structure: two or more students listed as "Last, First" or by roster id, with
    marks in the same text, is a gradebook (or a roster of results): a record of each of them."""
    listed: dict[str, NameMatch] = {}
    for match in names:
        if match.form in (LAST_FIRST, STUDENT_ID):
            listed.setdefault(roster.students[match.index].student_id, match)
    if len(listed) < 2 or _HONOURS.search(text):
        return []  # an honor roll lists names and levels ("A Honor Roll") but no one's marks
    marks = [m for m in _GRADE_TOKEN.finditer(text)][:50]
    if len(marks) < 2:
        return []
    mark_spans = [Span(m.start(), m.end(), "record:grade-cell") for m in marks[:3]]
    return [
        _Found(
            "student-record",
            sid,
            [Span(m.start, m.end, "student-name"), *mark_spans],
            ["gradebook"],
            0.9,
        )
        for sid, m in listed.items()
    ]


def _premises(folded: str, sponsored: bool = False) -> list[_Found]:
    """An image whose text is a building plan (rooms, corridors, exits, secure rooms) or shows
    security arrangements (an access code, a camera system's view of the building, panic
    buttons and blind spots). A plan a district page posts (a map for families) is public by
    its act; the security arrangements it shows are not, so on sponsored pages only those count."""
    plan = [] if sponsored else ids.premises_plan(folded)
    labels = plan + ids.security_layout(folded)
    if not labels:
        return []
    spans = [Span(t.start, t.end, t.label.replace("_", ":", 1)) for t in labels[:12]]
    kinds = sorted({t.label.removeprefix("premises_") for t in labels})
    return [_Found("premises-image", "", spans, kinds, 0.8)]


def _personnel(
    folded: str,
    names: list[NameMatch],
    terms: list[ids.Term],
    roster: RosterIndex,
    params: ConfidentialityParams,
    target: Target,
) -> list[_Found]:
    staff = [m for m in names if not m.is_student]
    if not staff or _STAFF_CONSENT.search(folded):
        return []  # an adult colleague may agree to their news being shared
    found: dict[str, _Found] = {}
    for term in terms:
        if not term.label.startswith("personnel_"):
            continue
        for match in staff:
            member = roster.staff[match.index]
            if member.employee_id == target.account.owner:
                continue  # an employee may speak about their own leave or evaluation
            if not _near(
                folded, (match.start, match.end), (term.start, term.end), params.window_words
            ):
                continue
            entry = found.setdefault(
                member.employee_id, _Found("personnel-matter", member.employee_id, [], [], 0.85)
            )
            entry.spans += [
                Span(match.start, match.end, "staff-name"),
                Span(term.start, term.end, f"personnel:{term.kind}"),
            ]
            entry.kinds.append(term.kind)
    return list(found.values())
