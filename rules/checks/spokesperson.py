"""`spokesperson`: a personal account posting as if it spoke for the district."""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick
from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.district import DistrictTerms, place_words
from rules.detect.lexicons.matcher import Gate, compile_folded, words
from rules.registry import register

# "I am not speaking for the district", "never on behalf of the school"
_NEGATED = re.compile(r"\b(?:not|never|n't)\s*$")

# Generic ways of naming the organisation besides its own names.
ORG_WORDS = (
    "the district",
    "our district",
    "the school district",
    "the school board",
    "our school board",
    "the board of education",
    "our school",
    "the school",
    "the administration",
    "our administration",
    "district",
    "the high school",
    "our high school",
    "the middle school",
    "our middle school",
)


class SpokespersonParams(CheckParams):
    authorized_accounts: list[str] = Field(default_factory=list)


@register
class Spokesperson(Check[SpokespersonParams]):
    """A personal account posting as if it spoke for the district: "on behalf of the district",
    "official statement:", "the district announces", "we at <district> have decided".

    Example clause (Alexandria 471 IV.A): "Employees may not act as a spokesperson for the district
    or post comments as a representative of the district, except as authorized by the
    Superintendent or the Superintendent's designee."

    Passing on what the district said ("sharing the district's official statement", "per the
    district") is not speaking for it; shares are not judged. Accounts of authorised spokespeople
    are listed in `authorized_accounts`.
    """

    name = "spokesperson"
    title = "Personal account speaking for the district"
    subjects = ("post",)

    def __init__(self) -> None:
        self._built: tuple[CheckContext, _Patterns] | None = None

    def _patterns(self, ctx: CheckContext) -> _Patterns:
        built = self._built
        if built is None or built[0] is not ctx:
            built = self._built = (ctx, ctx.cached("spokesperson.patterns", lambda: _build(ctx)))
        return built[1]

    def gate(self, params: SpokespersonParams, ctx: CheckContext) -> Gate:
        """The patterns run only on posts with one of the fragments they need."""
        return self._patterns(ctx).gate

    def run(self, target: Target, params: SpokespersonParams, ctx: CheckContext) -> list[Hit]:
        if (
            target.account.kind != "employee"
            or target.kind not in ("post", "comment")
            or target.account.id in params.authorized_accounts
            or not target.text
        ):
            return []
        built = self._patterns(ctx)
        folded = fold(target.text)
        if not built.org.opens(folded, words(folded)):
            return []
        reported = built.reported
        spans = []
        for pattern in built.wanted(folded):
            for match in pattern.finditer(folded):
                before = folded[max(0, match.start() - 45) : match.start()]
                if reported.search(before) or _NEGATED.search(before[-20:]):
                    continue
                spans.append(Span(match.start(), match.end(), "speaks-for-district"))
        if not spans:
            return []
        return [
            Hit(
                key="spokesperson",
                summary="Personal account posts as if speaking for the district",
                category="personal account speaking for the district",
                spans=sorted(set(spans), key=lambda s: s.start),
                detector="lexicon:spokesperson.yaml",
            )
        ]


@dataclass(frozen=True)
class _Patterns:
    """The lexicon compiled for one district: which patterns each fragment lets run."""

    gate: Gate  # any fragment of any pattern's `needs`
    org: Gate  # names of the organisation, or "official"/"formal"
    patterns: tuple[re.Pattern[str], ...]
    fragments: ahocorasick.Automaton  # fragment -> indices of the patterns that need it
    reported: re.Pattern[str]

    def wanted(self, folded: str) -> list[re.Pattern[str]]:
        """The patterns whose needed fragments occur in `folded`, in lexicon order: one pass of
        the fragment automaton, so a post runs a few patterns instead of all of them."""
        chosen: set[int] = set()
        for _, indices in self.fragments.iter(folded):
            chosen.update(indices)
        return [self.patterns[i] for i in sorted(chosen)]


def _build(ctx: CheckContext) -> _Patterns:
    data = load("spokesperson")
    terms = DistrictTerms.for_context(ctx)
    needed: dict[str, list[int]] = {}
    for index, entry in enumerate(data["patterns"]):
        fragments = entry["needs"].split("|")
        if any(not f or re.escape(f).replace("\\ ", " ") != f for f in fragments):
            raise ValueError(
                f"spokesperson.yaml: pattern {index}: `needs` must list plain fragments "
                "separated by |"
            )
        for fragment in fragments:
            needed.setdefault(fragment, []).append(index)
        # Every pattern names the organisation ({org}) except official statements ("Official
        # statement:"), so a post naming neither cannot match.
        p = entry["re"]
        if (
            "{org}" not in p
            and "official" not in p
            and "announcement" not in p
            and not entry.get("names_org")
        ):
            raise ValueError(
                f"spokesperson.yaml: pattern {index} without {{org}} must contain 'official' or "
                "'announcement', or spell out the organisation itself (names_org: true)"
            )
    automaton = ahocorasick.Automaton()
    for fragment, indices in needed.items():
        automaton.add_word(fragment, tuple(indices))
    automaton.make_automaton()
    places = tuple(sorted(place_words(s.name for s in ctx.config.district.schools)))
    generic = (*ORG_WORDS, *(re.escape(p) for p in places))
    org = Gate.for_terms(
        [(form, False) for form in (*terms.name_forms, *ORG_WORDS, *places)]
        + [("official", False), ("formal", False), ("building", False), ("department", False)]
    )
    return _Patterns(
        Gate(substrings=tuple(sorted(needed))),
        org,
        tuple(terms.template(entry["re"], *generic) for entry in data["patterns"]),
        automaton,
        compile_folded(data["reported"]),
    )
