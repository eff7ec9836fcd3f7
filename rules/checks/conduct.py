"""`conduct`: obscene, harassing, threatening or substance-promoting language about the district."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.checks.confidentiality import district_roster
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.classifier import OffensiveClassifier
from rules.detect.lexicons.district import (
    GENERIC,
    NAME,
    STAFF,
    STUDENT,
    DistrictTerms,
    place_words,
)
from rules.detect.lexicons.matcher import Gate, Match, PatternSet, TermMatcher
from rules.detect.roster import FIRST_ONLY
from rules.registry import register

CLASSIFIER = "classifier"
_MASK_GATE = Gate(substrings=("*", "$"))
EXTRA = "extra"
SCREEN = "screen"  # a word the classifier scores as offensive on its own (see classifier.py)
_TRIGGER = "trigger:"
_GROUP = "#"  # "harassment#0": a pattern group of a category (see conduct.yaml `groups`)


# A token with a masking character inside or around letters: "f***ing", "bullsh*t", "a$$".
_MASKED_TOKEN = re.compile(r"(?<![\w*$])[a-z]*[*$]+[a-z*$]*(?![\w*$])")
_MASK_RUN = re.compile(r"[*$]+")
# An insult the writer disowns: "not trying to be a jerk", "I never meant to be rude".
_DISOWNED = re.compile(
    r"(?:\bnot|\bnever|n't)\s+(?:(?:trying|meaning|wanting|going|gonna|want|mean|meant)\s+"
    r"(?:to\s+)?)?$"
)


@dataclass
class ConductLexicon:
    terms: TermMatcher  # labels: a category, "trigger:<category>" or SCREEN
    patterns: PatternSet
    labels: dict[str, str]
    mild: frozenset[str]
    masked: frozenset[str] = frozenset()

    def unmask(self, folded: str) -> list[Match]:
        """Masked profanity ("f***ing"): each masked token whose masks, read as one to three
        letters more than they have, can spell a word of the lexicon's `masked` list."""
        found = []
        for token in _MASKED_TOKEN.finditer(folded):
            text = token.group(0)
            if not any(c.isalpha() for c in text):
                continue
            shape = _MASK_RUN.sub(
                lambda m: f"[a-z]{{{len(m.group(0))},{len(m.group(0)) + 2}}}",
                re.escape(text).replace("\\*", "*").replace("\\$", "$"),
            )
            expression = re.compile(shape)
            # a plural the list does not spell out ("sh*theads") is the same word
            if any(
                expression.fullmatch(word) or expression.fullmatch(word + "s")
                for word in self.masked
            ):
                found.append(Match(token.start(), token.end(), "obscene", text))
        return found

    @classmethod
    def build(
        cls, extra_terms: tuple[str, ...], screen: frozenset[str] = frozenset()
    ) -> ConductLexicon:
        data = load("conduct")
        entries: list[tuple[str, str]] = []
        patterns: dict[str, list[str]] = {}
        labels = {CLASSIFIER: "offensive language", EXTRA: "district-listed term"}
        for name, spec in data["categories"].items():
            labels[name] = spec["label"]
            entries += [(t, name) for t in spec.get("terms", [])]
            entries += [(t, _TRIGGER + name) for t in spec.get("triggers", [])]
            patterns[name] = spec.get("patterns", [])
            # A group's patterns run only on its own triggers, so a pattern that needs a rare
            # phrase does not make every post with a common trigger pay for it.
            for index, group in enumerate(spec.get("groups", [])):
                key = f"{name}{_GROUP}{index}"
                entries += [(t, _TRIGGER + key) for t in group["triggers"]]
                patterns[key] = group["patterns"]
        entries += [(t, EXTRA) for t in extra_terms]
        # Look-alike spellings ("bullsh1t", "sh!ts", "r3tards") are whole words of the automaton
        # like any other, so they cost nothing per post.
        for category, key in (("obscene", "masked"), ("harassment", "masked_harassment")):
            entries += [(form, category) for w in data.get(key, []) for form in leet_forms(w)]
        mild = frozenset(data["mild"])
        # The classifier's screen rides in the same automaton: one pass finds both.
        entries += [(w, SCREEN) for w in sorted(screen - mild)]
        return cls(
            TermMatcher(entries),
            PatternSet(patterns),
            labels,
            mild,
            frozenset(data.get("masked", [])),
        )


# Characters writers put for letters to get a word past a filter.
_LOOKALIKES = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7"}


def leet_forms(word: str) -> set[str]:
    """`word` with look-alike characters for its letters: one letter swapped, or every
    occurrence of one letter, or every swappable letter at once ("shit": "sh1t", "sh!t",
    "5hit", "$hit", "5h17" ...). The word itself is not among them."""
    forms: set[str] = set()
    for letter, subs in _LOOKALIKES.items():
        for sub in subs:
            forms.add(word.replace(letter, sub))
            for i, char in enumerate(word):
                if char == letter:
                    forms.add(word[:i] + sub + word[i + 1 :])
    for pick in range(2):  # everything swapped, with the first or second look-alike
        forms.add(
            "".join(_LOOKALIKES.get(c, c)[min(pick, len(_LOOKALIKES.get(c, c)) - 1)] for c in word)
        )
    forms.discard(word)
    # A form ending in "!" would need a word character after it to be a whole word.
    # Mostly digits ("a55") reads as a code, not a word. A symbol at either end ("$hit", "@ss")
    # would leave an everyday word ("hit") as the whole-word key the engine's gate opens on.
    least = max(2, len(word) // 2)
    return {
        f for f in forms if f[0].isalnum() and f[-1].isalnum() and sum(map(str.isalpha, f)) >= least
    }


@lru_cache(maxsize=8)
def _lexicon(extra_terms: tuple[str, ...], with_screen: bool) -> ConductLexicon:
    return ConductLexicon.build(extra_terms, _classifier().screen if with_screen else frozenset())


@lru_cache(maxsize=1)
def _classifier() -> OffensiveClassifier:
    return OffensiveClassifier.load()


@dataclass(frozen=True)
class _Setup:
    """What a rule's params mean for matching, worked out once per params object."""

    params: ConductParams
    lexicon: ConductLexicon
    enabled: frozenset[str]
    allowed: tuple[str, ...]
    classify: bool

    @classmethod
    def of(cls, params: ConductParams) -> _Setup:
        classify = params.use_classifier and CLASSIFIER in params.categories
        return cls(
            params,
            _lexicon(tuple(params.extra_terms), classify),
            frozenset(params.categories) | {EXTRA},
            tuple(fold(a) for a in params.allow_terms),
            classify,
        )


@dataclass
class _Analysis:
    found: list[Match]  # lexicon and pattern matches
    suspicious: list[tuple[int, int]]  # classifier screen words, when `found` is empty
    score: float | None = None  # the classifier's score of the text, once known


_NOTHING = _Analysis([], [])


class ConductParams(CheckParams):
    require_reference: bool = True
    categories: list[str] = Field(
        default_factory=lambda: [
            "obscene",
            "harassment",
            "threat",
            "substances",
            "illegal",
            "sexual",
            CLASSIFIER,
        ]
    )
    extra_terms: list[str] = Field(default_factory=list)  # district additions, whole words
    allow_terms: list[str] = Field(default_factory=list)  # never flagged (e.g. a place name)
    use_classifier: bool = True
    classifier_threshold: float = Field(default=0.85, ge=0.5, le=1.0)


@register
class Conduct(Check[ConductParams]):
    """Obscene, profane or vulgar language, harassment, threats, bullying, or encouraging illegal
    activity or alcohol/drug misuse, in a post that refers to the district, its schools, students
    or staff.

    Example clause (West Fargo DEBH-AP): "When referring to the district, its schools, learners ...
    employees shall not use obscene, profane, or vulgar language ... or engage in communications
    or conduct that is harassing, threatening, bullying ..."

    Detection: a whole-word lexicon (rules/detect/lexicons/conduct.yaml) with context patterns for
    threats, insults aimed at people and substance misuse, plus the alt-profanity-check classifier
    for offensive wording the lexicon lacks (category "classifier"; a pack that limits
    `categories` leaves it out unless it lists it). With `require_reference` (the default) a post
    on a personal account must also mention the district, a school, staff, students or words such as
    "my class"; posts on district-sponsored accounts always speak about the district.

    Speed: one automaton pass finds lexicon terms, pattern triggers and the classifier's screen
    words; the classifier only scores posts the lexicon did not explain that contain a screen
    word, and `prepare` scores a whole batch of those in one scikit-learn call.
    """

    name = "conduct"
    title = "Unprofessional language or conduct"
    subjects = ("post",)

    def __init__(self) -> None:
        self._setups: dict[int, _Setup] = {}
        # Per params object: the last batch's analyses, by target identity (see `prepare`).
        self._prepared: dict[int, dict[int, tuple[Target, _Analysis]]] = {}

    def _setup(self, params: ConductParams) -> _Setup:
        setup = self._setups.get(id(params))
        if setup is None or setup.params is not params:
            setup = self._setups[id(params)] = _Setup.of(params)
        return setup

    def gate(self, params: ConductParams, ctx: CheckContext) -> Gate:
        """Nothing is found in a post without one of the automaton's terms or a masking
        character ("f***ing")."""
        return self._setup(params).lexicon.terms.gate | _MASK_GATE

    def prepare(self, targets: list[Target], params: ConductParams, ctx: CheckContext) -> None:
        """Analyse a batch and score every post that needs the classifier in one call."""
        setup = self._setup(params)
        analyses: dict[int, tuple[Target, _Analysis]] = {}
        pending: list[tuple[str, _Analysis]] = []
        for target in targets:
            text = target.text
            analysis = _analyse(text, setup) if text else _NOTHING
            analyses[id(target)] = (target, analysis)
            if analysis.suspicious:
                pending.append((text, analysis))
        if pending:
            scores = _classifier().scores([text for text, _ in pending])
            for (_, analysis), score in zip(pending, scores, strict=True):
                analysis.score = score
        self._prepared[id(params)] = analyses  # the previous batch's are dropped here

    def run(self, target: Target, params: ConductParams, ctx: CheckContext) -> list[Hit]:
        text = target.text
        if not text:
            return []
        prepared = self._prepared.get(id(params))
        entry = prepared.get(id(target)) if prepared else None
        setup = self._setup(params)
        if entry is not None and entry[0] is target:
            analysis = entry[1]
        else:
            analysis = _analyse(text, setup)
        found = analysis.found
        if analysis.suspicious:
            score = analysis.score
            if score is None:
                score = _classifier().score(text)
            if score >= params.classifier_threshold:
                found = [Match(s, e, CLASSIFIER, f"{score:.3f}") for s, e in analysis.suspicious]
        if not found:
            return []
        references: list[Match] = []
        if params.require_reference and target.account.kind != "sponsored":
            terms = DistrictTerms.for_context(ctx)
            references = (
                terms.reference_mentions(text)
                or terms.hashtag_mentions(text)
                or _people(text, ctx)
                or _places(text, ctx)
                or [
                    Match(m.start(), m.end(), GENERIC, m.group(0)) for m in _CLASS_OF.finditer(text)
                ]
            )
            if not references:
                return []
        return _hits(found, references, setup.lexicon)


def _analyse(text: str, setup: _Setup) -> _Analysis:
    """Lexicon and pattern matches, or else the screen words that make the post worth scoring."""
    if text.isspace():
        return _NOTHING
    folded = fold(text)
    matches = setup.lexicon.terms.find(folded)
    if ("*" in folded or "$" in folded) and "obscene" in setup.enabled:
        matches += setup.lexicon.unmask(folded)
    if not matches:
        return _NOTHING
    enabled = setup.enabled
    direct, gated, screen = [], set(), []
    for match in matches:
        label = match.label
        if label == SCREEN:
            screen.append(match)
        elif label.startswith(_TRIGGER):
            gated.add(label.removeprefix(_TRIGGER))
        elif label in enabled:
            direct.append(match)
    found = direct
    gated = {g for g in gated if g.partition(_GROUP)[0] in enabled}
    if gated:
        found = direct + [
            Match(m.start, m.end, category, m.term)
            for m in setup.lexicon.patterns.find(folded, sorted(gated))
            for category in (m.label.partition(_GROUP)[0],)
            if not (category == "harassment" and _disowned(folded, m))
        ]
    allowed = setup.allowed
    if allowed:
        found = [m for m in found if not _allowed(folded, m, allowed)]
    if found:  # the lexicon already explains the post; no need for a second opinion
        return _Analysis(found, [])
    if not setup.classify or not screen:
        return _NOTHING
    spans = [(m.start, m.end) for m in screen if not (allowed and _allowed(folded, m, allowed))]
    return _Analysis([], spans) if spans else _NOTHING


def _people(text: str, ctx: CheckContext) -> list[Match]:
    """Students and staff of the roster named in any form the confidentiality check accepts
    ("the Thorson kid", "Ms. Amundson", a unique first name): an insult of one of them is
    about the district's people even when no school is named."""
    names = district_roster(ctx).find(text, fold(text))
    return [
        Match(n.start, n.end, STUDENT if n.is_student else STAFF, text[n.start : n.end])
        for n in names
        if not (n.form == FIRST_ONLY and _AFTER_CAPITAL.search(text, 0, n.start))
    ]


# A school class by its graduation year: "Class of 2027", "#ClassOf27".
_CLASS_OF = re.compile(r"\bclass\s*of\s*'?(?:19|20)?\d\d\b", re.IGNORECASE)


def _places(text: str, ctx: CheckContext) -> list[Match]:
    """A school's one-word place name ("Northstar" of Northstar Elementary) used as a school is:
    before a word for its people or rooms ("the Pinecrest kid", "the Northstar boys' bathroom")
    or after "at"/"of" ("half of Meadowlark doesn't show up"). Alone, such a word may be a
    street or a town ("Lincoln"), so it is not a reference by itself."""
    pattern = ctx.cached("conduct.places", lambda: _place_pattern(ctx))
    if pattern is None:
        return []
    return [Match(m.start(), m.end(), NAME, m.group(0)) for m in pattern.finditer(text)]


def _place_pattern(ctx: CheckContext) -> re.Pattern[str] | None:
    places = sorted(place_words(s.name for s in ctx.config.district.schools))
    if not places:
        return None
    names = "|".join(re.escape(p) for p in places)
    # Case-sensitive on the capital: "at Pinecrest", never "at pinecrest road"-style prose.
    return re.compile(
        rf"(?:\b(?:at|of|from)\s+)(?i:{names})\b(?!\s+(?:road|rd|street|st|avenue|ave|drive|dr|"
        r"lake|park|county|city|township|mall|church)\b)"
        rf"|\b(?i:{names})(?:'s)?\s+(?:kids?|boys|girls|students?|staff|teachers?|parents|"
        r"families|moms|dads|players|team|fans|crowd|principal|office|gym|hallways?|cafeteria|"
        r"lunchroom|bathrooms?|boys'\s+bathroom|girls'\s+bathroom|locker\s+room|playground|"
        r"library|classrooms?|admin|administration|secretary|custodians?|paras?|coaches|bus)\b"
    )


# A first name right after a capitalised word is more likely part of a place ("North Dakota").
_AFTER_CAPITAL = re.compile(r"\b[A-Z][\w'-]*\s+$")


def _disowned(folded: str, match: Match) -> bool:
    return bool(_DISOWNED.search(folded, max(0, match.start - 30), match.start))


def _allowed(folded: str, match: Match, allowed: tuple[str, ...]) -> bool:
    for phrase in allowed:
        start = folded.find(phrase)
        while start >= 0:
            if start <= match.start and match.end <= start + len(phrase):
                return True
            if match.start <= start and start + len(phrase) <= match.end:
                return True
            start = folded.find(phrase, start + 1)
    return False


def _hits(found: list[Match], references: list[Match], lexicon: ConductLexicon) -> list[Hit]:
    by_category: dict[str, list[Match]] = {}
    for match in found:
        by_category.setdefault(match.label, []).append(match)
    ref_spans = [Span(r.start, r.end, f"reference:{r.label}") for r in references]
    hits = []
    for category, matches in sorted(by_category.items()):
        label = lexicon.labels[category]
        spans = [Span(m.start, m.end, category) for m in matches]
        where = "a post referring to the district" if references else "a post"
        details: dict[str, Any] = {
            "terms": sorted({m.term for m in matches}),
            "references": sorted({r.label for r in references}),
        }
        score = 1.0
        detector = "lexicon:conduct.yaml"
        if category == CLASSIFIER:
            score = float(matches[0].term)
            detector = "alt-profanity-check"
            details["terms"] = []
        hits.append(
            Hit(
                key=f"conduct:{category}",
                summary=f"{label.capitalize()} in {where}",
                category=label,
                spans=spans + ref_spans,
                details=details,
                detector=detector,
                score=score,
            )
        )
    return hits
