"""`disclaimer`: a personal profile names the district as employer without a views-my-own line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.district import DistrictTerms
from rules.registry import register


@dataclass
class _Compiled:
    employer: list[re.Pattern[str]]
    past: re.Pattern[str]
    phrases: re.Pattern[str]
    parent: re.Pattern[str]


@lru_cache(maxsize=16)
def _compiled(names: tuple[str, ...], extra_phrases: tuple[str, ...]) -> _Compiled:
    data = load("disclaimer")
    alternation = "(?:" + "|".join(re.escape(n).replace("\\ ", r"\s+") for n in names) + r")\b"
    employer = [
        re.compile(p.replace("{name}", alternation), re.IGNORECASE) for p in data["employer"]
    ]
    phrases = [*data["phrases"], *(re.escape(fold(p)) for p in extra_phrases)]
    return _Compiled(
        employer,
        re.compile(data["past"], re.IGNORECASE),
        re.compile("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE),
        re.compile(data["parent"], re.IGNORECASE),
    )


class DisclaimerParams(CheckParams):
    phrases: list[str] = Field(default_factory=list)  # extra disclaimer wording, literal


@register
class Disclaimer(Check[DisclaimerParams]):
    """A personal profile that identifies the district as employer but does not say the views
    are the employee's own.

    Example clause (W-E-M 428 IV.D): "Employees must make clear that any views expressed are the
    employee's alone and do not necessarily reflect the views of the District."

    The employer is identified when a district or school name stands next to a role or work
    phrase ("3rd grade teacher at Lakeview Elementary", "PLHS head coach", "I teach at ...");
    "former", "retired" or "alum" before it means it is not the current employer. Disclaimers
    are phrases such as "views are my own", "opinions mine", "does not represent"; a district
    adds its own wording with `phrases`.
    """

    name = "disclaimer"
    title = 'Missing "views are my own" disclaimer'
    subjects = ("profile",)

    def run(self, target: Target, params: DisclaimerParams, ctx: CheckContext) -> list[Hit]:
        if target.kind != "profile" or target.account.kind != "employee":
            return []
        terms = DistrictTerms.for_context(ctx)
        compiled = _compiled(terms.name_forms, tuple(params.phrases))
        display = str((target.extra or {}).get("display_name") or "")
        bio = target.text or ""
        folded_bio, folded_display = fold(bio), fold(display)
        if compiled.phrases.search(folded_bio) or compiled.phrases.search(folded_display):
            return []
        spans = _employer_spans(folded_bio, compiled)
        in_display = bool(_employer_spans(folded_display, compiled))
        if not spans and not in_display:
            return []
        return [
            Hit(
                key="disclaimer:missing",
                summary="Profile names the district as employer but has no disclaimer that "
                "the views are the employee's own",
                category="employer named without a personal-views disclaimer",
                spans=spans,
                details={"in_display_name": in_display},
                detector="lexicon:disclaimer.yaml",
            )
        ]


def _employer_spans(folded: str, compiled: _Compiled) -> list[Span]:
    spans = []
    for pattern in compiled.employer:
        for match in pattern.finditer(folded):
            before = folded[max(0, match.start() - 25) : match.start() + 12]
            if compiled.past.search(before):
                continue
            gap = match.groupdict().get("gap")
            if gap and compiled.parent.search(gap):
                continue  # "football mom at ...": a parent, not an employee
            spans.append(Span(match.start(), match.end(), "employer"))
    return sorted(set(spans), key=lambda s: (s.start, s.end))
