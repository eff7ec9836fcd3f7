"""`spokesperson`: a personal account posting as if it spoke for the district."""

from __future__ import annotations

import re

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.district import DistrictTerms
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
        """The patterns run only on posts with one of the lexicon's `gate` fragments."""
        return self._patterns(ctx)[0]

    def run(self, target: Target, params: SpokespersonParams, ctx: CheckContext) -> list[Hit]:
        if (
            target.account.kind != "employee"
            or target.kind not in ("post", "comment")
            or target.account.id in params.authorized_accounts
            or not target.text
        ):
            return []
        gate, org, patterns, reported = self._patterns(ctx)
        folded = fold(target.text)
        runs = words(folded)
        if not gate.opens(folded, runs) or not org.opens(folded, runs):
            return []
        spans = []
        for pattern in patterns:
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


# (gate fragments, names of the organisation, patterns, reported speech)
_Patterns = tuple[Gate, Gate, list[re.Pattern[str]], re.Pattern[str]]


def _build(ctx: CheckContext) -> _Patterns:
    data = load("spokesperson")
    terms = DistrictTerms.for_context(ctx)
    fragments = data["gate"].split("|")
    if any(re.escape(f).replace("\\ ", " ") != f for f in fragments):
        raise ValueError("spokesperson.yaml: `gate` must list plain fragments separated by |")
    # Every pattern names the organisation ({org}) except official statements ("Official
    # statement:"), so a post naming neither cannot match.
    if any(
        "{org}" not in p and "{name}" not in p and "official" not in p and "announcement" not in p
        for p in data["patterns"]
    ):
        raise ValueError(
            "spokesperson.yaml: a pattern without {org} must contain 'official' or 'announcement'"
        )
    org = Gate.for_terms(
        [(form, False) for form in (*terms.name_forms, *ORG_WORDS)]
        + [("official", False), ("formal", False)]
    )
    return (
        Gate(substrings=tuple(fragments)),
        org,
        [terms.template(p, *ORG_WORDS) for p in data["patterns"]],
        compile_folded(data["reported"]),
    )
