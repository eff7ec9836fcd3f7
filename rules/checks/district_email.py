"""`district_email`: a district e-mail address in a personal account's contact data or bio."""

from __future__ import annotations

from pydantic import Field

from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.lexicons.district import (
    DistrictTerms,
    domain_of,
    emails_in,
    is_district_domain,
    profile_contact,
)
from rules.registry import register


class DistrictEmailParams(CheckParams):
    extra_domains: list[str] = Field(default_factory=list)  # besides District.email_domains
    include_bio: bool = True


@register
class DistrictEmail(Check[DistrictEmailParams]):
    """A district e-mail address used for personal social media: listed in a personal account's
    profile (contact e-mails, website or mailto: links) or written in its bio.

    Example clause (JNDC): "Staff members will not use their District email address for personal
    social media activities."

    Only employees' personal accounts are judged (a district page is expected to show a district
    address), and only their profile: a post asking parents to e-mail the school office mentions
    an address but does not make it the account's contact data. Subdomains of a district domain
    count (staff@hs.district.k12.mn.us).
    """

    name = "district_email"
    title = "District e-mail used on a personal account"
    subjects = ("profile",)

    def run(self, target: Target, params: DistrictEmailParams, ctx: CheckContext) -> list[Hit]:
        if target.kind != "profile" or target.account.kind != "employee":
            return []
        domains = [*DistrictTerms.for_context(ctx).email_domains, *params.extra_domains]
        if not domains:
            return []
        hits: dict[str, Hit] = {}
        for where, value in profile_contact(target):
            if where == "bio" and not params.include_bio:
                continue
            for match in emails_in(value):
                address = match.group(0).lower()
                if not is_district_domain(domain_of(address), domains):
                    continue
                hit = hits.setdefault(
                    address,
                    Hit(
                        key=f"district_email:{address}",
                        summary=f"District e-mail address {address} in the personal profile "
                        f"({where})",
                        category="district e-mail address on a personal account",
                        details={"address": address, "fields": []},
                        detector="district_email:domain",
                    ),
                )
                hit.details["fields"].append(where)
                if where == "bio":
                    hit.spans.append(Span(match.start(), match.end(), "district-email"))
        return list(hits.values())
