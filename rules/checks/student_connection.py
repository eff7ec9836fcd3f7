"""`student_connection`: a personal account connecting with current students, as its own words
show (friend and follower lists and private messages are never fetched)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.checks.confidentiality import district_roster
from rules.detect.lexicons import fold
from rules.detect.lexicons.matcher import Gate, compile_folded
from rules.registry import register

# Personal channels: the apps and numbers a student would reach the employee on. The district's
# own (Remind, Schoology, Classroom, Canvas, the district e-mail) are approved channels.
_APPS = r"(?:snap(?:chat)?|insta(?:gram)?|ig|tik\s?tok|discord|whats\s?app|facebook|fb|twitter)"
_INVITE = (
    r"(?:follow|add|friend|dm|message|pm|text|snap|snapchat|facetime)\s+me\b|hmu\b"
    r"|hit\s+me\s+up|(?:shoot|send|drop)\s+me\s+(?:a\s+)?(?:text|dm|message|pm|snap)\b"
    r"|my\s+dms\s+(?:are\s+)?(?:always\s+)?open|slide\s+(?:in)?to\s+my\s+dms"
    rf"|me\s+on\s+{_APPS}\b|my\s+{_APPS}\s+(?:is|handle|username|name)\b|my\s+{_APPS}\s*[:@]"
    r"|my\s+(?:personal\s+|cell\s+)?(?:cell|number|phone)\b|my\s+cell\s+phone\b"
    # following the employee's own account: "follow my personal page", "my private insta"
    rf"|follow\s+my\s+(?:personal|private|own|main|real)\s+(?:account|page|profile|{_APPS})\b"
    r"|(?:i'?ll|i\s+will|i\s+always|i\s+do)\s+(?:\w+\s+)?(?:accept|approve)\s+(?:your|all|any)\s+"
    r"(?:\w+\s+)?(?:friend|follow)\s+requests?|(?:i|i'?ll|i\s+will)\s+follow\s+(?:you\s+)?back\b"
    # the employee's number given to call or text: "call or text me at 701-555-0142"
    r"|(?:call|text|reach)\s+(?:or\s+text\s+)?me\s+(?:at|on)?\s*"
    r"\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b"
)
# Words teachers and coaches use for their students.
_WORDS = (
    r"students?|kids|kiddos|scholars|learners|class|team|squad|players|athletes|runners"
    r"|wrestlers|swimmers|girls|boys|guys|y'?all|seniors|juniors|sophomores|freshm[ae]n"
    r"|(?:\d(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth)\s+"
    r"(?:period|hour|block)|(?:\d+(?:st|nd|rd|th)|\w+th)\s+graders|graders"
)
# Students addressed by an invitation: called on ("Students, ...", "3rd period: ..."), as its
# subject ("any of my players can ..."), or by membership ("if you're in my class").
_ADDRESSED = (
    r"(?:^|[.!?\n]\s*|\b(?:hey|hi|attention|calling\s+all|dear|ok(?:ay)?)\s+)"
    rf"(?:my\s+|all\s+(?:my\s+)?)?(?:{_WORDS})\s*[,:!\-]"
    rf"|\b(?:my|any\s+of\s+my|all\s+my)\s+(?:{_WORDS})\s+(?:can|should|need\s+to|who|are\s+welcome)"
    r"|\bif\s+you(?:'re|\s+are)\s+(?:in|on)\s+my\s+(?:class|team|roster|\w+\s+(?:period|hour|block))"
    # a group told what it may do: "Students can DM me here", "any student who needs help"
    r"|(?:^|[.!?\n]\s*)(?:students|players|athletes|seniors|juniors|sophomores|freshm[ae]n)\s+"
    r"(?:can|should|may|who|are\s+welcome|feel\s+free)\b"
    r"|\b(?:any|every|each)\s+(?:of\s+my\s+|of\s+you\s+)?"
    r"(?:students?|players?|athletes?|kids?\s+in\s+my)\b"
    r"|\bif\s+you(?:'re|\s+are)\s+(?:a\s+student|one\s+of\s+my\s+(?:students|players|athletes))\b"
    r"|\b(?:you\s+guys|you\s+all)\s+in\s+(?:my|the)\s+(?:class|\w+\s+(?:period|hour|block))\b"
)
# An account saying it is connected with students: "friends with a few of my students",
# "accepted follow requests from my players", "my students follow me here".
# Students, unambiguously: "my kids" or "my girls" may be the employee's own children.
_PUPILS = (
    r"students?|scholars|learners|players|athletes|runners|wrestlers|swimmers|seniors|juniors"
    r"|sophomores|freshm[ae]n|(?:\d(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh"
    r"|eighth)\s+(?:period|hour|block)(?:\s+(?:kids|students|class))?"
    r"|(?:\d+(?:st|nd|rd|th)|\w+th)\s+graders"
)
_CONNECTED = (
    r"(?:friends?\s+with|friended|follow(?:ing|ed)?|connect(?:ed|ing)?\s+with"
    r"|accept(?:ed|ing)?\s+(?:\w+\s+){0,3}(?:friend|follow)\s+requests?\s+from)"
    r"\s+(?:\w+\s+){0,3}?(?:my|our|current|some|a\s+few\s+of\s+my)\s+"
    rf"(?:{_WORDS})"
    rf"|(?:my|our)\s+(?:{_WORDS})\s+(?:all\s+)?(?:follow|friended|added)\s+me"
    # texting or messaging students oneself: "I texted a student last night", "I snap my
    # players every morning", "DMed one of my 3rd hour kids"
    r"|(?:\b(?:i|i'?ve|i\s+have|i\s+always|i\s+usually|i\s+just)\s+(?:\w+\s+)?|(?:^|[.!?]\s+))"
    r"(?:text(?:ed|s)?|snap(?:ped|chatted)?|dm(?:'?d|ed)?|messaged|facetimed)\s+"
    r"(?:a|my|one\s+of\s+my|two\s+of\s+my|a\s+few\s+of\s+my|some\s+of\s+my|all\s+(?:of\s+)?my|the)\s+"
    rf"(?:{_PUPILS})\b(?!'|\s+(?:parents|moms?|dads?|families|guardians))"
    rf"|(?:students?|players|athletes)\s+(?:\w+\s+){{0,2}}?(?:text|snap|dm|message)\s+me\s+"
    r"(?:all\s+the\s+time|every\s+(?:day|night)|constantly|at\s+night|late\s+at\s+night)"
)
_NEGATION = re.compile(r"\b(?:not|never|n't|no|won't|don't|do\s+not|cannot|can't)\b[^.!?\n]{0,30}$")
_EXEMPT = compile_folded(
    r"\b(?:(?:on|via|through|in|use|using|over)\s+remind|remind\s+(?:app|message|messages|class)"
    r"|schoology|google\s+classroom|classroom\s+app|canvas|seesaw|class\s*dojo"
    r"|(?:school|district|work)\s+e-?mail|parents?\s+(?:can|may|should|please)"
    r"|my\s+(?:own\s+)?(?:son|daughter|niece|nephew|grandson|granddaughter|cousin|kid|kids|child)"
    r"|former\s+(?:students?|players?|athletes?|kids|\w+\s+students)|alumni|alums?|graduates"
    r"|grads\b|(?:church|youth\s+group|scout\s+troop|4-h|neighbou?rhood|family\s+friends?)"
    r"|^(?:parents|families|guardians|team\s+parents|\w+\s+parents)\s*[,:!\-])\b",
    re.MULTILINE,
)
# "Class of 2027, add me": a class that has not graduated yet is current students.
_CLASS_OF = re.compile(r"\bclass\s+of\s+((?:19|20)\d\d)\b")

_GATE_WORDS = frozenset(
    """follow add friend dm message pm text snap call hmu hit dms snapchat insta instagram ig
    tiktok discord whatsapp cell number phone requests request friends friended following
    followed connect connected connecting accept accepted accepting texted texts snapped
    snapchatted dmed messaged facetime facetimed shoot send drop reach approve""".split()
)


@dataclass(frozen=True)
class _Patterns:
    invite: re.Pattern[str]
    students: re.Pattern[str]
    connected: re.Pattern[str]


class StudentConnectionParams(CheckParams):
    window: int = Field(default=100, ge=20, le=600)


@register
class StudentConnection(Check[StudentConnectionParams]):
    """A personal account inviting students to connect with it on personal channels ("students,
    add me on Snapchat", "Maya Lopez, text me tonight") or saying it is connected with them ("a
    few of my students follow me here").

    Example clause (JNDC, "Posting to social media sites and texting of students", 2): "Employees
    shall not accept current students as friends or 'followers' or otherwise connect with students
    on social media sites, or text individual students, unless the employee and student have a
    family relationship or other type of appropriate relationship which originated outside of the
    school setting."

    The evidence is the post's own words: an invitation (follow, add, DM, text, hit me up, my
    Snapchat) within `window` characters of words for students or a roster student's name, or a
    statement of being friends with or followed by one's students. Not counted: the district's
    approved channels (Remind, Schoology, Classroom, the school e-mail), family ("my niece"),
    former students and graduates, and negated statements ("I never accept friend requests from
    students").
    """

    name = "student_connection"
    title = "Connecting with students on a personal account"
    subjects = ("post",)

    def gate(self, params: StudentConnectionParams, ctx: CheckContext) -> Gate:
        return Gate(words=_GATE_WORDS)

    def run(self, target: Target, params: StudentConnectionParams, ctx: CheckContext) -> list[Hit]:
        if target.account.kind != "employee" or target.kind == "share" or not target.text:
            return []
        folded = fold(target.text)
        if _EXEMPT.search(folded) or _graduated_class(folded, target, ctx):
            return []
        patterns = ctx.cached("student_connection.patterns", _build)
        for match in patterns.connected.finditer(folded):
            if not _negated(folded, match.start()):
                return [_hit("said", "says it is connected with students", [match])]
        invites = [m for m in patterns.invite.finditer(folded) if not _negated(folded, m.start())]
        if not invites:
            return []
        addressed: list[tuple[int, int, str]] = [
            (m.start(), m.end(), "students") for m in patterns.students.finditer(folded)
        ]
        addressed += [(m.start(), m.end(), "students") for m in _CLASS_OF.finditer(folded)]
        addressed += [
            (n.start, n.end, "student-name")
            for n in district_roster(ctx).find(target.text, folded)
            if n.is_student and n.strong
        ]
        near = [
            (invite, who)
            for invite in invites
            for who in addressed
            if abs(invite.start() - who[0]) <= params.window
        ]
        if not near:
            return []
        spans = [Span(i.start(), i.end(), "invitation") for i, _ in near[:3]]
        spans += [Span(start, end, label) for _, (start, end, label) in near[:3]]
        return [
            Hit(
                key="student_connection:invitation",
                summary="Invites students to connect on a personal channel",
                category="connecting with students on a personal account",
                spans=spans,
                details={"invitation": sorted({i.group(0) for i, _ in near})},
                detector="invitation+students",
            )
        ]


def _build() -> _Patterns:
    return _Patterns(
        invite=compile_folded(rf"\b(?:{_INVITE})"),
        students=compile_folded(_ADDRESSED, re.MULTILINE),
        connected=compile_folded(rf"\b(?:{_CONNECTED})\b"),
    )


def _graduated_class(folded: str, target: Target, ctx: CheckContext) -> bool:
    """A "class of <year>" that had graduated when the post was written (commencement taken as
    June): alumni, whom the clause does not cover."""
    if "class of" not in folded:
        return False
    when = target.published_at or ctx.now
    done = when.year if when.month >= 6 else when.year - 1
    return any(int(m.group(1)) <= done for m in _CLASS_OF.finditer(folded))


def _negated(folded: str, start: int) -> bool:
    return bool(_NEGATION.search(folded, max(0, start - 40), start))


def _hit(key: str, summary: str, matches: list[re.Match[str]]) -> Hit:
    return Hit(
        key=f"student_connection:{key}",
        summary=summary.capitalize(),
        category="connecting with students on a personal account",
        spans=[Span(m.start(), m.end(), "connection") for m in matches],
        details={"words": [m.group(0) for m in matches]},
        detector="connection-statement",
    )
