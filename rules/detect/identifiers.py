"""Record terms, identifiers, confidentiality markings and personnel-matter terms, as data.

Presidio-style: each entry is a label and regular expressions (run on text folded by
`rules.detect.roster.fold`, so lower-case and accent-free). A label's expression runs only in
windows around its literal triggers (TRIGGERS), found in one Aho-Corasick pass, and only on posts
where it can matter (a roster name was found, or a cheap substring says a marking may be there).

Labels: `record_<kind>` (education records: what, next to a student's name, discloses a record),
`id_<kind>` (identifiers), `doc_marker` / `doc_caps` (a document marked confidential; `doc_caps`
counts only when written in capitals, because "keep it confidential" is ordinary prose), and
`personnel_<kind>` (confidential personnel matters, next to a staff member's name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from rules.detect.lexicons.matcher import compile_folded

DEFAULT_STUDENT_ID = r"\b\d{6,9}\b"

_DATE = (r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b|\d{4}-\d{2}-\d{2}\b|"
         r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
         r"(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b)")
_STREET = (r"(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|court|ct|boulevard|blvd|way|place|"
           r"pl|circle|cir|trail|trl|parkway|pkwy|terrace|ter|highway|hwy)")

# Labels may overlap ("disciplinary action" is personnel and a student record): each is found.
PATTERNS: dict[str, list[str]] = {
    "personnel_discipline": [
        r"disciplinary action", r"written up", r"write-?up", r"reprimand\w*",
        r"suspended (?:with|without) pay", r"unpaid suspension", r"misconduct",
    ],
    "personnel_leave": [
        r"(?:administrative|medical|maternity|paternity|sick|disability|unpaid|paid|stress) leave",
        r"leave of absence", r"\bon leave\b", r"\bfmla\b",
    ],
    "personnel_termination": [
        r"\bfired\b", r"\bterminated\b", r"\btermination\b", r"\blet go\b", r"non-?renew\w*",
        r"resign\w* (?:in lieu|under pressure)", r"contract (?:was |is )?not (?:being )?renewed",
    ],
    "personnel_investigation": [
        r"under investigation", r"being investigated", r"investigation into", r"\binvestigated\b",
        r"complaints? (?:against|about|filed)", r"\bgrievance\b",
    ],
    "personnel_evaluation": [
        r"performance (?:review|evaluation|improvement plan)", r"improvement plan",
        r"(?:bad|poor|negative|unsatisfactory|failed) (?:evaluation|review)", r"\bevaluation\b",
    ],
    "record_iep": [
        r"\biep\b", r"\b504 plan", r"\b504 (?:meeting|accommodation\w*)", r"section 504",
        r"\b(?:a|her|his|their|the) 504\b", r"special ed(?:ucation)?\b", r"\bsped\b",
        r"individuali[sz]ed education", r"learning disabilit\w+", r"dyslexi\w+",
        r"speech therapy", r"resource room", r"english learner", r"\bell student",
    ],
    "record_discipline": [
        r"suspen(?:ded|sion)(?! bridge)", r"detention", r"\bexpel(?:led)?\b", r"expulsion",
        r"disciplin\w*",
        r"office referral", r"referred to the office", r"sent to the (?:principal|office)",
        r"behaviou?r (?:plan|contract|referral|incident)", r"got in trouble",
        r"in trouble for", r"\biss\b",
    ],
    "record_health": [
        r"diagnos\w+", r"\badhd\b", r"autis\w+", r"diabet\w+", r"seizures?", r"epilep\w+",
        r"medications?", r"\bmeds\b", r"prescription", r"therap(?:y|ies|ist)",
        r"hospitali[sz]ed", r"in the hospital", r"emergency room", r"mental health",
        r"depress(?:ed|ion)", r"\banxiety\b", r"suicid\w+", r"self-harm", r"allerg\w+", r"asthma",
        r"pregnan\w+", r"eating disorder", r"chemo\w*", r"tested positive",
        # common illnesses a teacher might mention ("home with strep", "has head lice again")
        r"\bstrep\b", r"\bflu\b(?! shots?\b| clinics?\b| season\b| vaccines?\b)", r"influenza",
        r"covid\b", r"pneumonia", r"chicken ?pox", r"\bpink ?eye\b", r"\blice\b", r"concussion\w*",
        r"stomach (?:bug|flu|virus)", r"(?<!spring )\bfever\b", r"\bsurgery\b",
    ],
    "record_attendance": [
        r"absen(?:t|ces?)\b", r"truan(?:t|cy)", r"tard(?:y|ies)\b",
        r"skipp(?:ed|ing) (?:school|class)", r"missed \d+ days", r"chronically absent",
        r"attendance (?:problem|issue|record|letter)",
        # someone's attendance ("Ben's attendance has been rough"), not attendance at an event
        r"(?:'s|\bher|\bhis|\btheir) attendance\b(?! (?:at|for|to)\b)",
        r"attendance (?:has been |is |was )?(?:rough|poor|bad|spotty|terrible|awful|"
        r"a (?:problem|concern)|an issue)",
    ],
    "record_counselling": [
        r"counsel(?:l)?ing",
        r"(?:sees?|seeing|saw|meets? with|met with|meeting with|referred to|talk(?:ed|ing|s)? "
        r"(?:to|with)|sent to) (?:the |a |her |his |their |our )?(?:school )?"
        r"(?:counsel(?:l)?or|social worker|psychologist)",
        r"crisis (?:team|counsel\w*)",
    ],
    "record_grades": [
        r"\bgpa\b", r"report card", r"\bfailing\b", r"flunk\w*",
        r"failed (?:the |her |his |their |a |an )?(?:test|exam|class|quiz|course|final)",
        r"(?:her|his|their|'s) grades", r"grades (?:are|were|have|dropped|slipp\w+|fell)",
        r"\bgot an? [a-f][+-]? (?:on|in)\b", r"academic probation", r"academically ineligible",
        # a mark out of 100 on a piece of work ("got a 98 on her science final")
        r"\bgot an? \d{1,3}(?:\.\d)?%? (?:on|in) (?:[\w']+ ){0,3}?(?:test|exam|quiz|final|"
        r"midterm|project|essay|paper|assignment|homework|lab|report)s?\b",
        r"\bineligible\b", r"class rank", r"transcript", r"straight [a-f]'?s\b",
    ],
    "record_scores": [
        r"test scores?", r"(?:act|sat|psat|mca|map|nwea|ged|iq|ap exam) (?:scores?|results)",
        r"scored (?:a |an )?\d+ on (?:the|her|his|their|an?|my) "
        r"(?:act|sat|psat|mca|map|test|exam|quiz|final)",
        r"reading level", r"\d+(?:st|nd|rd|th) percentile", r"\biq\b",
    ],
    "id_dob": [
        r"(?:\bdob\b|date of birth|birth ?date|\bborn(?: on)?|birthday(?: is)?)\s*[:\-]?\s*"
        r"(?P<dob_value>" + _DATE + ")",
    ],
    "id_address": [
        r"(?:\blives?|\bliving|\bhome|\baddress|\bhouse|\bresidence|\bmoved)\b[^.!?\n]{0,25}?"
        r"(?P<address_value>\b\d{1,6}\s+(?:[a-z0-9'.-]+\s+){1,3}" + _STREET + r")\b",
    ],
    "id_phone": [
        r"(?<![\d-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])",
        r"(?<![\d-])\d{3}-\d{4}(?![\d-])",
    ],
    "id_email": [r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}"],
    "doc_marker": [
        r"ferpa[- ](?:protected|confidential)", r"protected (?:by|under) ferpa",
        r"(?:for )?internal use only", r"privileged (?:and|&) confidential",
        r"strictly confidential", r"^\s*confidential\b",
    ],
    "doc_caps": [r"\bconfidential\b", r"do not (?:distribute|forward|share)",
                 r"not for distribution"],
}

# Literal trigger substrings per label: every match of a label's expressions contains one of
# them. A trigger automaton finds them; a label's expression then runs only in a window around
# its triggers. (Measured: one combined alternation of these expressions costs ~1.5 ms per
# 250-character post in Python's `re`; gated windows cost a few microseconds.)
_DIGITS = tuple("0123456789")
TRIGGERS: dict[str, tuple[str, ...]] = {
    "personnel_discipline": ("disciplin", "written up", "write", "reprimand", "suspended",
                             "suspension", "misconduct"),
    "personnel_leave": ("leave", "fmla"),
    "personnel_termination": ("fired", "terminat", "let go", "renew", "resign"),
    "personnel_investigation": ("investigat", "complaint", "grievance"),
    "personnel_evaluation": ("evaluation", "review", "improvement plan"),
    "record_iep": ("iep", "504", "special ed", "sped", "individuali", "learning disab",
                   "dyslexi", "speech therapy", "resource room", "english learner",
                   "ell student"),
    "record_discipline": ("suspen", "detention", "expel", "expulsion", "disciplin",
                          "office referral", "referred to the office", "sent to the",
                          "behavio", "trouble", "iss"),
    "record_health": ("diagnos", "adhd", "autis", "diabet", "seizure", "epilep", "medication",
                      "meds", "prescription", "therap", "hospital", "emergency room",
                      "mental health", "depress", "anxiety", "suicid", "self-harm", "allerg",
                      "asthma", "pregnan", "eating disorder", "chemo", "tested positive",
                      "strep", "flu", "influenza", "covid", "pneumonia", "pox", "pink", "lice",
                      "concussion", "stomach", "fever", "surgery"),
    "record_attendance": ("absen", "truan", "tard", "skipp", "missed", "attendance"),
    "record_counselling": ("counsel", "social worker", "psychologist", "crisis"),
    "record_grades": ("gpa", "report card", "failing", "flunk", "failed", "grades", "got a",
                      "academic", "ineligible", "class rank", "transcript", "straight "),
    "record_scores": ("score", "reading level", "percentile", "iq", "results"),
    "id_dob": ("dob", "birth", "born"),
    "id_address": ("live", "living", "home", "address", "house", "residence", "moved"),
    "id_phone": _DIGITS,
    "id_email": ("@",),
    "id_student_id": ("id", "student"),
    "doc_marker": ("ferpa", "internal use", "privileged", "confidential"),
    "doc_caps": ("confidential", "distribut", "do not forward", "do not share"),
}
# How far around a trigger a label's match can reach (the longest is an address after "lives").
_BEFORE, _AFTER = 60, 100

# Substrings one of which a post must contain for a marking or a bare student id to be possible;
# they ride in the roster automaton's pass, and a roster name found in the post also opens it.
MARKER_NEEDLES = ("confidential", "ferpa", "internal use", "distribut", "do not forward",
                  "do not share", "student id", "student #", "student number", "id #", "id#",
                  "id:", "id number")

# Personnel phrases that are also a student's discipline record ("written up", "reprimanded").
ALSO_STUDENT_RECORD = {"personnel_discipline": "record_discipline"}


@dataclass(frozen=True)
class Term:
    start: int
    end: int
    label: str  # a key of PATTERNS
    value: str  # the matched identifier value (folded), or the matched words

    @property
    def kind(self) -> str:
        return self.label.split("_", 1)[1]


def _student_id_expression(student_id_pattern: str) -> str:
    # "student ID 204519", "ID#: 204519", "student ID is 204519"
    return (r"(?:student\s*(?:id|number|no\.?|#)|\bid\b)\s*(?:number|no\.?|#)?\s*[:#=]?\s*"
            r"(?:(?:is|was)\s+)?(?P<student_id_value>" + student_id_pattern + ")")


class Scanner:
    """The trigger automaton plus one compiled expression per label."""

    def __init__(self, student_id_pattern: str) -> None:
        groups = {**PATTERNS, "id_student_id": [_student_id_expression(student_id_pattern)]}
        # The text is folded to lower case; a district's own student id format ("S\d{6}") gets
        # case-insensitive matching from compile_folded.
        self.expressions = {label: compile_folded("|".join(f"(?:{p})" for p in patterns),
                                                  re.MULTILINE)
                            for label, patterns in groups.items()}
        self.automaton = ahocorasick.Automaton()
        by_trigger: dict[str, set[str]] = {}
        for label, triggers in TRIGGERS.items():
            for trigger in triggers:
                by_trigger.setdefault(trigger, set()).add(label)
        for trigger, labels in by_trigger.items():
            self.automaton.add_word(trigger, (len(trigger), tuple(sorted(labels))))
        self.automaton.make_automaton()

    def scan(self, folded: str) -> list[Term]:
        """Every record, identifier, marking and personnel term in `folded`, left to right."""
        windows: dict[str, list[list[int]]] = {}
        n = len(folded)
        for end_index, (length, labels) in self.automaton.iter(folded):
            lo, hi = max(0, end_index - length + 1 - _BEFORE), min(n, end_index + 1 + _AFTER)
            for label in labels:
                spans = windows.setdefault(label, [])
                if spans and lo <= spans[-1][1]:
                    spans[-1][1] = hi
                else:
                    spans.append([lo, hi])
        found: dict[tuple[int, int, str], Term] = {}
        for label, spans in windows.items():
            expression = self.expressions[label]
            value_group = _VALUE_GROUPS.get(label)
            for lo, hi in spans:
                for match in expression.finditer(folded, lo, hi):
                    start, end = match.span(value_group) if value_group else match.span()
                    if end > start:
                        found[(start, end, label)] = Term(start, end, label, folded[start:end])
        return sorted(found.values(), key=lambda t: (t.start, t.end, t.label))


@lru_cache(maxsize=16)
def scanner(student_id_pattern: str = DEFAULT_STUDENT_ID) -> Scanner:
    return Scanner(student_id_pattern)


def validate_student_id_pattern(pattern: str) -> str:
    compiled = re.compile(pattern)
    if compiled.groupindex:
        raise ValueError("must not contain named groups")
    if compiled.match(""):
        raise ValueError("must not match the empty string")
    scanner(pattern)
    return pattern


_VALUE_GROUPS = {"id_dob": "dob_value", "id_address": "address_value",
                 "id_student_id": "student_id_value"}


def scan(folded: str, student_id_pattern: str = DEFAULT_STUDENT_ID) -> list[Term]:
    return scanner(student_id_pattern).scan(folded)


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)
