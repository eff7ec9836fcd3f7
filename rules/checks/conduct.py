"""`conduct`: obscene, harassing, threatening or substance-promoting language about the district."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.classifier import OffensiveClassifier
from rules.detect.lexicons.district import DistrictTerms
from rules.detect.lexicons.matcher import Match, PatternSet, TermMatcher
from rules.registry import register

CLASSIFIER = "classifier"
EXTRA = "extra"
_TRIGGER = "trigger:"


@dataclass
class ConductLexicon:
    terms: TermMatcher  # labels: a category, or "trigger:<category>"
    patterns: PatternSet
    labels: dict[str, str]
    mild: frozenset[str]

    @classmethod
    def build(cls, extra_terms: tuple[str, ...]) -> ConductLexicon:
        data = load("conduct")
        entries: list[tuple[str, str]] = []
        patterns: dict[str, list[str]] = {}
        labels = {CLASSIFIER: "offensive language", EXTRA: "district-listed term"}
        for name, spec in data["categories"].items():
            labels[name] = spec["label"]
            entries += [(t, name) for t in spec.get("terms", [])]
            entries += [(t, _TRIGGER + name) for t in spec.get("triggers", [])]
            patterns[name] = spec.get("patterns", [])
        entries += [(t, EXTRA) for t in extra_terms]
        return cls(TermMatcher(entries), PatternSet(patterns), labels, frozenset(data["mild"]))


@lru_cache(maxsize=8)
def _lexicon(extra_terms: tuple[str, ...]) -> ConductLexicon:
    return ConductLexicon.build(extra_terms)


@lru_cache(maxsize=1)
def _classifier() -> OffensiveClassifier:
    return OffensiveClassifier.load()


@register
class Conduct(Check):
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
    """

    name = "conduct"
    subjects = ("post",)

    class Params(CheckParams):
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

    def run(self, target: Target, params: Any, ctx: CheckContext) -> list[Hit]:
        text = target.text or ""
        if not text.strip():
            return []
        folded = fold(text)
        lexicon = _lexicon(tuple(params.extra_terms))
        found = self._matches(folded, lexicon, params)
        if params.use_classifier and CLASSIFIER in params.categories:
            found += self._classified(text, folded, lexicon, params, found)
        if not found:
            return []
        references: list[Match] = []
        if params.require_reference and target.account.kind != "sponsored":
            references = DistrictTerms.for_context(ctx).reference_mentions(text)
            if not references:
                return []
        return _hits(found, references, lexicon)

    @staticmethod
    def _matches(folded: str, lexicon: ConductLexicon, params: Any) -> list[Match]:
        enabled = set(params.categories) | {EXTRA}
        direct, gated = [], set()
        for match in lexicon.terms.find(folded):
            if match.label.startswith(_TRIGGER):
                gated.add(match.label.removeprefix(_TRIGGER))
            elif match.label in enabled:
                direct.append(match)
        found = direct + lexicon.patterns.find(folded, sorted(gated & enabled))
        allowed = [fold(a) for a in params.allow_terms]
        return [m for m in found if not _allowed(folded, m, allowed)]

    @staticmethod
    def _classified(
        text: str, folded: str, lexicon: ConductLexicon, params: Any, found: list[Match]
    ) -> list[Match]:
        if found:  # the lexicon already explains the post; no need for a second opinion
            return []
        model = _classifier()
        allowed = [fold(a) for a in params.allow_terms]
        spans = [
            (s, e)
            for s, e in model.suspicious(folded, lexicon.mild)
            if not _allowed(folded, Match(s, e, CLASSIFIER, ""), allowed)
        ]
        if not spans:
            return []
        score = model.score(text)
        if score < params.classifier_threshold:
            return []
        return [Match(s, e, CLASSIFIER, f"{score:.3f}") for s, e in spans]


def _allowed(folded: str, match: Match, allowed: list[str]) -> bool:
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
