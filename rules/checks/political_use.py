"""`political_use`: the district's name used to promote a party, candidate, cause or product."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.district import DistrictTerms
from rules.registry import register


@dataclass
class _Category:
    name: str
    label: str
    pattern: re.Pattern[str]


class PoliticalUseParams(CheckParams):
    window: int = Field(default=160, ge=20, le=2000)
    categories: list[str] = Field(default_factory=lambda: ["political", "cause", "commercial"])
    personal_only: bool = True


@register
class PoliticalUse(Check[PoliticalUseParams]):
    """The district's name used to promote a product, cause, political party or candidate.

    Example clause (JNDC, "Do Not Use District Name, Logos, or Images"): "nor shall employees use
    the District name to promote a product, cause or political party, or political candidate".

    A hit needs both the district's (or a school's) name and a promotion cue — an endorsement,
    "vote for", a party, "use my code", "% off", "sign the petition" — within `window` characters
    of each other. The district's own fundraisers, book fairs and ticket sales are its business,
    not a product, and do not count as commercial promotion. Only personal accounts are judged
    unless `personal_only` is false.
    """

    name = "political_use"
    title = "District name used for promotion or politics"
    subjects = ("post",)

    def run(self, target: Target, params: PoliticalUseParams, ctx: CheckContext) -> list[Hit]:
        if not target.text or (params.personal_only and target.account.kind != "employee"):
            return []
        terms = DistrictTerms.for_context(ctx)
        names = terms.name_mentions(target.text) + terms.hashtag_mentions(target.text)
        if not names:
            return []
        categories, own_events = ctx.cached("political_use.patterns", lambda: _build(terms))
        folded = fold(target.text)
        hits = []
        for category in categories:
            if category.name not in params.categories:
                continue
            cues = [
                m
                for m in category.pattern.finditer(folded)
                if any(abs(m.start() - n.start) <= params.window for n in names)
            ]
            if category.name == "commercial" and own_events.search(folded):
                cues = []
            if not cues:
                continue
            near = [
                n for n in names if any(abs(c.start() - n.start) <= params.window for c in cues)
            ]
            spans = [Span(c.start(), c.end(), f"promotion:{category.name}") for c in cues]
            spans += [Span(n.start, n.end, "district-name") for n in near]
            hits.append(
                Hit(
                    key=f"political_use:{category.name}",
                    summary=f"{category.label.capitalize()}",
                    category=category.label,
                    spans=spans,
                    details={"cues": sorted({c.group(0) for c in cues})},
                    detector="lexicon:political.yaml",
                )
            )
        return hits


def _build(terms: DistrictTerms) -> tuple[list[_Category], re.Pattern[str]]:
    data = load("political")
    categories = []
    for name, spec in data["categories"].items():
        joined = "|".join(f"(?:{p})" for p in spec["patterns"])
        categories.append(_Category(name, spec["label"], terms.template(joined)))
    return categories, re.compile(data["own_events"], re.IGNORECASE)
