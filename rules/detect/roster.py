"""Roster name matching: every way a post can name a student or a staff member, found in one
Aho-Corasick pass over the folded text.

What counts as naming a student (decided here, documented in docs and tests):
- strong forms: "First Last", "Preferred Last", "Last, First" (gradebooks and report headers),
  "First L." / "Preferred L." (the initial must be followed by a non-letter, so "Maya J" never
  matches "Maya Jones"), and the student's roster id in the roster's own shape ("TL288886",
  "CB-204518"); possessives ("Maya's") and any case or accents ("JOSÉ", "Jose" for José) match
  because matching is on folded text (targets arrive NFC-normalised, rules.base.Target);
- a first (or preferred) name alone is a *weak* form, kept only when it is unique on the roster,
  is nobody's last name nor a staff first name, is at least 3 letters, is not a common English
  word ("Will", "May", "Grace", see COMMON_WORD_NAMES), is capitalised in the post and is not
  followed by another capitalised word (a different surname: "Maya Jones"). Weak forms
  never count on their own: the confidentiality check uses them only next to record terms;
- a student's last name alone never counts; a staff member's last name alone ("Carrasco is
  being non-renewed") is a weak staff form, kept only when it is unique among staff, nobody's
  student surname, not a common word and capitalised, and used only beside personnel terms;
- a strong form right after an honorific ("Mr.", "Coach",
  ...) is a staff member, not a student ("Mr. Nguyen" with student Linh Nguyen on the roster);
- a strong form that is also a staff member's full name is ambiguous and is treated as staff;
- if a form's words are all common words ("Will May"), it must be capitalised in the post.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from hallmonitor.config import StaffMember, Student
from rules.detect.lexicons import fold
from rules.detect.lexicons.matcher import Gate

# Names that are also everyday words. A first name on this list never counts alone, and a form
# made only of such words must be capitalised in the post.
COMMON_WORD_NAMES = frozenset(
    """
ace amber angel april art august autumn bear bill blue bo bob brook brooke cash chance chase
chip colt cooper crystal daisy dawn dean destiny drew earl faith frank gene grace grant guy
harmony heaven holly honey hope hunter iris ivy jack jet journey joy june justice king lane
legend lily major mark mason max melody miles miracle nova page paige parker pat pearl penny
pierce prince rain ray reed rich river rock rose ruby sage serenity sky skye star stone sue
summer sunny taylor trinity true van wade will may gray grey august ash bird don dusty lucky
""".split()
)

_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"'(]\s*|[.!?]\W*\s+)$")
# Common-word names that are written with a capital in ordinary prose too (months, "Will",
# brands, places): never a student on their own.
CAPITALISED_WORDS = frozenset(
    """
april may june august will mark bill frank guy don ray pat art king prince major van true bear
blue gray grey river rock stone star sky rain cash chase grant lane page parker taylor cooper
mason dean earl gene jack max miles pierce reed rich wade justice legend nova journey heaven
""".split()
)
HONORIFIC = re.compile(
    r"(?:\b(?:mr|mrs|ms|miss|mx|dr|coach|principal|superintendent|teacher|professor|prof)\.?\s+)$"
)
_SURNAME_NEXT = re.compile(r" [A-Z][a-z]")
STAFF_TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "coach")

# Kinds of form: used by callers to decide what a match may evidence.
FULL, PREFERRED, INITIAL, FIRST_ONLY, STAFF_FULL, STAFF_TITLE, KEYWORD = range(7)
# "Last, First" (gradebooks, rosters, report headers), the roster's own student id, and a staff
# member's surname alone (weak: only personnel terms right beside it make it count).
LAST_FIRST, STUDENT_ID, STAFF_LAST = 7, 8, 9
# A student's surname with a word for a child or a household ("the Pankoke kid", "the Lysne
# family", "the Gunderson and Wentzel boys"): weak, like a first name alone.
SURNAME_KIN = 10
STRONG = frozenset({FULL, PREFERRED, INITIAL, LAST_FIRST, STUDENT_ID})
STUDENT_FORMS = frozenset(
    {FULL, PREFERRED, INITIAL, FIRST_ONLY, LAST_FIRST, STUDENT_ID, SURNAME_KIN}
)
KIN_WORDS = (
    "family",
    "kid",
    "kids",
    "boy",
    "boys",
    "girl",
    "girls",
    "twins",
    "brothers",
    "sisters",
    "siblings",
    "household",
)
# Everyday short forms of given names (hypocorisms): "Jake Gunderson" is the roster's Jacob
# Gunderson when the roster lists no preferred name. Only "short form + surname" counts (strong,
# like a preferred name); a short form alone is too loose ("Ben", "Sam").
NICKNAMES: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie"),
    "alexander": ("alex", "xander"),
    "alexandra": ("alex", "lexi"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony",),
    "benjamin": ("ben", "benny"),
    "catherine": ("cate", "katie"),
    "charles": ("charlie", "chuck"),
    "charlotte": ("charlie",),
    "christopher": ("chris",),
    "daniel": ("dan", "danny"),
    "david": ("dave",),
    "edward": ("ed", "eddie", "ted"),
    "eleanor": ("ellie", "nora"),
    "elizabeth": ("liz", "beth", "lizzie", "eliza"),
    "emily": ("em", "emmy"),
    "ezekiel": ("zeke",),
    "gabriel": ("gabe",),
    "gabriella": ("gabby", "ella"),
    "isabella": ("bella", "izzy"),
    "jackson": ("jax", "jack"),
    "jacob": ("jake",),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny"),
    "jonathan": ("jon", "jonny"),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "katherine": ("kate", "katie", "kat"),
    "kathryn": ("kate", "katie"),
    "madeline": ("maddie",),
    "madison": ("maddie", "madi"),
    "margaret": ("maggie", "meg"),
    "matthew": ("matt",),
    "michael": ("mike", "mikey"),
    "nathaniel": ("nate", "nathan"),
    "nicholas": ("nick", "nico"),
    "olivia": ("liv", "livvy"),
    "patrick": ("pat",),
    "rebecca": ("becca", "becky"),
    "richard": ("rich", "rick"),
    "robert": ("rob", "bob", "bobby"),
    "samantha": ("sam",),
    "samuel": ("sam", "sammy"),
    "sofia": ("sofi",),
    "sophia": ("sophie",),
    "stephanie": ("steph",),
    "theodore": ("theo", "teddy"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("tori", "vicky"),
    "william": ("will", "liam", "billy"),
    "zachary": ("zach", "zack"),
}
# "Pablo and ", "Gunderson & ": a capitalised word joined to the name that follows it.
_JOINED = re.compile(r"(?<![\w'])([A-Z][^\W\d_]+(?:-[A-Z][^\W\d_]+)?)\s+(?:and|&)\s+(?:the\s+)?$")
STAFF_FORMS = frozenset({STAFF_FULL, STAFF_TITLE, STAFF_LAST})


def _fold_name(name: str) -> str:
    return re.sub(r"\s+", " ", fold(unicodedata.normalize("NFC", name))).strip()


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


@dataclass(frozen=True)
class NameMatch:
    start: int
    end: int
    form: int  # FULL, PREFERRED, INITIAL, FIRST_ONLY, STAFF_FULL, STAFF_TITLE
    index: int  # into RosterIndex.students or .staff

    @property
    def is_student(self) -> bool:
        return self.form in STUDENT_FORMS

    @property
    def strong(self) -> bool:
        return self.form in STRONG


# value stored per automaton key: (key length, needs capital letter, ((form, index), ...))
_Entry = tuple[int, bool, tuple[tuple[int, int], ...]]


class RosterIndex:
    """An automaton over every name form of a district's students and staff. Build it once per
    run (CheckContext.cached) and call `find` per post."""

    def __init__(
        self,
        students: Iterable[Student],
        staff: Iterable[StaffMember],
        keywords: Iterable[str] = (),
    ) -> None:
        """`keywords`: substrings (no word boundaries) whose presence `scan` reports, so a caller
        learns "a marking may be here" in the same pass as the names."""
        self.students = list(students)
        self.staff = list(staff)
        self.by_id = {s.student_id: i for i, s in enumerate(self.students)}
        forms: dict[str, list[tuple[int, int]]] = {}
        for key, form, index in self._forms():
            if key:
                forms.setdefault(key, []).append((form, index))
        self._forms_by_key = forms
        self._automaton = ahocorasick.Automaton()
        needles = [fold(keyword) for keyword in keywords]
        for needle in needles:
            self._automaton.add_word(needle, (0, False, ((KEYWORD, -1),)))
        # `scan` finds nothing in a text this gate keeps shut (see Gate).
        self.gate = Gate.for_terms(((key, False) for key in forms), needles)
        for key, entries in forms.items():
            if any(f in STAFF_FORMS for f, _ in entries) and any(f in STRONG for f, _ in entries):
                # Same full name as a staff member: ambiguous, so it counts as staff only.
                entries = [(f, i) for f, i in entries if f in STAFF_FORMS]
            caps = any(f == SURNAME_KIN for f, _ in entries) or all(
                word.rstrip(".") in COMMON_WORD_NAMES or len(word.rstrip(".")) == 1
                for word in key.split()
            )
            value: _Entry = (len(key), caps, tuple(dict.fromkeys(entries)))
            self._automaton.add_word(key, value)
        self.empty = len(self._automaton) == 0
        if not self.empty:
            self._automaton.make_automaton()

    def _forms(self) -> Iterable[tuple[str, int, int]]:
        first_counts: dict[str, int] = {}
        for student in self.students:
            for name in {_fold_name(student.first_name), _fold_name(student.preferred_name)}:
                if name:
                    first_counts[name] = first_counts.get(name, 0) + 1
        last_names = {_fold_name(s.last_name) for s in self.students}
        last_names |= {_fold_name(s.last_name) for s in self.staff}
        staff_first = {_fold_name(s.first_name) for s in self.staff}
        initial_last: dict[str, int] = {}
        for student in self.students:
            for given in {_fold_name(student.first_name), _fold_name(student.preferred_name)}:
                if given and student.last_name:
                    key = f"{given[0]}. {_fold_name(student.last_name)}"
                    initial_last[key] = initial_last.get(key, 0) + 1
        for index, student in enumerate(self.students):
            last = _fold_name(student.last_name)
            givens = [(_fold_name(student.first_name), FULL)]
            preferred = _fold_name(student.preferred_name)
            if preferred and preferred != givens[0][0]:
                givens.append((preferred, PREFERRED))
            student_id = _fold_name(student.student_id)
            if len(student_id) >= 4:
                yield student_id, STUDENT_ID, index
            if len(last) >= 3 and last not in COMMON_WORD_NAMES:
                for kin in KIN_WORDS:
                    yield f"{last} {kin}", SURNAME_KIN, index
            # short forms of the given name, and each part of a double-barrelled surname
            # ("Ellie Vasquez" for Eleanor Vasquez-Moe), with the surname: strong forms
            lasts = [last, *(p for p in re.split(r"[- ]", last) if len(p) >= 3 and p != last)]
            names = {g for g, _ in givens} | set(NICKNAMES.get(givens[0][0], ()))
            plain = {(g, last) for g, _ in givens}
            for given in sorted(names):
                for part in lasts:
                    if given and (given, part) not in plain:
                        yield f"{given} {part}", PREFERRED, index
            for given, form in givens:
                if not given or not last:
                    continue
                yield f"{given} {last}", form, index
                yield f"{last}, {given}", LAST_FIRST, index
                yield f"{given} {last[0]}.", INITIAL, index
                yield f"{given} {last[0]}", INITIAL, index
                if initial_last.get(f"{given[0]}. {last}") == 1 and len(last) >= 3:
                    yield f"{given[0]}. {last}", INITIAL, index  # "T. Nguyen"
                # A common-word first name ("Faith", "Hunter") may stand alone too, but only
                # capitalised away from the start of a sentence (see `scan`).
                if (
                    first_counts.get(given) == 1
                    and len(given) >= 3
                    and " " not in given
                    and given not in CAPITALISED_WORDS
                    and given not in last_names
                    and given not in staff_first
                ):
                    yield given, FIRST_ONLY, index
        student_last = {_fold_name(s.last_name) for s in self.students}
        staff_last_counts: dict[str, int] = {}
        for member in self.staff:
            key = _fold_name(member.last_name)
            staff_last_counts[key] = staff_last_counts.get(key, 0) + 1
        for index, member in enumerate(self.staff):
            first, last = _fold_name(member.first_name), _fold_name(member.last_name)
            if first and last:
                yield f"{first} {last}", STAFF_FULL, index
            if (
                len(last) >= 4
                and staff_last_counts.get(last) == 1
                and last not in student_last
                and last not in COMMON_WORD_NAMES
                and " " not in last
            ):
                yield last, STAFF_LAST, index
            if last:
                for title in STAFF_TITLES:
                    yield f"{title}. {last}", STAFF_TITLE, index
                    yield f"{title} {last}", STAFF_TITLE, index

    def find(self, text: str, folded: str) -> list[NameMatch]:
        return self.scan(text, folded)[0]

    def scan(self, text: str, folded: str) -> tuple[list[NameMatch], bool]:
        """Every acceptable name occurrence (longest where matches overlap), and whether any of
        the keywords occurs."""
        if self.empty:
            return [], False
        raw: list[NameMatch] = []
        keyword = False
        n = len(folded)
        for end_index, (length, caps, entries) in self._automaton.iter(folded):
            if not length:
                keyword = True
                continue
            start, end = end_index - length + 1, end_index + 1
            if start > 0 and _is_word_char(folded[start - 1]):
                continue
            if end < n and _is_word_char(folded[end]):
                continue
            first_only = entries[0][0] in _ALONE
            if (caps or first_only) and not text[start].isupper():
                continue
            if first_only and _SURNAME_NEXT.match(text, end):
                continue  # "Maya Jones" is somebody else than the roster's only Maya
            if first_only and _inside_proper_noun(text, start):
                continue  # "Prairie Rose" (a school), "Lake Hazel": not the roster's Rose
            if (
                first_only
                and folded[start:end] in COMMON_WORD_NAMES
                and _SENTENCE_START.search(text, max(0, start - 4), start)
            ):
                continue  # "Hope you all ..." / "Grace under pressure."
            for form, index in entries:
                if form in STRONG and HONORIFIC.search(folded, max(0, start - 16), start):
                    continue
                raw.append(NameMatch(start, end, form, index))
        if raw:
            raw += self._joined(text, raw)
        return _longest(raw), keyword

    def _joined(self, text: str, found: list[NameMatch]) -> list[NameMatch]:
        """Names shared by a coordination: "Pablo and Lucía Morales" names Pablo Morales too,
        "the Gunderson and Wentzel boys" a Gunderson as well as a Wentzel."""
        extra = []
        for match in found:
            if match.form not in (FULL, PREFERRED, SURNAME_KIN):
                continue
            joined = _JOINED.search(text, max(0, match.start - 40), match.start)
            if joined is None:
                continue
            word = _fold_name(joined.group(1))
            student = self.students[match.index]
            if match.form == SURNAME_KIN:
                kin = _fold_name(text[match.start : match.end]).rsplit(" ", 1)[-1]
                key = f"{word} {kin}"
            else:
                key = f"{word} {_fold_name(student.last_name)}"
            for form, index in self._forms_by_key.get(key, ()):
                if form in (FULL, PREFERRED, SURNAME_KIN):
                    extra.append(NameMatch(joined.start(1), joined.end(1), form, index))
        return extra


_CAPITALISED_BEFORE = re.compile(r"(?:^|(?P<lead>[^\s]))\s*(?:[A-Z][\w'-]*)\s+$")


def _inside_proper_noun(text: str, start: int) -> bool:
    """A word standing alone that follows a capitalised word in mid-sentence is part of a longer
    name ("built Prairie Rose", "at Lake Hazel"), not a first name on its own."""
    before = _CAPITALISED_BEFORE.search(text, max(0, start - 30), start)
    if before is None:
        return False
    lead = before.group("lead")
    return lead is not None and lead not in ".!?:;\"'(\u201c" and not lead.isdigit()


# Forms that are one word standing alone: they must be capitalised and not followed by another
# capitalised word.
_ALONE = frozenset({FIRST_ONLY, STAFF_LAST})


def _longest(matches: list[NameMatch]) -> list[NameMatch]:
    """Drop matches inside a longer one ("Maya J" inside "Maya Johnson", "Maya" inside both)."""
    matches.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[NameMatch] = []
    reach = -1
    for match in matches:
        if (
            match.end <= reach
            and kept
            and not (match.start == kept[-1].start and match.end == kept[-1].end)
        ):
            continue
        kept.append(match)
        reach = max(reach, match.end)
    return kept
