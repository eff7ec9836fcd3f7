"""Signals that a picture of people is a picture of *students*, at school, and whether the post
admits a consent gap or describes a public event.

Why vocabularies of kinds rather than one phrase list: teachers rarely write "students" under a
class photo. They name the subject ("fractions", "ELA"), the period ("2nd hour"), the grade ("my
first graders"), the activity ("exit ticket", "egg drop", "lab"), a word for the learners that is
not "students" ("mathematicians", "kiddos", "scholars", "my crew") or a hashtag teachers use
(#TeacherLife, #iteach...). Each kind is a small set of word *forms* matched on folded text (see
`rules.detect.roster.fold`), and the result says which kinds fired and with which words, so the
evidence shows why. The check weighs them: a named student or two kinds is strong, one is weak.

Everything here reads folded text (lower case, diacritics removed, NFKC); callers fold once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w#])(?:" + "|".join(alternatives) + r")(?!\w)")


# Kinds of school context (names are what evidence shows).
SCHOOL_VOCABULARY: dict[str, re.Pattern[str]] = {
    "learners": _words(
        r"students?",
        r"learners?",
        r"(?<!my )(?<!our )kids",
        r"kiddos?",
        r"scholars?",
        r"pupils?",
        r"(?:young |little )?(?:mathematicians|scientists|writers|readers|authors|artists|"
        r"historians|engineers|musicians|coders|poets|explorers|thinkers|learners)",
        r"littles",
        r"my (?:crew|class|kiddos|babies|friends|students|homeroom|team)",
        r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|1st|2nd|3rd|[4-8]th)"
        r"[- ]?graders?",
        r"kinders?",
        r"kindergartners?",
        r"kindergarteners?",
        r"preschoolers?",
        r"freshm[ae]n",
        r"sophomores?",
        r"juniors",
        r"seniors",
        r"classmates",
        r"reading buddies",
        r"buddies",
    ),
    "class": _words(
        r"class(?:room|rooms|es)?",
        r"homeroom",
        r"advisory",
        r"lesson",
        r"lessons",
        r"(?:1st|2nd|3rd|[4-9]th|first|second|third|fourth|fifth|sixth|seventh|eighth) "
        r"(?:hour|period|block)",
        r"period [1-9]",
        r"block [1-9a-d]",
        r"recess",
        r"centers",
        r"small groups?",
        r"circle time",
        r"morning meeting",
        r"exit tickets?",
        r"bell ringer",
        r"do now",
        r"warm[- ]up",
        r"quiz",
        r"test review",
        r"unit \d+",
        r"homework",
        r"hw",
        r"worksheet",
        r"station rotation",
        r"stations",
        r"lab",
        r"labs",
        r"lab day",
        r"field trip",
        r"fire drill",
        r"lockdown drill",
        r"assembly",
        r"library time",
        r"gym class",
        r"phy ?ed",
        r"pe class",
        r"lunch duty",
        r"hallway",
        r"cafeteria",
        r"school day",
        r"this morning in",
        r"(?:in|at) school",
        r"peer editing",
        r"read[- ]aloud",
        r"group work",
        r"presentations?",
        r"science fair",
        r"poetry slam",
        r"spelling bee",
        r"project day",
        r"hands[- ]on",
        r"field day",
        r"rehears(?:al|als|ing)",
        r"sectionals?",
        r"practice rooms?",
        r"room \d+",
        r"band room",
        r"choir room",
        r"art room",
        r"music room",
        r"pe",
        r"phys(?:ical)? ed",
        r"lunch bunch",
        r"playground",
        r"sight ?reading",
        r"seminar",
        r"socratic",
        r"book club",
        r"the podium",
        r"(?:after|before) school",
        r"lunch",
    ),
    # Grade levels said as a level ("6th grade", "grade 4", "kindergarten"), not as learners.
    "grade": _words(
        r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
        r"tenth|eleventh|twelfth)[- ]grade",
        r"grades? (?:[1-9]|1[0-2]|k)(?:[-/](?:[1-9]|1[0-2]))?",
        r"kindergarten",
        r"pre-?k",
        r"pre-?school",
        r"transitional kindergarten",
    ),
    "subject": _words(
        r"math",
        r"maths",
        r"algebra",
        r"geometry",
        r"calculus",
        r"fractions?",
        r"decimals",
        r"multiplication",
        r"division",
        r"science",
        r"biology",
        r"chemistry",
        r"physics",
        r"stem",
        r"steam",
        r"ela",
        r"english",
        r"reading",
        r"writing",
        r"phonics",
        r"spelling",
        r"vocab(?:ulary)?",
        r"grammar",
        r"essays?",
        r"history",
        r"social studies",
        r"civics",
        r"geography",
        r"economics",
        r"spanish",
        r"french",
        r"german",
        r"art class",
        r"robotics",
        r"coding",
        r"engineering",
        r"photosynthesis",
        r"water cycle",
        r"solar ovens?",
        r"egg drop",
        r"debate",
        r"health class",
        r"fact families",
        r"place value",
    ),
    "activity": _words(
        r"jv",
        r"varsity",
        r"(?:our |the |my )?team",
        r"practices?",
        r"club",
        r"coach(?:es|ing)?",
        r"captains?",
        r"lift club",
        r"weight ?room",
        r"fieldhouse",
        r"gym",
        r"band",
        r"choir",
        r"orchestra",
        r"robotics",
        r"student council",
        r"yearbook",
        r"drama",
        r"speech team",
        r"knowledge bowl",
        r"math league",
        r"mock trial",
        r"stat crew",
        r"bench",
        r"offseason",
        r"pep band",
        r"marching band",
        r"musical",
        r"rehearsal",
        r"game day",
        r"meet",
    ),
    "hashtag": re.compile(
        r"#(?:teacher\w*|iteach\w*|edchat\w*|teach\w*|classroom\w*|\w*(?:grade|graders)\b|"
        r"kindergarten\w*|elemed\w*|\w*edu\b|\w*learns\b|stem\w*|steam\w*|\w*students\b|"
        r"schoollife|backtoschool|firstdayofschool|(?:mn|nd|sd|wi|ia|us)ed\b)"
    ),
}
# Words that say "these are my family or friends", not learners.
FAMILY = _words(
    r"my (?:son|sons|daughter|daughters|kids|boys|girls|husband|wife|family|nephews?|nieces?|"
    r"grandkids|grandchildren|grandson|granddaughter|sisters?|brothers?|cousins|parents|mom|dad)",
    r"family",
    r"families day",
    r"grandma'?s?",
    r"grandpa'?s?",
    r"birthday party",
    r"reunion",
    r"vacation",
    r"wedding",
    r"our (?:kids|boys|girls)",
    r"date night",
    r"brunch with",
)
# Adults at work: a staff photo is not a photo of learners. Staff something was done *for*
# ("cookies for the staff lounge", "grilled cheese for staff appreciation") are its audience,
# not who is pictured.
STAFF = _words(
    r"colleagues",
    r"co-?workers",
    r"(?<!for )(?<!for the )(?<!for our )(?<!for all )staff",
    r"plc",
    r"pd day",
    r"professional development",
    r"teammates",
    r"fellow teachers",
    r"workshop",
    r"inservice",
    r"in-service",
    r"conference",
)
# "Right now", said about a picture posted as it happens.
NOW = _words(
    r"right now",
    r"happening now",
    r"as we speak",
    r"at the moment",
    r"live from",
    r"currently",
    r"this very minute",
    r"(?:caught|spotted) (?:these|my|our)",
    # texting shorthand; not "the/our/school RN" (a nurse)
    r"(?<!the )(?<!our )(?<!an )(?<!a )(?<!school )(?<!head )rn",
    r"atm",
    r"(?:snapping|sneaking|grabbing|taking) (?:a |this |some )?(?:pic|pics|photo|photos|shot)",
)
# Public arena: games, meets and matches (a sport's name alone is not an event: practice, lift
# club and PE are not public), levels, scores, performances and ceremonies.
_SPORT = (
    r"(?:football|soccer|volleyball|basketball|hockey|wrestling|swim(?:ming)?|dive|diving|"
    r"cross country|xc|track|baseball|softball|tennis|golf|gymnastics|lacrosse|"
    r"dance team|cheer(?:leading)?|robotics|speech|debate|knowledge bowl)"
)
PUBLIC_EVENT = _words(
    r"games?",
    r"gameday",
    r"matches",
    r"(?:home |swim |track |dual |quad )?meets?",
    r"triangular",
    r"tournaments?",
    r"invitationals?",
    r"invite",
    r"scrimmages?",
    r"playoffs?",
    r"homecoming",
    r"(?:home|season|conference) opener",
    r"senior night",
    r"under the lights",
    r"friday night lights",
    r"varsity",
    r"jv",
    r"junior varsity",
    _SPORT + r" (?:games?|match|matches|meets?|tournament|invite|invitational|championships?)",
    r"state (?:tournament|meet|championship)",
    r"sections",
    r"section (?:final|semi)s?",
    r"regionals",
    r"conference champs?",
    r"(?:the |our )?team (?:played|won|lost|fought)",
    r"played (?:their|his|her) hearts? out",
    r"big plays?",
    r"touchdowns?",
    r"final score",
    r"kickoff",
    r"tip-?off",
    r"halftime",
    r"\d{1,3}-\d{1,3} (?:win|loss|victory|over)",
    r"(?:wins?|won|beat|sweeps?|swept|defeated?) (?:over |against )?[a-z]+",
    r"vs\.?",
    r"marching band",
    r"band concert",
    r"concerts?",
    r"choir concert",
    r"recitals?",
    r"musical",
    r"the (?:fall |spring |school |winter )?play",
    r"opening night",
    r"closing night",
    r"curtain call",
    r"performances?",
    r"on stage",
    r"theat(?:er|re)",
    r"showcase",
    r"graduation",
    r"commencement",
    r"ceremony",
    r"ceremonies",
    r"awards night",
    r"pep rally",
    r"pep fest",
    r"parade",
    r"stole the show",
    r"sold[- ]out",
    # Contests and programmes an audience comes to (Alexandria 471's "fine arts public
    # performances"): a bee, a one-act, a winter sing, a banquet.
    r"contests?",
    r"competitions?",
    r"(?:spelling|geography|history) bee",
    r"one[- ]acts?",
    r"(?:winter|spring|holiday|fall|christmas) (?:sing|program|programme)",
    r"banquets?",
    r"came up short",
    # An audience said in everyday words: the public is there, whatever the event is called.
    r"(?:packed|packing|filled|filling) the (?:gym|gymnasium|auditorium|stands|bleachers|"
    r"house|theater|theatre|fieldhouse|arena)",
    r"(?:in|from) the (?:stands|bleachers)",
    r"(?:the |a )?(?:crowd|audience)",
    r"(?:families|fans|parents|community) (?:lined|packed|filled|cheered)",
)
# Settings that are not a public arena even when a game or a parade is mentioned: a class
# period, recess, practice and training, a field trip, a party in a classroom, a club after
# school. Alexandria's exception is for images *taken in* the public arena; a classroom game or
# the party after a parade is not one (issue 14: these were exempted for the word "game").
NONPUBLIC = _words(
    r"recess",
    r"homeroom",
    r"classrooms?",
    r"room \d+",
    r"(?:in|during|after|before) class",
    r"(?:1st|2nd|3rd|[4-9]th|first|second|third|fourth|fifth|sixth|seventh|eighth) "
    r"(?:hour|period|block)",
    r"period [1-9]",
    r"(?:science |chem |chemistry |bio |biology |physics |computer )?labs?",
    r"phy ed",
    r"(?:pe|p\.e\.|gym) class",
    r"practices?",
    r"practiced",
    r"rehears(?:als?|ing|ed)",  # a rehearsal is not the performance
    r"practicing",
    r"lift(?:ing)? (?:club|crew|session|group)",
    r"weight ?room",
    r"(?:summer |morning |early )?lifting",
    r"conditioning",
    r"open gym",
    r"workouts?",
    r"field trips?",
    r"(?:class|classroom|room|holiday|halloween|pizza|popcorn|pajama|birthday) party",
    r"the party",
    r"after[- ]school",
    r"study hall",
    r"lunch ?room",
    r"cafeteria",
)
# A consent gap in everyday words: a form noun near a word that says it is missing.
_FORM = (
    r"(?:(?:photo|media|picture|image|video|publicity)[- ]?)?(?:release|permission|consent|"
    r"opt[- ]?in|waiver|slip)s?(?: forms?| slips?)?|permission slips?|forms?|"
    r"(?:no[- ])?photo list|opt[- ]?out list|media list"
)
_GAP = (
    r"missing|still (?:waiting|need|missing|chasing|floating|out|in (?:a|her|his|their) "
    r"backpack)|floating around|waiting (?:on|for)|"
    r"(?:didn'?t|did not|haven'?t|have not|hasn'?t|has not|never|don'?t|do not|forgot to|"
    r"forgot|neglected to|failed to) (?:have time to |even |bother to |double[- ]?)?"
    r"(?:get|got|gotten|come|came|return|returned|turn|turned|receive|received|sign|signed|"
    r"have|check|checked|bring|brought|send|sent|hand|handed)|"
    r"not (?:back|returned|signed|in yet|on file|everyone)|yet to|outstanding|"
    r"unsigned|no (?:signed )?(?:permission|consent|release)|without (?:a |the |any )?"
    r"(?:signed )?(?:permission|consent|release)|(?:half|some|few|most|a couple) of|"
    # Doubt and forgetting said around the form: "not all of the slips are back", "no idea
    # if the forms came back", "forgot to collect the release forms".
    r"not all|no idea (?:if|whether)|not sure (?:if|whether)|forgot to \w+"
)
# Said after the form: it is "still in her purse", "isn't turned in yet", "back yet", to be
# "signed later".
_AFTER_FORM = (
    r"(?:aren'?t|are not|isn'?t|is not|weren'?t|was not|wasn'?t) (?:turned |handed |sent )?"
    r"(?:back|in|signed)|still in (?:a|her|his|their|my|our|the) \w+|"
    r"(?:back|in|signed|returned) yet|(?:get|have) (?:it|them) signed later|signed later"
)
# None of the form on record: "no photo consent on file", "no media release in yet".
_NONE_ON_FILE = (
    r"(?<!\w)no (?:signed )?(?:(?:photo|media|picture|video|parent(?:al)?) )?"
    r"(?:permission|consent|release)s?(?: forms?| slips?)? (?:on file|in yet|back|returned|signed)"
)
# The form may be asked about and answered: "Photo release? We'll get it signed later."
CONSENT_GAP = re.compile(
    rf"(?:{_GAP})[^.!?\n]{{0,60}}?(?<!\w)(?:{_FORM})(?!\w)|(?<!\w)(?:{_FORM})(?!\w)"
    rf"(?:\?\s*)?[^.!?\n]{{0,40}}?(?:{_GAP}|{_AFTER_FORM})|{_NONE_ON_FILE}"
)


@dataclass
class Context:
    """Which kinds of school context a text shows, with the words that showed them."""

    kinds: dict[str, list[str]] = field(default_factory=dict)
    family: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    now: list[str] = field(default_factory=list)

    @property
    def strength(self) -> int:
        """Number of distinct kinds of school context."""
        return len(self.kinds)

    @property
    def family_photo(self) -> bool:
        """Family words and no school word besides hashtags (#TeacherLife under a pumpkin patch
        says who posted, not who is pictured)."""
        return bool(self.family) and not (set(self.kinds) - {"hashtag"})

    def evidence(self) -> dict[str, list[str]]:
        found = dict(self.kinds)
        for name in ("family", "staff", "now"):
            if getattr(self, name):
                found[name] = getattr(self, name)
        return found


def _found(pattern: re.Pattern[str], folded: str) -> list[str]:
    return sorted({m.group(0).strip() for m in pattern.finditer(folded)})[:6]


def school_context(folded: str, names: Sequence[str] = ()) -> Context:
    """School-context kinds in `folded`; `names` (folded district and school names) count as
    their own kind, "district"."""
    context = Context()
    for kind, pattern in SCHOOL_VOCABULARY.items():
        words = _found(pattern, folded)
        if words:
            context.kinds[kind] = words
    district = sorted(
        {n for n in names if n and re.search(rf"(?<!\w){re.escape(n)}(?!\w)", folded)}
    )
    if district:
        context.kinds["district"] = district[:4]
    context.family = _found(FAMILY, folded)
    context.staff = _found(STAFF, folded)
    context.now = _found(NOW, folded)
    return context


def public_event(folded: str, extra_terms: Sequence[str] = ()) -> list[str]:
    """Words saying the picture is of a public event (a game, a concert, a ceremony)."""
    words = _found(PUBLIC_EVENT, folded)
    for term in extra_terms:
        if re.search(rf"(?<!\w){re.escape(term)}s?(?!\w)", folded):
            words.append(term)
    return sorted(set(words))


def nonpublic_setting(folded: str) -> list[str]:
    """Words placing the picture in a setting that is not a public arena (a class period,
    recess, practice, a field trip, a classroom party)."""
    return _found(NONPUBLIC, folded)


def consent_gap(folded: str) -> list[str]:
    """Passages that admit a permission, release or consent form is missing."""
    return [m.group(0).strip() for m in CONSENT_GAP.finditer(folded)][:3]
