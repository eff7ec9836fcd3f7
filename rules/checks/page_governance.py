"""`page_governance`: a district page without a responsible employee or the district's details."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Target
from rules.detect.lexicons.district import (
    DistrictTerms,
    domain_of,
    emails_in,
    is_district_domain,
    phone_digits_in,
    profile_contact,
)
from rules.registry import register

Item = Literal["logo", "homepage", "email", "phone"]
_LABELS: dict[Item, str] = {
    "logo": "the district logo",
    "homepage": "a link to the district homepage",
    "email": "a district e-mail address",
    "phone": "a district telephone number",
}


def _all_items() -> list[Item]:
    return list(_LABELS)


class PageGovernanceParams(CheckParams):
    require_responsible: bool = True
    require_contact: bool = False
    contact_items: list[Item] = Field(default_factory=_all_items)
    extra_phones: list[str] = Field(default_factory=list)  # e.g. a school office line


@register
class PageGovernance(Check[PageGovernanceParams]):
    """A district-sponsored page with no appointed responsible employee, or (with
    `require_contact`) an official page whose profile lacks the district logo, a link to the
    district homepage, a district e-mail address or a district telephone number.

    Example clauses: JNDC "All District pages must have an appointed employee who is identified as
    being responsible for content."; W-E-M 428 III.D "the site creator must include the official
    district logo, a link to the District's homepage and a respective W-E-M Public Schools email
    and telephone number".

    Judged on the page's profile. The responsible employee is `responsible` in accounts.yaml. The
    logo is an avatar in which the image analysis found a registered mark (an avatar not analysed
    counts as the logo); the text read inside the avatar is not judged as a profile; the homepage by
    the district homepage's host in the website, links or bio; the e-mail by any address at a
    district domain; the phone by the district's number (any number when none is configured).
    """

    name = "page_governance"
    title = "Official page without a responsible employee or district contact"
    subjects = ("profile",)

    def run(self, target: Target, params: PageGovernanceParams, ctx: CheckContext) -> list[Hit]:
        if target.kind != "profile" or target.account.kind != "sponsored":
            return []
        if (target.extra or {}).get("text_source") == "image":
            # The text read inside the avatar (flows.steps.imaging.image_text_targets) carries no
            # media and no profile fields of its own: the profile itself is judged once, above.
            return []
        hits = []
        if params.require_responsible and not (target.account.responsible or "").strip():
            hits.append(
                Hit(
                    key="page_governance:responsible",
                    summary="District page has no appointed employee responsible for "
                    "its content (accounts.yaml: responsible)",
                    category="district page without a responsible employee",
                    details={"account": target.account.id},
                    detector="config",
                )
            )
        if params.require_contact:
            present = _present(target, DistrictTerms.for_context(ctx), params)
            for item in params.contact_items:
                if not present[item]:
                    hits.append(
                        Hit(
                            key=f"page_governance:{item}",
                            summary=f"Official page does not show {_LABELS[item]}",
                            category=f"official page missing {_LABELS[item]}",
                            details={"missing": item},
                            detector="profile",
                        )
                    )
        return hits


def _present(target: Target, terms: DistrictTerms, params: PageGovernanceParams) -> dict[str, bool]:
    contact = profile_contact(target)
    values = [value for _, value in contact]
    phones = {d for v in values for d in phone_digits_in(v)}
    wanted = {p for p in ([terms.phone_digits] if terms.phone_digits else [])}
    wanted |= {d for p in params.extra_phones for d in phone_digits_in(p)}
    host = terms.homepage_host
    return {
        "logo": any(_avatar_shows_a_mark(m) for m in target.media if m.get("role") == "avatar"),
        # an e-mail address at the district's domain is not a link to its homepage
        "homepage": bool(host) and any(host in _without_emails(v).lower() for v in values),
        "email": any(
            is_district_domain(domain_of(m.group(0)), terms.email_domains)
            for v in values
            for m in emails_in(v)
        ),
        "phone": bool(phones & wanted) if wanted else bool(phones),
    }


def _without_emails(value: str) -> str:
    for match in reversed(emails_in(value)):
        value = value[: match.start()] + " " + value[match.end() :]
    return value


def _avatar_shows_a_mark(medium: dict[str, Any]) -> bool:
    """An avatar shows the district logo when the image analysis found a registered mark in it;
    an avatar that was not (or could not be) analysed counts as the logo, as before."""
    analysis = medium.get("analysis")
    if not isinstance(analysis, dict) or not analysis.get("ok") or "logos" not in analysis:
        return True
    return bool(analysis.get("logos"))
