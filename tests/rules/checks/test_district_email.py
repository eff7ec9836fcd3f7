"""district_email: a district address in a personal profile's contact data or bio."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.district_email import DistrictEmail, DistrictEmailParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))


def _target(
    text: str,
    extra: dict[str, Any] | None = None,
    kind: str = "profile",
    account: str = "emp-ortiz",
) -> Target:
    return Target(
        post_id="x",
        version=1,
        account=CONFIG.account(account),
        platform="facebook",
        kind=kind,
        permalink="https://example.test/x",
        text=text,
        published_at=None,
        extra=extra or {},
    )


@pytest.mark.parametrize(
    ("text", "extra", "address"),
    [
        (
            "3rd grade teacher. Coffee first.",
            {"emails": ["dortiz@prairielakes.k12.mn.us"]},
            "dortiz@prairielakes.k12.mn.us",
        ),
        ("Reach me: DOrtiz@PrairieLakes.K12.MN.US", {}, "dortiz@prairielakes.k12.mn.us"),
        ("", {"links": ["mailto:dana.ortiz@plps.org"]}, "dana.ortiz@plps.org"),
        (
            "",
            {"website": "mailto:dortiz@lve.prairielakes.k12.mn.us"},
            "dortiz@lve.prairielakes.k12.mn.us",
        ),
        ("Book club nerd | dortiz@plps.org for tutoring", {}, "dortiz@plps.org"),
    ],
)
def test_district_address_in_personal_profile_is_flagged(
    text: str, extra: dict[str, Any], address: str
) -> None:
    [hit] = DistrictEmail().run(_target(text, extra), DistrictEmailParams(), CTX)
    assert hit.details["address"] == address
    assert hit.category == "district e-mail address on a personal account"


@pytest.mark.parametrize(
    ("text", "extra", "kind", "account"),
    [
        (
            "Teacher, reader. dana.ortiz77@gmail.com",
            {"emails": ["dana.ortiz77@gmail.com"]},
            "profile",
            "emp-ortiz",
        ),
        ("Lookalike domain: d@prairielakes.k12.mn.us.evil.example", {}, "profile", "emp-ortiz"),
        ("Someone at notprairielakes.k12.mn.us: x@notplps.org", {}, "profile", "emp-ortiz"),
        (
            "Questions about conferences? Email the office at lve-office@prairielakes.k12.mn.us",
            {},
            "post",
            "emp-ortiz",
        ),
        (
            "Contact us: activities@prairielakes.k12.mn.us",
            {"emails": ["activities@plps.org"]},
            "profile",
            "plhs-activities",
        ),
    ],
)
def test_near_misses_are_not_flagged(
    text: str, extra: dict[str, Any], kind: str, account: str
) -> None:
    assert (
        DistrictEmail().run(_target(text, extra, kind, account), DistrictEmailParams(), CTX) == []
    )


def test_bio_address_has_a_span_on_the_address() -> None:
    text = "Book club nerd | dortiz@plps.org for tutoring"
    [hit] = DistrictEmail().run(_target(text), DistrictEmailParams(), CTX)
    [span] = hit.spans
    assert text[span.start : span.end] == "dortiz@plps.org"


def test_extra_domains_and_bio_switch() -> None:
    target = _target("old address: dortiz@isd917.example")
    assert DistrictEmail().run(target, DistrictEmailParams(), CTX) == []
    params = DistrictEmailParams(extra_domains=["isd917.example"])
    assert len(DistrictEmail().run(target, params, CTX)) == 1
    assert (
        DistrictEmail().run(
            target, DistrictEmailParams(extra_domains=["isd917.example"], include_bio=False), CTX
        )
        == []
    )
