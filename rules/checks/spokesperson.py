"""`spokesperson`: a personal account posting as if it spoke for the district."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.district import DistrictTerms
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


@register
class Spokesperson(Check):
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
    subjects = ("post",)

    class Params(CheckParams):
        authorized_accounts: list[str] = Field(default_factory=list)

    def run(self, target: Target, params: Any, ctx: CheckContext) -> list[Hit]:
        if (
            target.account.kind != "employee"
            or target.kind not in ("post", "comment")
            or target.account.id in params.authorized_accounts
            or not target.text
        ):
            return []
        gate, patterns, reported = ctx.cached("spokesperson.patterns", lambda: _build(ctx))
        folded = fold(target.text)
        if not gate.search(folded):
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


def _build(ctx: CheckContext) -> tuple[re.Pattern[str], list[re.Pattern[str]], re.Pattern[str]]:
    data = load("spokesperson")
    terms = DistrictTerms.for_context(ctx)
    return (
        re.compile(data["gate"]),
        [terms.template(p, *ORG_WORDS) for p in data["patterns"]],
        re.compile(data["reported"], re.IGNORECASE),
    )
