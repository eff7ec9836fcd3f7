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

_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b|\d{4}-\d{2}-\d{2}\b|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b)"
)
_STREET = (
    r"(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|court|ct|boulevard|blvd|way|place|"
    r"pl|circle|cir|trail|trl|parkway|pkwy|terrace|ter|highway|hwy)"
)

# Labels may overlap ("disciplinary action" is personnel and a student record): each is found.
PATTERNS: dict[str, list[str]] = {
    "personnel_discipline": [
        # ordinary words for a colleague's discipline: a last-chance agreement, docked pay, walked
        # out
        r"\blast[- ]chance (?:agreement|contract|warning)",
        r"\bdock(?:ing|ed)? (?:him|her|them|his pay|her pay|their pay|\w+ days?)",
        r"\b(?:days?|week|weeks) without pay",
        r"\b(?:walked|escorted|marched|perp-walked) (?:out of|off) (?:the )?(?:building|campus"
        r"|school|property)",
        r"disciplinary action",
        r"written up",
        r"write-?up",
        r"reprimand\w*",
        r"suspended (?:with|without) pay",
        r"unpaid suspension",
        r"misconduct",
    ],
    "personnel_leave": [
        r"(?:administrative|medical|maternity|paternity|sick|disability|unpaid|paid|stress) leave",
        r"leave of absence",
        r"\bon leave\b",
        r"\bfmla\b",
        r"(?:placed|put|sent) on (?:\w+ )?leave",
        r"\brehab\b",
        r"\bdui\b",
        r"\barrested\b",
    ],
    "personnel_termination": [
        # a contract not renewed, in the words a colleague uses
        r"\b(?:not|n't) (?:to |be )?renew\w* (?:the |his |her |their )?contract",
        r"\b(?:won'?t|will not|isn'?t|is not|wasn'?t|was not|not) (?:be(?:ing)? )?(?:renewed"
        r"|rehired|re-hired)\b",
        r"\bfired\b",
        r"\bterminated\b",
        r"\btermination\b",
        r"\blet go\b",
        r"non-?renew\w*",
        r"resign\w* (?:in lieu|under pressure)",
        # "contract isn't being renewed", "his contract won't be renewed"
        r"contract\b[^.!?\n]{0,25}?(?:not|n't)\s+(?:being\s+|going\s+to\s+be\s+|be\s+|getting\s+)?"
        r"renew\w*",
        r"not (?:be )?renew\w* (?:his|her|their)? ?contract",
        r"\bnot (?:to )?renew(?:ing)? (?:him|her|them)\b",
        r"\blaid off\b",
        r"\blayoffs?\b",
        r"reduction in force",
        r"position (?:is |was )?(?:being )?(?:cut|eliminated)",
        r"\bbuy-?out\b",
        r"forced (?:out|to resign)",
        r"(?:asked|told) to resign",
    ],
    "personnel_personal": [
        # a colleague's health and family life are theirs to tell
        r"\b(?:divorc\w+|custody|(?:her|his|their) ex\b|separat(?:ed|ing|ion) from)",
        r"\bdiagnos\w+",
        r"\bcancer\b",
        r"\bchemo\w*",
        r"\bmiscarr\w+",
        r"\bin rehab\b",
        r"\b(?:mental health|nervous) (?:break\w*|crisis|leave)",
        # health and medical leave reasons ("out last week because she had surgery")
        r"\bsurgery\b",
        r"\bhospitali[sz]ed\b",
        r"\bin the hospital\b",
        r"\bmedical (?:leave|issues?|condition|procedure|reasons?)\b",
        r"\brecovering from\b",
        r"\btreatment for\b",
        r"\bheart attack\b",
    ],
    "personnel_board": [
        # what a board decides about a person behind closed doors is not public
        r"closed[- ](?:door )?session",
        r"executive session",
        r"\bclosed meeting\b",
        r"personnel (?:matter|issue|file|action|decision|complaint)s?",
    ],
    "personnel_investigation": [
        r"under investigation",
        r"being investigated",
        r"investigation into",
        r"\binvestigated\b",
        r"complaints? (?:against|about|filed)",
        r"\bgrievance\b",
        r"\btitle ix\b",
        r"(?:the |a |parent |lab |formal )complaint\b",
        r"\bhr (?:is|was|has|got) involved",
        # "there's an investigation", "while they investigate that lab thing"
        r"\b(?:an|the) investigation\b",
        r"\binvestigat(?:e|es|ing)\b",
    ],
    "personnel_evaluation": [
        r"performance (?:review|evaluation|improvement plan)",
        r"improvement plan",
        r"(?:bad|poor|negative|unsatisfactory|failed) (?:evaluation|review)",
        r"\bevaluation\b",
    ],
    "record_iep": [
        r"\biep\b",
        r"\b504 plan",
        r"\b504 (?:meeting|accommodation\w*)",
        r"section 504",
        r"\b(?:a|her|his|their|the) 504\b",
        r"special ed(?:ucation)?\b",
        r"\bsped\b",
        r"individuali[sz]ed education",
        r"learning disabilit\w+",
        r"dyslexi\w+",
        r"speech therapy",
        r"resource room",
        r"english learner",
        r"\bell student",
        r"special services",
        r"(?:speech|sped|ot|pt|reading|iep|504) (?:services|minutes|goals)",
        r"\baccommodations?\b",
        r"\bmodified (?:tests?|work|assignments|curriculum)",
        r"\b(?:on|has|have|got|gets|with) (?:an? |her |his |their )?"
        r"(?:iep|504|behavior plan|bip)\b",
        r"(?:evaluated|evaluation|tested|testing|qualif\w+|referred) for (?:special ed\w*|sped|"
        r"an iep|a 504|services|adhd|autism|dyslexia)",
        r"\bfba\b",
        r"\bbip\b",
        r"\bpara support\b",
        r"school psych\b",
        r"\b1:1 para\b",
        r"\bone-on-one para\b",
    ],
    "record_discipline": [
        # a team's consequences in ordinary words: a chemical violation, a second offense, sitting
        # out
        r"\bchemical (?:violation|policy violation)",
        r"\b(?:athletic|activities|team) code (?:violation|of conduct)",
        r"\b(?:1st|2nd|3rd|first|second|third) offen[cs]e\b",
        r"\bsitting out (?:this|the next|next|for|the rest)\b",
        r"\b(?:won'?t|will not|can'?t|isn'?t|aren'?t) (?:be )?(?:playing|suiting up"
        r"|dressing)\b[^.!?\n]{0,25}?\b(?:friday|saturday|this week|tonight|tomorrow|next game)",
        r"suspen(?:ded|sion)(?! bridge)",
        r"detention",
        r"\bexpel(?:led)?\b",
        r"expulsion",
        r"disciplin\w*",
        r"office referral",
        r"referred to the office",
        r"sent to the (?:principal|office)",
        r"behaviou?r (?:plan|contract|referral|incident)",
        r"got in trouble",
        r"in trouble for",
        r"\biss\b",
        r"\boss\b",
        r"\bexpuls\w+",
        r"\bsuspend\w*",
        r"(?:kicked|thrown|removed) (?:out of|off) (?:class|school|the (?:team|bus|class))",
        r"\bbenched\b",
        r"\barrested\b",
        r"\bvap(?:e|ing) (?:thing|incident)",
        r"\bcaught (?:vaping|smoking|drinking|with|cheating)",
        r"\b(?:a |the )?referral\b",
        r"\b(?:a |the )?(?:fight|bullying|harassment) (?:incident|report)",
        r"\bbus (?:write-?up|referral|suspension)",
        r"\bbehavio(?:u)?r (?:issues?|problems?)",
    ],
    "record_health": [
        # injuries and a doctor's orders, as a coach posts them
        r"\btorn (?:acl|mcl|meniscus|labrum|ligament|rotator cuff|achilles)\b",
        r"\b(?:acl|mcl|meniscus) (?:tear|surgery|injury)\b",
        r"\b(?:hamstring|ankle|knee|shoulder|wrist|groin|hip|elbow) (?:injury|strain|sprain"
        r"|tear|is (?:still )?(?:pretty |really )?(?:banged up|hurt|injured|swollen))",
        r"\bsprain\w*",
        r"\b(?:stress )?fractur\w+",
        r"\bno[- ]contact (?:restriction|order|for\b|until\b|sports|drills)",
        r"\b(?:not (?:yet )?cleared|cleared) to (?:play|return|practice|go back)",
        r"\bconcussion protocol",
        r"\b(?:the )?(?:doc|doctor|surgeon|trainer) (?:says|said|put (?:him|her"
        r"|them) on|cleared|won'?t clear)",
        r"diagnos\w+",
        r"\badhd\b",
        r"autis\w+",
        r"diabet\w+",
        r"seizures?",
        r"epilep\w+",
        r"medications?",
        r"\bmeds\b",
        r"prescription",
        r"therap(?:y|ies|ist)",
        r"hospitali[sz]ed",
        r"in the hospital",
        r"emergency room",
        r"mental health",
        r"depress(?:ed|ion)",
        r"\banxiety\b",
        r"suicid\w+",
        r"self-harm",
        r"allerg\w+",
        r"asthma",
        r"pregnan\w+",
        r"eating disorder",
        r"chemo\w*",
        r"tested positive",
        # common illnesses a teacher might mention ("home with strep", "has head lice again")
        r"\bstrep\b",
        r"\bflu\b(?! shots?\b| clinics?\b| season\b| vaccines?\b)",
        r"influenza",
        r"covid\b",
        r"pneumonia",
        r"chicken ?pox",
        r"\bpink ?eye\b",
        r"\blice\b",
        r"concussion\w*",
        r"stomach (?:bug|flu|virus)",
        r"(?<!spring )\bfever\b",
        r"\bsurgery\b",
        r"\b(?:nurse|health|medical|care|seizure|allergy|emergency care|diabetes) plan\b",
        r"\bblood sugar\b",
        r"\bglucose\b",
        r"\bptsd\b",
        r"\bocd\b",
        r"\bbipolar\b",
        r"\bodd\b",
        r"\bcancer\b",
        r"\binhaler\b",
        r"\binsulin\b",
        r"\bepipen\b",
        r"\bnurse'?s office\b",
        r"\bdisabilit(?:y|ies)\b",
        r"\bwheelchair\b",
        r"\bhearing (?:aid|impair\w*)",
        r"\bvisual(?:ly)? impair\w*",
        r"\bsick\b",
        r"\bill\b(?= (?:with|again|all))",
        r"\bin treatment\b",
        # everyday illnesses and injuries, as a teacher would name them
        r"\bmono(?:nucleosis)?\b",
        r"\bbronchitis\b",
        r"\bappendi(?:x|citis)\b",
        r"\bnorovirus\b",
        r"\brsv\b",
        r"\bbroken (?:arm|leg|wrist|ankle|collarbone|foot|hand|nose|finger)\b",
    ],
    "record_attendance": [
        r"absen(?:t|ces?)\b",
        r"truan(?:t|cy)",
        r"tard(?:y|ies)\b",
        r"skipp(?:ed|ing) (?:school|class)",
        r"missed \d+ days",
        r"chronically absent",
        r"attendance (?:problem|issue|record|letter)",
        # someone's attendance ("Ben's attendance has been rough"), not attendance at an event
        r"(?:'s|\bher|\bhis|\btheir) attendance\b(?! (?:at|for|to)\b)",
        r"missing \d+ days",
        r"\bunexcused\b",
        # "has been out for 3 weeks", "Bo's out again", "out sick all week"
        r"(?:\bis|'s|\bwas|\bbeen|\bbe) out (?:sick|again|all week|"
        r"for (?:\d+|a|two|three|four|five|several|a few|the) (?:days?|weeks?|months?))\b",
        r"\b\d+(?:st|nd|rd|th) (?:day|week|absence) in a row\b",
        r"attendance (?:contract|plan|meeting|letter|hearing)",
        r"attendance (?:has been |is |was )?(?:rough|poor|bad|spotty|terrible|awful|"
        r"a (?:problem|concern)|an issue)",
    ],
    "record_counselling": [
        r"counsel(?:l)?ing",
        r"\bsafety plan\b",
        r"\bcrisis\b",
        r"\bcheck-?in/check-?out\b",
        r"(?:sees?|seeing|saw|meets? with|met with|meeting with|referred to|talk(?:ed|ing|s)? "
        r"(?:to|with)|sent to) (?:the |a |her |his |their |our )?(?:school )?"
        r"(?:counsel(?:l)?or|social worker|psychologist)",
        r"crisis (?:team|counsel\w*)",
    ],
    "record_family": [
        # family, custody and child-welfare status (FERPA records; PPRA protected areas)
        r"foster (?:care|home|family|placement|parents?|kid|child)",
        r"\bin foster\b",
        r"case ?workers?",
        r"social services",
        r"child protective",
        r"\bcps\b",
        r"(?:no[- ]contact|restraining|protective|custody) order",
        r"no contact with",
        r"\bcustody\b",
        r"custodial (?:parent|rights)",
        r"\bguardianship\b",
        r"(?:parents?|mom|dad|mother|father) (?:is |are |was |were )?(?:in (?:jail|prison)|"
        r"incarcerated|locked up|deported|divorcing|getting divorced)",
        r"\bincarcerated\b",
        r"\bdeported\b",
        r"\bkinship care\b",
        r"(?:went|gone|sent|going|back) to (?:jail|prison)",
        r"\bin (?:jail|prison)\b",
        r"\b(?:moved|moving) out\b",
        r"\b(?:in|out of) treatment\b",
        r"\bin rehab\b",
        r"\b(?:divorce|separation)\b",
        r"(?:passed away|died|funeral|grieving|loss of (?:her|his|their) (?:mom|dad|mother|"
        r"father|parent|brother|sister))",
        # a family's money trouble ("can't afford to fix it", "dad lost his job")
        # ("can't afford to miss the bus" is an idiom, not money)
        r"\b(?:can'?t|cannot|could(?:n'?t| not)) afford\b"
        r"(?! to (?:miss|lose|wait|be|fall|skip|let|have|waste|get|take))",
        r"\bfinancial(?:ly)? (?:hardship|struggl\w+|trouble|strain)",
        r"\bstruggling financially\b",
        r"(?:mom|dad|mother|father|parents?|folks) (?:just )?(?:lost|losing|lose) "
        r"(?:her|his|their) jobs?\b",
        r"\b(?:out of work|unemployed)\b",
        r"\bfood (?:shelf|bank|pantry)\b",
    ],
    "record_housing": [
        r"\bhomeless\w*",
        r"\b(?:family|families|homeless|women's|emergency) shelter\b",
        r"\bin (?:a|the) shelter\b",
        r"\bcouch[- ]surf\w*",
        r"\bevict\w*",
        r"\bforeclos\w*",
        r"\b(?:living|staying|sleeping|lives|stays|sleeps) (?:in|out of|at) "
        r"(?:a|an|the|their|his|her|my) (?:[\w'-]+ ){0,2}?"
        r"(?:car|truck|van|motel|hotel|shelter|tent|camper)\b",
        r"mckinney[- ]vento",
        r"housing (?:insecur\w+|instab\w+|assistance)",
        r"(?:lost|losing|lose) (?:their|the|her|his) (?:house|home|apartment|trailer|ranch|farm|"
        r"place)",
        r"moving in with (?:his|her|their) (?:grand\w+|aunt|uncle|cousins?)",
    ],
    "record_meals": [
        r"free (?:and|or|/|&) reduced",
        r"(?:free|reduced)[- ](?:price )?(?:lunch|meals?|breakfast)",
        r"lunch (?:debt|balance)",
        r"meal (?:benefits?|debt|account|assistance)",
        r"\bsnap benefits\b",
        r"food stamps",
        r"\bebt card\b",
        r"backpack (?:program|food)",
        r"(?:qualif\w+|eligible) for free",
    ],
    "record_immigration": [
        r"\bundocumented\b",
        r"immigration (?:status|case|hearing|court|papers)",
        r"\bdaca\b",
        r"\b(?:no|without) papers\b",
        r"\bice (?:raid|detained|picked up|took)",
        r"\b(?:asylum|refugee) (?:status|case|claim|hearing|application)",
        r"\bvisa (?:status|expired)",
        r"immigration (?:attorney|lawyer|officers?|agents?)",
        r"\bgreen card\b",
        r"\bvisas? (?:situation|problems?|issues?|status|expired|ran out|denied|renewal)\b",
        r"\b(?:us|u\.s\.|american) citizen(?:ship)?\b",
        r"\bcitizenship\b",
        r"\bdeport\w*",
        r"\bwork permit\b",
        r"\basylum\b",
    ],
    "record_grades": [
        # eligibility and failing marks counted: 'academic ineligibility, 2 F's at midterm'
        r"\bineligibility\b",
        r"\b(?:two|three|four|\d) f'?s\b",
        r"\bgpa\b",
        r"report card",
        r"\bfailing\b",
        r"flunk\w*",
        r"failed (?:the |her |his |their |a |an )?(?:test|exam|class|quiz|course|final)",
        r"(?:her|his|their|'s) grades",
        r"grades (?:are|were|have|dropped|slipp\w+|fell)",
        r"\bgot an? [a-f][+-]? (?:on|in)\b",
        r"academic probation",
        r"academically ineligible",
        # a mark out of 100 on a piece of work ("got a 98 on her science final")
        r"\bgot an? \d{1,3}(?:\.\d)?%? (?:on|in) (?:[\w']+ ){0,3}?(?:test|exam|quiz|final|"
        r"midterm|project|essay|paper|assignment|homework|lab|report)s?\b",
        r"\bineligible\b",
        r"class rank",
        r"transcript",
        r"straight [a-f]'?s\b",
        r"\bgot an? [a-f][+-]?(?=[\s.,!]|$)",
        r"\b(?:is|was) failing\b",
        r"(?:grade|mark) (?:is|was|of) (?:an? )?(?:[a-f][+-]?|\d{1,3}%?)(?=[\s.,!]|$)",
        r"\bsummer school\b",
        r"\bretained\b",
        r"\bheld back\b",
        r"\brepeat(?:ing)? (?:the )?(?:grade|\d\w* grade)",
        r"\bmissing work\b",
        r"\bprogress report\b",
        r"\bgradebook\b",
        r"\bincompletes?\b",
        r"\b(?:at|has|have|with) an? \d{1,3}(?:\.\d)?\s?%",
        r"missing (?:\w+ )?(?:assignments|homework)",
        r"\bplagiari\w+",
        r"\bcheat(?:ed|ing)\b",
        r"academic (?:dishonesty|integrity)",
        # a mark that moved: "grade dropped to a C", "went from an F to a B+"
        r"\bgrades? (?:dropped|fell|slipped|went|jumped|rose|is up|is down|came up)\b"
        r"[^.!?\n]{0,20}?\bto an? [a-f][+-]?(?![a-z0-9])",
        r"\bfrom an? [a-f][+-]? to an? [a-f][+-]?(?![a-z0-9])",
        r"\bmissing (?:the |her |his |their |two |three |\d+ )?(?:[\w-]+ )?(?:lab|labs|"
        r"report|quiz|quizzes|test|tests|assignment|project|essay|worksheet)s?\b",
    ],
    "record_scores": [
        # reading benchmarks and scores as a teacher reports them
        r"\b(?:dra|dibels|fastbridge|lexile|fountas|f&p|aimsweb|star reading|star"
        r" math)\b[^.!?\n]{0,30}?\d",
        r"\breading (?:score|goal|fluency|benchmark)s?\b",
        r"\b\d+ (?:words a minute|words per minute|wpm|correct words)\b",
        r"\b(?:act|sat|psat)\s+(?:back|scores?|results?)\W{1,6}\d{2,4}\b",
        r"test scores?",
        r"(?:act|sat|psat|mca|map|nwea|ged|iq|ap exam) (?:scores?|results)",
        r"scored (?:a |an )?\d+ on (?:the|her|his|their|an?|my) "
        r"(?:act|sat|psat|mca|map|test|exam|quiz|final)",
        r"reading level",
        r"\d+(?:st|nd|rd|th) percentile",
        r"\biq\b",
        # a result on a named test: "a 31 on the ACT", "'Exceeds' on her MCA reading"
        r"\ban? \d{1,4} on (?:the|her|his|their|my) (?:act|sat|psat|mca|map|nwea|asvab|"
        r"accuplacer|ap|state test|wida|access)\b",
        r"\b(?:exceeds|meets|partially meets|does not meet|proficient|not proficient)\W{0,3} "
        r"on (?:the|her|his|their) (?:mca|map|nwea|state test|act|sat|wida|access)\b",
    ],
    "id_dob": [
        r"(?:\bdob\b|date of birth|birth ?date|\bborn(?: on)?|birthday(?: is)?)\s*[:\-]?\s*"
        r"(?P<dob_value>" + _DATE + ")",
    ],
    "id_address": [
        r"(?:\blives?|\bliving|\bhome|\baddress|\bhouse|\bresidence|\bmoved|\bmail|\bsend|"
        r"\bdrop off|\bdeliver|\bbring)\b[^.!?\n]{0,40}?"
        r"(?P<address_value>\b\d{1,6}\s+(?:[a-z0-9'.-]+\s+){1,3}" + _STREET + r")\b",
    ],
    "id_phone": [
        r"(?<![\d-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])",
        r"(?<![\d-])\d{3}-\d{4}(?![\d-])",
    ],
    "id_email": [r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}"],
    "doc_marker": [
        r"ferpa[- ](?:protected|confidential)",
        r"protected (?:by|under) ferpa",
        r"(?:for )?internal use only",
        r"privileged (?:and|&) confidential",
        r"strictly confidential",
        # documents that are not public by what they are
        r"(?:closed|executive)[- ]session minutes",
        r"not for public (?:release|distribution)",
        r"attorney[- ]client privilege\w*",
        # what was said behind a board's closed doors, told (not an agenda's "will go into
        # closed session to discuss ...")
        r"\b(?:told|said|talked about|discussed|decided|voted|agreed)\b[^.!?\n]{0,40}?"
        r"\bin (?:a |the )?closed[- ]session\b",
        r"\bwhat (?:went on|happened|was said) in (?:a |the )?closed[- ]session\b",
        r"\bclosed[- ]session notes\b",
        r"^\s*confidential\b",
    ],
    "doc_caps": [
        r"\bconfidential\b",
        r"do not (?:distribute|forward|share)",
        r"not for distribution",
    ],
}

# Literal trigger substrings per label: every match of a label's expressions contains one of
# them. A trigger automaton finds them; a label's expression then runs only in a window around
# its triggers. (Measured: one combined alternation of these expressions costs ~1.5 ms per
# 250-character post in Python's `re`; gated windows cost a few microseconds.)
_DIGITS = tuple("0123456789")
TRIGGERS: dict[str, tuple[str, ...]] = {
    "personnel_discipline": (
        "walked out",
        "walked off",
        "marched out",
        "marched off",
        "last chance",
        "last-chance",
        "dock",
        "without pay",
        "escorted",
        "disciplin",
        "written up",
        "write",
        "reprimand",
        "suspended",
        "suspension",
        "misconduct",
    ),
    "personnel_leave": (
        "leave",
        "fmla",
        "rehab",
        "dui",
        "arrested",
    ),
    "personnel_termination": (
        "rehire",
        "re-hire",
        "fired",
        "terminat",
        "let go",
        "renew",
        "resign",
        "laid off",
        "layoff",
        "reduction in force",
        "position",
        "forced",
        "buy-out",
        "buyout",
        "buy out",
    ),
    "personnel_personal": (
        "surgery",
        "hospital",
        "medical",
        "recovering",
        "treatment for",
        "heart attack",
        "divorc",
        "custody",
        "her ex",
        "his ex",
        "their ex",
        "separat",
        "diagnos",
        "cancer",
        "chemo",
        "miscarr",
        "in rehab",
        "mental health",
        "nervous",
    ),
    "personnel_board": (
        "executive session",
        "personnel",
        "closed session",
        "closed-session",
        "closed door",
        "closed meeting",
    ),
    "personnel_investigation": (
        "investigat",
        "complaint",
        "grievance",
        "title ix",
        "hr ",
    ),
    "personnel_evaluation": (
        "evaluation",
        "review",
        "improvement plan",
    ),
    "record_iep": (
        "iep",
        "504",
        "special ed",
        "sped",
        "individuali",
        "learning disab",
        "dyslexi",
        "speech therapy",
        "resource room",
        "english learner",
        "ell student",
        "special services",
        "accommodation",
        "modified",
        "behavior plan",
        "bip",
        "qualif",
        "fba",
        "speech services",
        "sped services",
        "ot services",
        "pt services",
        "reading services",
        "iep services",
        "504 services",
        "speech minutes",
        "sped minutes",
        "iep minutes",
        "504 minutes",
        "reading minutes",
        "ot minutes",
        "pt minutes",
        "iep goals",
        "504 goals",
        "speech goals",
        "sped goals",
        "reading goals",
        "ot goals",
        "pt goals",
        "para support",
        "1:1 para",
        "one-on-one para",
        "tested for",
        "testing for",
        "evaluated for",
        "evaluation for",
        "referred for",
    ),
    "record_family": (
        "afford",
        "financial",
        "struggling",
        "lost her job",
        "lost his job",
        "lost their job",
        "losing her job",
        "losing his job",
        "losing their job",
        "lose her job",
        "lose his job",
        "lose their job",
        "out of work",
        "unemployed",
        "food shelf",
        "food bank",
        "food pantry",
        "foster",
        "case worker",
        "caseworker",
        "social services",
        "child protective",
        "moved out",
        "moving out",
        "treatment",
        "rehab",
        "divorce",
        "separation",
        "cps",
        "no contact",
        "custod",
        "guardianship",
        "jail",
        "prison",
        "incarcerated",
        "locked up",
        "deported",
        "divorc",
        "kinship",
        "passed away",
        "died",
        "funeral",
        "grieving",
        "loss of",
        "contact order",
        "restraining order",
        "protective order",
        "custody order",
    ),
    "record_housing": (
        "homeless",
        "shelter",
        "living",
        "staying",
        "sleeping",
        "lives",
        "stays",
        "sleeps",
        "couch",
        "evict",
        "foreclos",
        "mckinney",
        "housing",
        "moving in",
        "lost their",
        "lost the",
        "lost her",
        "lost his",
        "losing their",
        "losing the",
        "losing her",
        "losing his",
        "lose their",
        "lose the",
        "lose her",
        "lose his",
    ),
    "record_meals": (
        "reduced",
        "meal",
        "snap",
        "food stamps",
        "ebt",
        "backpack",
        "free and",
        "free or",
        "free/",
        "free &",
        "free lunch",
        "free meal",
        "free breakfast",
        "free-",
        "lunch debt",
        "lunch balance",
        "eligible for free",
    ),
    "record_immigration": (
        "citizen",
        "deport",
        "work permit",
        "undocumented",
        "immigration",
        "daca",
        "asylum",
        "refugee",
        "visa",
        "no papers",
        "without papers",
        "ice raid",
        "ice detained",
        "ice picked",
        "ice took",
    ),
    "record_discipline": (
        "chemical violation",
        "chemical policy",
        "t be playing",
        "not be playing",
        "n't playing",
        "not playing",
        "t be suiting",
        "n't suiting",
        "t be dressing",
        "n't dressing",
        "code violation",
        "code of conduct",
        "st offen",
        "nd offen",
        "rd offen",
        "th offen",
        "first offen",
        "second offen",
        "third offen",
        "n't dressing",
        "sitting out",
        "suspen",
        "detention",
        "expel",
        "expulsion",
        "disciplin",
        "office referral",
        "referred to the office",
        "sent to the",
        "behavio",
        "trouble",
        "iss",
        "oss",
        "suspend",
        "kicked",
        "thrown",
        "removed",
        "benched",
        "arrest",
        "vap",
        "caught",
        "fight",
        "bullying",
        "referral",
        "harassment",
        "bus write",
        "bus referral",
        "bus suspension",
    ),
    "record_health": (
        " hip ",
        " acl",
        "acl tear",
        "acl surgery",
        "acl injury",
        "torn ",
        "mcl",
        "meniscus",
        "hamstring",
        "ankle",
        "knee",
        "shoulder",
        "wrist",
        "groin",
        "elbow",
        "sprain",
        "fractur",
        "no-contact",
        "no contact",
        "cleared",
        "protocol",
        "doc ",
        "doctor",
        "surgeon",
        "trainer",
        "mono",
        "bronchitis",
        "appendi",
        "norovirus",
        "rsv",
        "broken ",
        "nurse plan",
        "health plan",
        "medical plan",
        "care plan",
        "seizure plan",
        "allergy plan",
        "diabetes plan",
        "blood sugar",
        "glucose",
        "diagnos",
        "adhd",
        "autis",
        "diabet",
        "seizure",
        "epilep",
        "medication",
        "meds",
        "prescription",
        "therap",
        "hospital",
        "emergency room",
        "mental health",
        "depress",
        "anxiety",
        "suicid",
        "self-harm",
        "allerg",
        "asthma",
        "pregnan",
        "eating disorder",
        "chemo",
        "tested positive",
        "strep",
        "flu",
        "influenza",
        "covid",
        "pneumonia",
        "pox",
        "pink",
        "lice",
        "concussion",
        "stomach",
        "fever",
        "surgery",
        "ptsd",
        "ocd",
        "bipolar",
        "odd",
        "cancer",
        "inhaler",
        "insulin",
        "epipen",
        "nurse",
        "disabilit",
        "wheelchair",
        "sick",
        "treatment",
        "ill with",
        "ill again",
        "ill all",
        "hearing aid",
        "hearing impair",
        "visual impair",
        "visually impair",
    ),
    "record_attendance": (
        "unexcused",
        "out sick",
        "out again",
        "out all week",
        "out for",
        " in a row",
        "absen",
        "truan",
        "tard",
        "skipp",
        "missed",
        "missing",
        "attendance",
    ),
    "record_counselling": (
        "counsel",
        "social worker",
        "psychologist",
        "crisis",
        "safety plan",
        "check-in",
        "checkin",
    ),
    "record_grades": (
        "ineligib",
        "f's",
        " fs",
        "grade dropped",
        "grades dropped",
        "grade fell",
        "grades fell",
        "grade slipped",
        "grades slipped",
        "grade went",
        "grades went",
        "grade jumped",
        "grade rose",
        "grade is",
        "grades is",
        "grade came",
        "grades came",
        "from a",
        "missing ",
        "gpa",
        "report card",
        "failing",
        "flunk",
        "failed",
        "grades",
        "got a",
        "academic",
        "ineligible",
        "class rank",
        "transcript",
        "straight ",
        "got an",
        "score",
        "summer school",
        "retained",
        "held back",
        "repeat",
        "missing work",
        "progress report",
        "gradebook",
        "incomplete",
        "plagiari",
        "cheat",
        "grade is",
        "grade was",
        "grade of",
        "mark is",
        "mark was",
        "mark of",
        "%",
        "missing assign",
        "missing homework",
        "assignments",
        "homework",
    ),
    "record_scores": (
        "dra ",
        "dra:",
        "dra-",
        "star reading",
        "star math",
        "reading score",
        "reading goal",
        "reading fluency",
        "reading benchmark",
        "act back",
        "act score",
        "act result",
        "sat score",
        "sat result",
        "psat",
        "dibels",
        "fastbridge",
        "lexile",
        "fountas",
        "f&p",
        "aimsweb",
        "words a minute",
        "words per minute",
        "wpm",
        "correct words",
        " on the ",
        " on her ",
        " on his ",
        " on their ",
        " on my ",
        "score",
        "reading level",
        "percentile",
        "iq",
        "results",
    ),
    "id_dob": (
        "dob",
        "birth",
        "born",
    ),
    "id_address": (
        "live",
        "living",
        "home",
        "address",
        "house",
        "residence",
        "moved",
        "drop off",
        "deliver",
        "mail him",
        "mail her",
        "mail them",
        "mail it",
        "mail a",
        "mail cards",
        "send him",
        "send her",
        "send them",
        "send cards",
        "send a card",
        "bring it",
        "bring them",
    ),
    "id_phone": _DIGITS,
    "id_email": ("@",),
    "id_student_id": (
        "id",
        "student",
    ),
    "doc_marker": (
        "closed session",
        "closed-session",
        "ferpa",
        "internal use",
        "privileged",
        "confidential",
        "session minutes",
        "not for public",
        "attorney",
    ),
    "doc_caps": (
        "confidential",
        "distribut",
        "do not forward",
        "do not share",
    ),
}
# How far around a trigger a label's match can reach (the longest is an address after "lives").
_BEFORE, _AFTER = 60, 100

# Substrings one of which a post must contain for a marking or a bare student id to be possible;
# they ride in the roster automaton's pass, and a roster name found in the post also opens it.
MARKER_NEEDLES = (
    "confidential",
    "ferpa",
    "internal use",
    "distribut",
    "do not forward",
    "do not share",
    "student id",
    "student #",
    "student number",
    "id #",
    "id#",
    "id:",
    "id number",
    # a marking OCR read only in part ("CONFIDENTIA", "ONFIDENTIAL", "CONFI-DENTIAL")
    "confidenti",
    "onfidenti",
    "nfidentia",
    "fidential",
    "dential",
    # documents not public by what they are
    "session minutes",
    "not for public",
    "attorney",
    # a board's closed session told about
    "closed session",
    "closed-session",
    # a floor plan read from an image (see `premises_plan`)
    "corridor",
    "rally point",
    "fire panel",
    "floor plan",
    "evacuation",
    "safe room",
    "server room",
    "main office",
    # security arrangements read from an image (see `security_layout`)
    "keypad",
    "nvr",
    "dvr",
    "cctv",
    "door code",
    "access code",
    "alarm code",
    "entry code",
    "panic button",
    "blind spot",
    "badge reader",
    "access control",
    "buzz-in",
    "camera",
    "cam-",
    "lockdown",
)

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
    return (
        r"(?:student\s*(?:id|number|no\.?|#)|\bid\b)\s*(?:number|no\.?|#)?\s*[:#=]?\s*"
        r"(?:(?:is|was)\s+)?(?P<student_id_value>" + student_id_pattern + ")"
    )


class Scanner:
    """The trigger automaton plus one compiled expression per label."""

    def __init__(self, student_id_pattern: str) -> None:
        groups = {**PATTERNS, "id_student_id": [_student_id_expression(student_id_pattern)]}
        # The text is folded to lower case; a district's own student id format ("S\d{6}") gets
        # case-insensitive matching from compile_folded.
        self.expressions = {
            label: compile_folded("|".join(f"(?:{p})" for p in patterns), re.MULTILINE)
            for label, patterns in groups.items()
        }
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


_VALUE_GROUPS = {
    "id_dob": "dob_value",
    "id_address": "address_value",
    "id_student_id": "student_id_value",
}


def scan(folded: str, student_id_pattern: str = DEFAULT_STUDENT_ID) -> list[Term]:
    return scanner(student_id_pattern).scan(folded)


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


# A marking read in part: nine letters in a row of CONFIDENTIAL, in capitals, once spaces, line
# breaks and hyphens inside the run are dropped ("CONFIDENTIA", "ONFIDENTIAL", "CONFI-\nDENTIAL").
# Nine, not eight: "IDENTIAL" is inside RESIDENTIAL and PRESIDENTIAL. OCR's usual digit-for-letter
# slips (0 for O, 1 for I) are undone first.
_MARKING = "CONFIDENTIAL"
_MARKING_PARTS = tuple(_MARKING[i : i + 9] for i in range(len(_MARKING) - 8))
_CAPS_RUN = re.compile(r"[A-Z01](?:[A-Z01]|[\s-]{1,3}(?=[A-Z01]))+")
_OCR_SLIPS = str.maketrans({"0": "O", "1": "I"})


def partial_markings(text: str) -> list[tuple[int, int, str]]:
    """(start, end, letters) of each run of capitals in `text` that is a CONFIDENTIAL marking,
    whole or in part."""
    found = []
    for run in _CAPS_RUN.finditer(text):
        if run.end() - run.start() < 9:
            continue
        letters = re.sub(r"[^A-Z]", "", run.group(0).translate(_OCR_SLIPS))
        if any(part in letters for part in _MARKING_PARTS):
            found.append((run.start(), run.end(), letters))
    return found


# A floor plan read from an image: labels of rooms and ways through a building. A plan shows
# several kinds of label and numbered rooms; a poster or a menu rarely does.
_PLAN_LABELS = {
    # "rooms: 112, 118", OCR's 0-for-o ("r0om 104"), and a room number as a plan labels it:
    # alone on its line, or with a short subject ("104 ELA")
    "numbered room": r"(?:\b(?:r[o0]{2}ms?|classroom)[:\s]*#?\d{1,4}[a-z]?|rm\.?\s*#?\d{2,4}[a-z]?|"
    r"\b[a-z]\d{3}[a-z]?)\b"
    r"|(?m:^[ \t]*\d{3}[a-z]?(?:[ \t]+[a-z]{2,5})?[ \t]*$)",
    "corridor": r"\b(?:corridor|hallway|hall [a-z]\b|wing\b)",
    "exit": r"\b(?:exit|emergency exit|stairs?|stairwell|elevator)\b",
    "office": r"\b(?:main office|front office|office)\b",
    "secure room": r"\b(?:safe room|server room|security|camera|boiler|mech(?:anical|\.)|"
    r"electrical|fire panel|aed|alarm panel|"
    r"custodial|storage|vault|it closet)\b",
    "shared space": r"\b(?:gym|gymnasium|library|media center|cafeteria|kitchen|nurse|auditorium|"
    r"workroom|staff lounge|"
    r"commons|locker rooms?)\b",
    "plan": r"\b(?:floor plan|level \d|floor \d|evacuation|rally points?|map|facilities use only|"
    r"site plan|access control|"
    r"lockdown)\b",
}
# A plan that says what it is for (the building's security, a lockdown, an evacuation) needs no
# numbered rooms: its wings, exits and offices already tell an intruder the way.
_SECURITY_PLAN = re.compile(r"\b(?:security|lockdown|evacuation|rally points?|access control)\b")
_PLAN = re.compile("|".join(f"(?P<g{i}>{p})" for i, p in enumerate(_PLAN_LABELS.values())))
_PLAN_NAMES = list(_PLAN_LABELS)


def premises_plan(folded: str, min_kinds: int = 4, min_rooms: int = 2) -> list[Term]:
    """The labels of a building plan in `folded` (OCR text), when there are enough of them:
    at least `min_kinds` kinds of label and `min_rooms` numbered rooms. Empty otherwise."""
    labels: list[Term] = []
    for match in _PLAN.finditer(folded):
        kind = _PLAN_NAMES[int(str(match.lastgroup)[1:])]
        labels.append(Term(match.start(), match.end(), f"premises_{kind}", match.group(0)))
    kinds = {t.label for t in labels}
    rooms = sum(t.label == "premises_numbered room" for t in labels)
    purpose = any(_SECURITY_PLAN.fullmatch(t.value) for t in labels)
    return labels if len(kinds) >= min_kinds and (rooms >= min_rooms or purpose) else []


# Security arrangements read from an image: an access code written out ("Vestibule keypad:
# 4471#", "door code 2210"), or a camera system's screen (a recorder's label such as NVR/DVR/CCTV,
# or numbered cameras) over several labelled places of a building.
_ACCESS_CODE = re.compile(
    r"\b(?:keypad|(?:door|gate|alarm|access|entry|entrance|lockbox|building|vestibule)[\s(:-]+"
    r"(?:code|pin)s?)\b[^\d\n]{0,12}\d{3,8}#?"
)
_CAMERA_SYSTEM = re.compile(r"\b(?:nvr|dvr|cctv)\b|\bcam(?:era)?[\s_-]*#?\d{1,2}\b")
# Security arrangements a plan marks: where the cameras do not see, the panic buttons, who may
# open which door. Two kinds of these over labelled places are a security layout.
_SECURITY_ITEM = re.compile(
    r"\b(?:blind spots?|panic buttons?|badge (?:readers?|entr(?:y|ies)|only)|access control|"
    r"buzz-in|hard-lock|pin override|manual lock|camera (?:plan|layout|coverage|positions?)|"
    r"cameras? \(|sro (?:office|staging)|lockdown)\b"
)
_PLACE = re.compile(
    r"\b(?:hall|hallway|stairs?|stairwell|entry|entrance|ent|lobby|dock|gym|cafe|cafeteria|"
    r"library|loop|field|office|parking|lot|door|vestibule|commons|corridor|wing)\b"
)


def security_layout(folded: str, min_places: int = 3) -> list[Term]:
    """Access codes, or a camera system over at least `min_places` labelled places, in `folded`
    (OCR text). Empty otherwise."""
    found = [
        Term(m.start(), m.end(), "premises_access code", m.group(0))
        for m in _ACCESS_CODE.finditer(folded)
    ]
    cameras = list(_CAMERA_SYSTEM.finditer(folded))
    items = list(_SECURITY_ITEM.finditer(folded))
    places = list(_PLACE.finditer(folded))
    secure = bool(cameras) or len({m.group(0) for m in items}) >= 2
    if secure and len(places) >= min_places:
        found += [Term(m.start(), m.end(), "premises_camera system", m.group(0)) for m in cameras]
        found += [Term(m.start(), m.end(), "premises_security item", m.group(0)) for m in items]
        found += [Term(m.start(), m.end(), "premises_camera view", m.group(0)) for m in places]
    return found
